//! Static folders (the demo site, the built package, the script-tag build), served safely and
//! small.
//!
//! - **Only what is inside the folder.** `ServeDir` refuses `..`, but follows symlinks and
//!   serves dotfiles: a link to `/etc` or a stray `.env` beside the site would be public. Every
//!   request is checked first (`guard`): no segment may start with a dot, and every file the
//!   request could be answered with (the file, its `.br` / `.gz`, a folder's `index.html`)
//!   must resolve, symlinks followed, to a path inside the folder. Anything else is a 404, the
//!   same as a file that is not there.
//! - **Precompressed when the client accepts it.** `cargo xtask dist` writes `name.br` and
//!   `name.gz` beside each file; a client whose `Accept-Encoding` allows them gets those bytes
//!   with `Content-Encoding`, the original's `Content-Type`, and `Vary: Accept-Encoding` (so a
//!   shared cache keeps the encodings apart). Without them, the file as it is.
//! - **Cached as its name allows** ([`cache_control`]): content-hashed names for good, the rest
//!   revalidated.

use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use percent_encoding::percent_decode_str;
use tower_http::services::ServeDir;

/// How long a content-hashed file may be cached: a year, the longest `max-age` caches honour.
/// Its name changes whenever a byte of it does, so a cached copy is never stale.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// How a file under a stable name is cached: kept, but revalidated before each use, so a new
/// build is seen at once (the demo is rebuilt under the same names).
pub const REVALIDATE: &str = "no-cache";

/// The encodings written beside a file, as `ServeDir` looks for them.
const ENCODED: [&str; 2] = ["br", "gz"];

/// The `Cache-Control` of a package or CDN file named `name`: [`IMMUTABLE`] when the name
/// carries a content hash as the CDN build writes it (`stem.<10 hex digits>.ext`), else
/// [`REVALIDATE`].
pub fn cache_control(name: &str) -> &'static str {
    let mut parts = name.rsplit('.');
    let (_extension, hash) = (parts.next(), parts.next());
    let hashed = parts.next().is_some()
        && hash.is_some_and(|h| h.len() == 10 && h.bytes().all(|b| b.is_ascii_hexdigit()));
    if hashed { IMMUTABLE } else { REVALIDATE }
}

/// The files of `dir`: guarded, precompressed, each with the `Cache-Control` of
/// [`cache_control`]; with `index`, a folder answers with its `index.html`.
pub fn folder(dir: &Path, index: bool) -> Router {
    // The folder as the kernel resolves it: what every served path must stay under. A folder
    // that is not there stays as given, and nothing resolves under it.
    let root = Arc::new(std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf()));
    let serve = ServeDir::new(dir)
        .precompressed_br()
        .precompressed_gzip()
        .append_index_html_on_directories(index);
    Router::new()
        .fallback_service(serve)
        .layer(middleware::map_response(headers))
        .layer(middleware::from_fn_with_state(
            Guarded { root, index },
            guard,
        ))
}

#[derive(Clone)]
struct Guarded {
    root: Arc<PathBuf>,
    index: bool,
}

/// Refuses (404) a request for a dotfile or for anything that resolves outside the folder.
async fn guard(State(guarded): State<Guarded>, request: Request, next: Next) -> Response {
    match inside(&guarded.root, request.uri().path(), guarded.index).await {
        true => next.run(request).await,
        false => StatusCode::NOT_FOUND.into_response(),
    }
}

/// Whether every file `path` could be answered with is inside `root` and none is a dotfile.
async fn inside(root: &Path, path: &str, index: bool) -> bool {
    let mut file = root.to_path_buf();
    for segment in path.split('/').filter(|s| !s.is_empty()) {
        let Ok(segment) = percent_decode_str(segment).decode_utf8() else {
            return false;
        };
        let mut parts = Path::new(segment.as_ref()).components();
        // One plain name per segment: no `..`, no root, no `a/b` smuggled in as `a%2Fb`.
        let (Some(Component::Normal(name)), None) = (parts.next(), parts.next()) else {
            return false;
        };
        if name.to_string_lossy().starts_with('.') {
            return false;
        }
        file.push(name);
    }
    let mut candidates = vec![file.clone()];
    if index {
        candidates.push(file.join("index.html"));
    }
    let encoded = candidates.iter().flat_map(|c| {
        ENCODED.map(|ext| {
            let mut name = c.clone().into_os_string();
            name.push(".");
            name.push(ext);
            PathBuf::from(name)
        })
    });
    let candidates: Vec<PathBuf> = candidates.iter().cloned().chain(encoded).collect();
    for candidate in candidates {
        match tokio::fs::canonicalize(&candidate).await {
            Ok(real) if !real.starts_with(root) => return false,
            // Inside, or not there (ServeDir answers 404 for it, or serves another candidate).
            _ => {}
        }
    }
    true
}

/// `Cache-Control` by name and `Vary: Accept-Encoding` on every file served.
async fn headers(uri: Uri, mut response: Response) -> Response {
    if response.status().is_success() || response.status() == StatusCode::NOT_MODIFIED {
        let name = uri.path().rsplit('/').next().unwrap_or_default();
        let headers = response.headers_mut();
        headers.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static(cache_control(name)),
        );
        headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_hashed_files_are_cached_for_good_and_stable_names_revalidated() {
        assert_eq!(cache_control("referrer-dashboard.37b287ed60.js"), IMMUTABLE);
        assert_eq!(
            cache_control("referrer_dashboard_bg.197677019c.wasm"),
            IMMUTABLE
        );
        assert_eq!(cache_control("referrer-dashboard.js"), REVALIDATE);
        assert_eq!(cache_control("referrer_dashboard_bg.wasm"), REVALIDATE);
        assert_eq!(cache_control("manifest.json"), REVALIDATE);
        assert_eq!(cache_control("37b287ed60.js"), REVALIDATE, "no stem");
        assert_eq!(cache_control("app.37b287ed6.js"), REVALIDATE, "9 digits");
        assert_eq!(cache_control("app.37b287ed6z.js"), REVALIDATE, "not hex");
    }
}
