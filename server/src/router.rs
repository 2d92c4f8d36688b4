//! The binary's router: its routes, and the layers every request passes through (request ids,
//! the request's log span, the body limit, the timeout, shedding past the concurrency limit,
//! CORS). A host that mounts [`crate::api::router`] in its own app brings its own.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::error_handling::HandleErrorLayer;
use axum::http::{HeaderName, Request, StatusCode, header};
use axum::middleware;
use axum::response::IntoResponse;
use axum::routing::get;
use tower::ServiceBuilder;
use tower::limit::GlobalConcurrencyLimitLayer;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::client_addr::{TrustedProxies, name_client};
use crate::config::Config;
use crate::connections::{MAX_CONNECTIONS, MAX_CONNECTIONS_PER_ADDRESS};
use crate::dashboard::SessionBuilder;
use crate::error::Error;
use crate::identity::JwtIdentity;
use crate::ops::metrics;
use crate::ops::ready::{self, Readiness};
use crate::{api, demo, health, webhook};

/// The longest a client may take to send a request's headers: slow-header clients (slowloris)
/// hold a connection each, and are closed after this.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// The longest any request may take, everything included (the session endpoint answers within
/// its own, shorter [`api::DEADLINE`]).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);

/// Requests handled at once; more are answered 503 at once rather than queued without end.
pub const MAX_CONCURRENT_REQUESTS: usize = 512;

/// The largest request body accepted: the endpoint takes none, a webhook a few fields.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// The header that carries each request's id: kept when the client (or a proxy) sends one, made
/// up otherwise, and sent back with the answer.
pub const REQUEST_ID: &str = "x-request-id";

/// The HTTP limits (SPEC §6), each defaulting to its constant. Tests shrink them; the binary
/// takes the connection caps from its configuration ([`Limits::configured`]).
#[derive(Debug, Clone)]
pub struct Limits {
    /// See [`HEADER_READ_TIMEOUT`].
    pub header_read_timeout: Duration,
    /// See [`REQUEST_TIMEOUT`].
    pub request_timeout: Duration,
    /// See [`MAX_CONCURRENT_REQUESTS`].
    pub max_concurrent_requests: usize,
    /// See [`MAX_BODY_BYTES`].
    pub max_body_bytes: usize,
    /// Connections open at once, at most ([`crate::connections`]; lowered to what the
    /// open-file limit leaves). See [`MAX_CONNECTIONS`].
    pub max_connections: usize,
    /// Connections open at once from one peer address, at most (0: no cap per address). See
    /// [`MAX_CONNECTIONS_PER_ADDRESS`].
    pub max_connections_per_address: usize,
    /// Peers not capped per address: reverse proxies, whose connections carry many clients.
    pub trusted_proxies: TrustedProxies,
}

impl Limits {
    /// The defaults, with the connection caps and trusted proxies of `config`.
    pub fn configured(config: &Config) -> Self {
        Self {
            max_connections: config.max_connections(),
            max_connections_per_address: config.max_connections_per_address(),
            trusted_proxies: TrustedProxies::new(config.trusted_proxies.iter().copied()),
            ..Self::default()
        }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            header_read_timeout: HEADER_READ_TIMEOUT,
            request_timeout: REQUEST_TIMEOUT,
            max_concurrent_requests: MAX_CONCURRENT_REQUESTS,
            max_body_bytes: MAX_BODY_BYTES,
            max_connections: MAX_CONNECTIONS,
            max_connections_per_address: MAX_CONNECTIONS_PER_ADDRESS,
            trusted_proxies: TrustedProxies::default(),
        }
    }
}

/// The binary's routes for `config`: the session endpoint with JWT identities, `/healthz`, the
/// demo token route (sandbox only, with `demo_secret`), the webhook (when configured), the
/// site, with [`layers`] around them all.
pub fn router(
    config: &Config,
    sessions: Arc<SessionBuilder>,
    identity: JwtIdentity,
    demo_secret: Option<Vec<u8>>,
    sandbox_mode: bool,
    limits: Limits,
) -> Router {
    let mode = if sandbox_mode { "sandbox" } else { "platform" };
    let health = sessions.clone();
    let mut router = api::router(sessions.clone(), identity).route(
        "/healthz",
        get(move || health::healthz(health.clone(), mode)),
    );
    if let Some(secret) = demo_secret {
        router = router.merge(demo::token_routes(secret));
    }
    if let Some(secret) = &config.webhook_secret {
        router = router.merge(webhook::router(sessions, secret));
    }
    if config.site_dir.is_some() || config.package_dir.is_some() || config.cdn_dir.is_some() {
        router = router.merge(demo::site(
            config.site_dir.as_deref(),
            config.package_dir.as_deref(),
            config.cdn_dir.as_deref(),
        ));
    }
    if !config.cors_origins.is_empty() {
        router = router.layer(cors(&config.cors_origins, config.cors_credentials));
    }
    let trusted = TrustedProxies::new(config.trusted_proxies.iter().copied());
    let router = router.layer(middleware::from_fn_with_state(trusted, name_client));
    layers(router, limits)
}

/// The layers of every request, outermost last: shedding past the concurrency limit, the
/// timeout, the body limit, the request id, the log span, and catching a handler's panic.
pub fn layers(router: Router, limits: Limits) -> Router {
    let request_id = HeaderName::from_static(REQUEST_ID);
    router
        .layer(CatchPanicLayer::new())
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|request: &Request<_>| {
                    let id = request
                        .headers()
                        .get(REQUEST_ID)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("-");
                    // Method and path only: query strings carry cursors, headers carry tokens.
                    tracing::info_span!("request", id, method = %request.method(), path = %request.uri().path())
                })
                // One access line per request at info; refusals summarised (telemetry::access).
                .on_response(|response: &axum::http::Response<_>, latency, _: &tracing::Span| {
                    crate::telemetry::access::log(response, latency);
                }),
        )
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
        .layer(middleware::map_request(plain_request_id))
        .layer(RequestBodyLimitLayer::new(limits.max_body_bytes))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            limits.request_timeout,
        ))
        .layer(
            ServiceBuilder::new()
                .layer(HandleErrorLayer::new(|_: tower::BoxError| async {
                    Error::Overloaded.into_response()
                }))
                .load_shed()
                .layer(GlobalConcurrencyLimitLayer::new(
                    limits.max_concurrent_requests,
                )),
        )
}

/// The longest request id kept from a client or proxy (a UUID is 36 characters).
const MAX_REQUEST_ID_LEN: usize = 64;

/// Drops a client's `x-request-id` that is long or not plain (letters, digits, `-`, `_`, `.`,
/// `:`), so it is replaced with a fresh one: it goes into every log line of the request and
/// back in the answer, where control characters or kilobytes of text have no business.
async fn plain_request_id<B>(mut request: Request<B>) -> Request<B> {
    let plain = request.headers().get(REQUEST_ID).is_none_or(|id| {
        id.len() <= MAX_REQUEST_ID_LEN
            && !id.is_empty()
            && id
                .as_bytes()
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(b))
    });
    if !plain {
        request.headers_mut().remove(REQUEST_ID);
    }
    request
}

/// The operations routes around `router`: `/readyz` and `/metrics` (outside the limits and the
/// access log: probes and scrapes must not be shed, nor fill the log), the latency of every
/// request, and `Connection: close` on every answer while draining.
pub fn operations(
    router: Router,
    config: &Config,
    sessions: Arc<SessionBuilder>,
    readiness: &Readiness,
) -> Router {
    let (ready, draining) = (readiness.clone(), readiness.clone());
    let scrape = sessions.clone();
    let access = metrics::Access::new(config.ops.metrics_token.as_deref());
    router
        .route(
            "/readyz",
            get(move || ready::readyz(sessions.clone(), ready.clone())),
        )
        .route(
            "/metrics",
            get(move |headers| metrics::render(scrape.clone(), access.clone(), headers)),
        )
        .layer(axum::middleware::from_fn(metrics::track))
        .layer(axum::middleware::from_fn(move |request, next| {
            ready::close_while_draining(draining.clone(), request, next)
        }))
}

/// CORS for `origins` (compared case-insensitively). Cookies only when `credentials`: the
/// endpoint authenticates with a bearer token, and allowing credentials without need would let
/// every listed origin make requests with the user's cookies for this host.
fn cors(origins: &[String], credentials: bool) -> CorsLayer {
    let origins: Vec<String> = origins.iter().map(|o| o.to_ascii_lowercase()).collect();
    CorsLayer::new()
        .allow_origin(AllowOrigin::predicate(move |origin, _| {
            origin.to_str().is_ok_and(|o| {
                origins
                    .iter()
                    .any(|allowed| allowed.eq_ignore_ascii_case(o))
            })
        }))
        .allow_methods([axum::http::Method::GET])
        .allow_headers([header::AUTHORIZATION, header::ACCEPT])
        .expose_headers([header::RETRY_AFTER])
        .allow_credentials(credentials)
        .max_age(Duration::from_secs(600))
}
