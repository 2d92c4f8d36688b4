//! The static folders the backend serves (issue 26 item 1, issue 23 item 5): precompressed
//! `.br` / `.gz` when the client accepts them, and nothing from outside the folder: no symlink
//! out, no dotfile. Each test builds its own folder (and its own compressed files) in a
//! temporary directory.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};

use axum::body::Body;
use axum::http::{Request, header};
use common::{app, ask_with};
use referrer_dashboard_server::Overrides;
use referrer_dashboard_server::files::folder;
use tower::ServiceExt;

/// A fresh temporary directory.
fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "rd-static-{name}-{}-{}",
        std::process::id(),
        rand::random::<u32>()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `site/` with `app.js` and its two encodings (told apart by their bytes), and `outside/` with
/// a secret beside it.
fn layout() -> (PathBuf, PathBuf) {
    let top = temp("layout");
    let site = top.join("site");
    let outside = top.join("outside");
    std::fs::create_dir_all(&site).unwrap();
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(site.join("app.js"), "console.log('plain')").unwrap();
    std::fs::write(site.join("app.js.br"), [0x8b, 0x02, 0x80, b'B', b'R']).unwrap();
    std::fs::write(site.join("app.js.gz"), [0x1f, 0x8b, b'G', b'Z']).unwrap();
    std::fs::write(outside.join("secret.txt"), "the host's secret").unwrap();
    (site, outside)
}

/// GET `path` from `dir` with `accept` as `Accept-Encoding`: status, headers, body bytes.
async fn get(dir: &Path, path: &str, accept: Option<&str>) -> (u16, header::HeaderMap, Vec<u8>) {
    let mut request = Request::get(path);
    if let Some(accept) = accept {
        request = request.header(header::ACCEPT_ENCODING, accept);
    }
    let response = folder(dir, true)
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap()
        .to_vec();
    (status, headers, body)
}

fn text(headers: &header::HeaderMap, name: header::HeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

#[tokio::test]
async fn precompressed_files_are_sent_when_accepted_with_their_encoding_and_vary() {
    let (site, _) = layout();
    let (status, headers, body) = get(&site, "/app.js", Some("gzip, deflate, br")).await;
    assert_eq!(status, 200);
    assert_eq!(body, [0x8b, 0x02, 0x80, b'B', b'R'], "brotli preferred");
    assert_eq!(text(&headers, header::CONTENT_ENCODING), Some("br"));
    assert!(
        text(&headers, header::CONTENT_TYPE)
            .unwrap()
            .contains("javascript")
    );
    assert_eq!(text(&headers, header::VARY), Some("accept-encoding"));

    let (_, headers, body) = get(&site, "/app.js", Some("gzip")).await;
    assert_eq!(body, [0x1f, 0x8b, b'G', b'Z']);
    assert_eq!(text(&headers, header::CONTENT_ENCODING), Some("gzip"));
    assert_eq!(text(&headers, header::VARY), Some("accept-encoding"));

    for accept in [None, Some("identity"), Some("br;q=0, gzip;q=0")] {
        let (status, headers, body) = get(&site, "/app.js", accept).await;
        assert_eq!(status, 200);
        assert_eq!(body, b"console.log('plain')", "{accept:?}");
        assert_eq!(text(&headers, header::CONTENT_ENCODING), None);
        assert_eq!(text(&headers, header::VARY), Some("accept-encoding"));
    }
}

/// Before: `/.env` and a symlink to a file outside the folder were served.
#[tokio::test]
async fn dotfiles_and_symlinks_out_of_the_folder_are_not_served() {
    let (site, outside) = layout();
    std::fs::write(site.join(".env"), "REFERRAL_FACTORY_API_KEY=x").unwrap();
    std::fs::create_dir_all(site.join(".git")).unwrap();
    std::fs::write(site.join(".git/config"), "[core]").unwrap();
    symlink(outside.join("secret.txt"), site.join("leak.txt")).unwrap();
    symlink(&outside, site.join("linked")).unwrap();
    // A plain page whose brotli twin is a link out: refused whatever the client accepts.
    std::fs::write(site.join("page.html"), "<p>page</p>").unwrap();
    symlink(outside.join("secret.txt"), site.join("page.html.br")).unwrap();
    for path in [
        "/.env",
        "/%2eenv",
        "/.git/config",
        "/leak.txt",
        "/linked/secret.txt",
        "/linked/",
        "/page.html",
        "/..%2foutside/secret.txt",
    ] {
        let (status, _, body) = get(&site, path, Some("br")).await;
        assert_eq!(status, 404, "{path}: {}", String::from_utf8_lossy(&body));
    }
    // A link that stays inside the folder is an ordinary file.
    symlink(site.join("app.js"), site.join("alias.js")).unwrap();
    let (status, _, body) = get(&site, "/alias.js", None).await;
    assert_eq!(
        (status, body.as_slice()),
        (200, &b"console.log('plain')"[..])
    );
}

/// Before: `DASHBOARD_CDN_DIR` did nothing without `DASHBOARD_SITE_DIR`.
#[tokio::test]
async fn the_cdn_folder_is_served_without_a_site_folder() {
    let (cdn, _) = layout();
    let cdn_arg = cdn.to_string_lossy().into_owned();
    let app = app(&["--cdn-dir", &cdn_arg], Overrides::default()).await;
    let request = Request::get("/cdn/app.js")
        .header(header::ACCEPT_ENCODING, "br")
        .body(Body::empty())
        .unwrap();
    let (status, headers, _) = ask_with(&app.router, request).await;
    assert_eq!(status, 200);
    assert_eq!(text(&headers, header::CONTENT_ENCODING), Some("br"));
    assert_eq!(text(&headers, header::CACHE_CONTROL), Some("no-cache"));
}
