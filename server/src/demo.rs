//! The demo: identity tokens for sample users (only in sandbox mode, signed with a secret made
//! for this process alone, so they are worthless to any other server) and the demo site with
//! the built package, under the strict CSP of SPEC §4.

use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::extract::Query;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use jsonwebtoken::{EncodingKey, Header, encode};
use serde::Deserialize;
use serde_json::json;
use tower_http::services::ServeFile;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::error::Error;
use crate::files;

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

/// The demo site from `site`, the built package under `/referrer-dashboard/` and the
/// script-tag build under `/cdn/`, each a guarded, precompressed [`files::folder`]. Any of them
/// may be absent: a host that serves only the script-tag build sets `DASHBOARD_CDN_DIR` alone.
pub fn site(site: Option<&Path>, package: Option<&Path>, cdn: Option<&Path>) -> Router {
    let mut router = Router::new();
    if let Some(package) = package {
        router = router.nest("/referrer-dashboard", files::folder(package, false));
    }
    if let Some(cdn) = cdn {
        router = router.nest("/cdn", files::folder(cdn, false));
    }
    if let Some(site) = site {
        // Browsers ask for /favicon.ico on every page; answer with the site's SVG icon, or
        // with nothing (204) when it has none.
        let icon = site.join("favicon.svg");
        router = if icon.is_file() {
            router.route_service("/favicon.ico", ServeFile::new(icon))
        } else {
            router.route("/favicon.ico", get(|| async { StatusCode::NO_CONTENT }))
        };
        router = router.fallback_service(files::folder(site, true));
    }
    router.layer(SetResponseHeaderLayer::if_not_present(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    ))
}
