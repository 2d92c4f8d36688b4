//! `GET /metrics` (the recorder's text, [`crate::telemetry::metrics`]) behind its optional bearer
//! token, and the middleware that times every request.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics::histogram;
use subtle::ConstantTimeEq;

use crate::dashboard::SessionBuilder;
use crate::telemetry::metrics::{REQUEST_SECONDS, dependencies, text};

/// Middleware: each request's latency by method, route (the route pattern, never the raw path
/// with its ids and query) and status.
pub async fn track(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().as_str().to_owned();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "other".to_owned(), |p| p.as_str().to_owned());
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    histogram!(REQUEST_SECONDS, "method" => method, "route" => route, "status" => status)
        .record(started.elapsed().as_secs_f64());
    response
}

/// Who may read `/metrics`: anyone who reaches it, or only with this bearer token.
#[derive(Clone)]
pub struct Access {
    /// SHA-256 of the token, compared in constant time.
    token: Option<[u8; 32]>,
}

impl Access {
    /// Open when `token` is `None` (keep the route private at the proxy then), else only with
    /// `Authorization: Bearer <token>`.
    pub fn new(token: Option<&str>) -> Self {
        use sha2::{Digest, Sha256};
        Self {
            token: token.map(|t| Sha256::digest(t.as_bytes()).into()),
        }
    }

    fn allows(&self, request: &axum::http::HeaderMap) -> bool {
        use sha2::{Digest, Sha256};
        let Some(expected) = &self.token else {
            return true;
        };
        let given = request
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or_default();
        let given: [u8; 32] = Sha256::digest(given.as_bytes()).into();
        bool::from(given.ct_eq(expected))
    }
}

/// `GET /metrics`: the dependencies asked now, then every metric in the Prometheus text format
/// (version 0.0.4). 401 without the token when one is configured.
pub async fn render(
    sessions: Arc<SessionBuilder>,
    access: Access,
    headers: axum::http::HeaderMap,
) -> Response {
    if !access.allows(&headers) {
        let mut response = StatusCode::UNAUTHORIZED.into_response();
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        return response;
    }
    let store = sessions.store_reachable().await.is_ok();
    let redis = sessions.backing().check().await.map(|r| r.is_ok());
    dependencies(store, redis);
    let mut response = text().into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
