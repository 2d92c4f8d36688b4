//! The demo: identity tokens for sample users (only in sandbox mode, signed with a secret made
//! for this process alone, so they are worthless to any other server) and the demo site with
//! the built package, under the strict CSP of SPEC §4.

use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::extract::Query;
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use jsonwebtoken::{EncodingKey, Header, encode};
use serde::Deserialize;
use serde_json::json;
use tower_http::services::{ServeDir, ServeFile};
use tower_http::set_header::SetResponseHeaderLayer;

use crate::error::Error;

/// Lifetime of a demo identity token; the page asks for a new one before each request.
const TOKEN_LIFETIME: Duration = Duration::from_secs(10 * 60);

/// The CSP the demo site is served under: the strict policy of SPEC §4, so the demo proves
/// the widget needs nothing more.
pub const CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'";

#[derive(Deserialize)]
struct TokenQuery {
    user: Option<String>,
}

/// `GET /demo/token?user=ada|grace|linus|new`: a signed identity for a sample user, with a
/// verified email (the sample users' accounts exist in the sandbox already, and only a verified
/// email may be linked to an existing account).
pub fn token_routes(secret: Vec<u8>) -> Router {
    Router::new().route(
        "/demo/token",
        get(move |Query(query): Query<TokenQuery>| {
            let secret = secret.clone();
            async move { mint(&secret, query.user.as_deref().unwrap_or("ada")) }
        }),
    )
}

fn mint(secret: &[u8], user: &str) -> Response {
    let (sub, email, name) = match user {
        "ada" => ("demo-ada".to_owned(), "ada@example.com".to_owned(), "Ada"),
        "grace" => (
            "demo-grace".to_owned(),
            "grace@example.com".to_owned(),
            "Grace",
        ),
        "linus" => (
            "demo-linus".to_owned(),
            "linus@example.com".to_owned(),
            "Linus",
        ),
        "new" => {
            let id: u32 = rand::random();
            (
                format!("demo-new-{id}"),
                format!("new-{id}@example.com"),
                "Newcomer",
            )
        }
        _ => {
            return Error::BadRequest("user must be ada, grace, linus or new").into_response();
        }
    };
    let exp = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .saturating_add(TOKEN_LIFETIME)
        .as_secs();
    let claims =
        json!({"sub": sub, "email": email, "name": name, "email_verified": true, "exp": exp});
    match encode(
        &Header::default(),
        &claims,
        &EncodingKey::from_secret(secret),
    ) {
        Ok(token) => {
            let mut response = Json(json!({"token": token})).into_response();
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// How long a content-hashed file may be cached: a year, the longest `max-age` caches honour.
/// Its name changes whenever a byte of it does, so a cached copy is never stale.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// How a file under a stable name is cached: kept, but revalidated before each use, so a new
/// build is seen at once (the demo is rebuilt under the same names).
pub const REVALIDATE: &str = "no-cache";

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

/// Static files from `dir`, each with the `Cache-Control` of [`cache_control`].
fn files(dir: &Path) -> Router {
    Router::new()
        .fallback_service(ServeDir::new(dir))
        .layer(middleware::map_response(
            |uri: Uri, mut response: Response| async move {
                let name = uri.path().rsplit('/').next().unwrap_or_default();
                if response.status().is_success() {
                    response.headers_mut().insert(
                        header::CACHE_CONTROL,
                        HeaderValue::from_static(cache_control(name)),
                    );
                }
                response
            },
        ))
}

/// The demo site from `site`, the built package under `/referrer-dashboard/` and the
/// script-tag build under `/cdn/`.
pub fn site(site: &Path, package: Option<&Path>, cdn: Option<&Path>) -> Router {
    let mut router = Router::new();
    if let Some(package) = package {
        router = router.nest("/referrer-dashboard", files(package));
    }
    if let Some(cdn) = cdn {
        router = router.nest("/cdn", files(cdn));
    }
    // Browsers ask for /favicon.ico on every page; answer with the site's SVG icon, or with
    // nothing (204) when it has none.
    let icon = site.join("favicon.svg");
    router = if icon.is_file() {
        router.route_service("/favicon.ico", ServeFile::new(icon))
    } else {
        router.route("/favicon.ico", get(|| async { StatusCode::NO_CONTENT }))
    };
    router
        .fallback_service(ServeDir::new(site).append_index_html_on_directories(true))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        ))
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
