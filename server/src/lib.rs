//! The reference backend of `<referrer-dashboard>`: the host-side endpoint that holds the
//! Referral Factory key and answers the widget with short-lived dashboard sessions (SPEC §5, §6).
//!
//! Run it as a binary beside any app, or mount [`api::endpoint`] in an axum app with your own
//! [`identity::IdentityProvider`]. With `--sandbox` (and only then) it starts the built-in
//! [`sandbox`], a Referral Factory stand-in, so the demo and the tests run with no account.
//!
//! # Layout
//! - [`config`]: settings from the environment and flags, validated with named errors.
//! - [`api`]: the session endpoint as an axum handler.
//! - [`identity`]: who is asking: HS256 JWTs, or a host's own extractor.
//! - [`dashboard`]: building a session: create-or-fetch, counters, referral pages.
//! - [`session`]: the session JSON, name masking, dates, signed cursors (pure).
//! - [`upstream`]: the Referral Factory client, the only module that sees the key.
//! - [`webhook`]: the platform's webhooks, dropping the cached data of the referrer they name.
//! - [`budget`]: the upstream call budget over any 60 s window.
//! - [`cache`]: per-key TTL cache with shared fetches and stale fallback.
//! - [`limit`]: the per-identity, per-address and new-user request limits.
//! - [`store`]: the mapping of host users to platform users (SQLite, or PostgreSQL).
//! - [`shared`]: budget, caches and limits in Redis, for several instances.
//! - [`error`]: the one error type and its HTTP form.
//! - [`personal`], [`dates`], [`retry_after`]: leaves every layer may use (emails and subjects
//!   as compared, stored and logged; platform dates; `Retry-After`).
//! - [`demo`]: demo identities and the demo site.
//! - [`sandbox`]: the Referral Factory stand-in and test instrument.

pub mod api;
pub mod budget;
pub mod cache;
pub mod config;
pub mod dashboard;
pub mod dates;
pub mod demo;
pub mod error;
pub mod identity;
pub mod limit;
pub mod personal;
pub mod retry_after;
pub mod sandbox;
pub mod session;
pub mod shared;
pub mod store;
pub mod upstream;
pub mod webhook;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::error_handling::HandleErrorLayer;
use axum::http::{HeaderName, HeaderValue, Request, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use tokio::net::TcpListener;
use tower::ServiceBuilder;
use tower::limit::GlobalConcurrencyLimitLayer;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::budget::Budget;
use crate::config::{Config, ConfigError};
use crate::dashboard::Dashboard;
use crate::identity::JwtIdentity;
use crate::session::CursorKey;
use crate::shared::{Shared, Unavailable};
use crate::store::{Store, StoreError};
use crate::upstream::ApiKey;

pub use api::ENDPOINT_PATH;

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

/// How long in-flight requests may finish after a shutdown signal.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(15);

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// A setting is unusable.
    #[error("configuration error: {0}")]
    Config(#[from] ConfigError),
    /// The database could not be opened.
    #[error("{0} (DASHBOARD_DB)")]
    Store(#[from] StoreError),
    /// Redis could not be reached.
    #[error("{0} (DASHBOARD_REDIS_URL)")]
    Redis(#[from] Unavailable),
    /// The HTTP client could not be built.
    #[error("could not initialise the HTTP client: {0}")]
    Http(#[from] reqwest::Error),
    /// A socket failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// Everything `run` builds from the configuration.
pub struct App {
    /// The router to serve.
    pub router: Router,
    /// The session builder (for hosts that mount the endpoint themselves).
    pub dashboard: Arc<Dashboard>,
    /// The in-process sandbox, in sandbox mode.
    pub sandbox: Option<sandbox::Sandbox>,
}

/// The HTTP limits (SPEC §6), each defaulting to its constant above. Tests shrink them.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// See [`HEADER_READ_TIMEOUT`].
    pub header_read_timeout: Duration,
    /// See [`REQUEST_TIMEOUT`].
    pub request_timeout: Duration,
    /// See [`MAX_CONCURRENT_REQUESTS`].
    pub max_concurrent_requests: usize,
    /// See [`MAX_BODY_BYTES`].
    pub max_body_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            header_read_timeout: HEADER_READ_TIMEOUT,
            request_timeout: REQUEST_TIMEOUT,
            max_concurrent_requests: MAX_CONCURRENT_REQUESTS,
            max_body_bytes: MAX_BODY_BYTES,
        }
    }
}

/// What tests (and unusual deployments) replace in what [`build`] would make.
#[derive(Default)]
pub struct Overrides {
    /// The HTTP limits of the router (the header timeout is [`serve_with`]'s).
    pub limits: Limits,
    /// The upstream budget (tests compress its window).
    pub budget: Option<Budget>,
    /// Session and cache lifetime below the configurable minimum (tests let it expire).
    pub ttl: Option<std::time::Duration>,
    /// Options of the sandbox started in sandbox mode (tests seed it differently).
    pub sandbox: Option<sandbox::Options>,
}

/// The session builder a configuration describes, and the sandbox it started (sandbox mode).
pub struct Backend {
    /// The session builder.
    pub dashboard: Arc<Dashboard>,
    /// Checks identity tokens: `DASHBOARD_JWT_SECRET`, and in sandbox mode also the demo
    /// tokens' own secret.
    pub identity: JwtIdentity,
    /// The secret the sandbox's demo tokens are signed with: random for each process, never
    /// the configured one, so a demo token is worth nothing anywhere else.
    pub demo_secret: Option<Vec<u8>>,
    /// The in-process sandbox, in sandbox mode.
    pub sandbox: Option<sandbox::Sandbox>,
}

/// Builds the session builder from `config`: the sandbox (sandbox mode) or the platform client,
/// its budget and the database. Rust hosts call this and mount [`api::router`] with their own
/// identity provider.
///
/// # Errors
/// A [`StartError`] naming what is misconfigured.
pub async fn backend(config: &Config, mut overrides: Overrides) -> Result<Backend, StartError> {
    config.validate()?;
    let (key, api_url, campaign_id, sandbox) = match config.api_key()? {
        Some(key) => (
            ApiKey::new(key),
            config.api_url.clone(),
            config.campaign_id.unwrap_or_default(),
            None,
        ),
        None => {
            let key = ["rf_sandbox_", &random_hex(16)].concat();
            let options = overrides
                .sandbox
                .take()
                .unwrap_or_else(|| sandbox::Options {
                    key: String::new(),
                    campaign_id: SANDBOX_CAMPAIGN,
                    seeds: sandbox::data::demo_seeds(),
                });
            let campaign_id = options.campaign_id;
            let sandbox = sandbox::Sandbox::spawn(
                TcpListener::bind(("127.0.0.1", 0)).await?,
                sandbox::Options {
                    key: key.clone(),
                    ..options
                },
            )
            .await?;
            (
                ApiKey::new(key),
                sandbox.api_url(),
                campaign_id,
                Some(sandbox),
            )
        }
    };
    let demo_secret = sandbox.is_some().then(|| random_hex(32).into_bytes());
    // The configured secret when there is one; in sandbox mode without one, the demo secret.
    let secret = config
        .jwt_secret
        .clone()
        .map(String::into_bytes)
        .or_else(|| demo_secret.clone())
        .unwrap_or_else(|| random_hex(32).into_bytes());
    let mut identity = JwtIdentity::new(&secret);
    if let Some(demo) = &demo_secret
        && config.jwt_secret.is_some()
    {
        identity = identity.also_accepting(demo);
    }
    if let Some(audience) = &config.jwt_audience {
        identity = identity.audience(audience);
    }
    if let Some(issuer) = &config.jwt_issuer {
        identity = identity.issuer(issuer);
    }
    let shared = match &config.redis_url {
        Some(url) => Some(Shared::connect(url).await?),
        None => None,
    };
    let mut budget = overrides.budget.take().unwrap_or_else(|| {
        let budget = match config.test_budget_window_ms {
            Some(ms) => budget::Budget::new(
                budget::Window::new(
                    config.upstream_budget_per_min,
                    Duration::from_millis(ms),
                    TEST_WINDOW_MARGIN,
                ),
                budget::MAX_QUEUE_WAIT,
            ),
            None => Budget::per_minute(config.upstream_budget_per_min),
        };
        budget.with_allowance(config.upstream_per_user_per_min)
    });
    if let Some(shared) = &shared {
        budget = budget.with_shared(shared.clone());
    }
    let budget = Arc::new(budget);
    let upstream = upstream::Client::new(&api_url, key, campaign_id, budget.clone())?;
    let dashboard = Arc::new(Dashboard::new(dashboard::Parts {
        upstream,
        budget,
        store: Store::connect(&config.database()).await?,
        ttl: overrides.ttl.unwrap_or_else(|| config.session_ttl()),
        cache_ttl: overrides.ttl.unwrap_or_else(|| config.cache_ttl()),
        cursors: CursorKey::derive(&secret),
        requests_per_min: config.requests_per_min,
        new_users_per_min: config.new_users_per_min,
        shared,
    }));
    Ok(Backend {
        dashboard,
        identity,
        demo_secret,
        sandbox,
    })
}

/// Builds the application: [`backend`], the endpoint with JWT identities, `/healthz`, the demo
/// routes (sandbox only), the site, and the HTTP limits, CORS and request ids around them.
///
/// # Errors
/// A [`StartError`] naming what is misconfigured.
pub async fn build(config: &Config) -> Result<App, StartError> {
    build_with(config, Overrides::default()).await
}

/// [`build`] with `overrides`.
///
/// # Errors
/// A [`StartError`] naming what is misconfigured.
pub async fn build_with(config: &Config, overrides: Overrides) -> Result<App, StartError> {
    let limits = overrides.limits;
    let Backend {
        dashboard,
        identity,
        demo_secret,
        sandbox,
    } = backend(config, overrides).await?;
    let mode = if sandbox.is_some() {
        "sandbox"
    } else {
        "platform"
    };
    let health = dashboard.clone();
    let mut router = api::router(dashboard.clone(), identity)
        .route("/healthz", get(move || healthz(health.clone(), mode)));
    if let Some(secret) = demo_secret {
        router = router.merge(demo::token_routes(secret));
    }
    if let Some(secret) = &config.webhook_secret {
        router = router.merge(webhook::router(dashboard.clone(), secret));
    }
    if let Some(site) = &config.site_dir {
        router = router.merge(demo::site(
            site,
            config.package_dir.as_deref(),
            config.cdn_dir.as_deref(),
        ));
    }
    if !config.cors_origins.is_empty() {
        router = router.layer(cors(&config.cors_origins, config.cors_credentials));
    }
    let request_id = HeaderName::from_static("x-request-id");
    let router = router
        .layer(CatchPanicLayer::new())
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|request: &Request<_>| {
                    let id = request
                        .headers()
                        .get("x-request-id")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("-");
                    // Method and path only: query strings carry cursors, headers carry tokens.
                    tracing::info_span!("request", id, method = %request.method(), path = %request.uri().path())
                })
                // Every request is counted at debug; refusals and failures are logged where
                // they happen, at the level they deserve.
                .on_response(DefaultOnResponse::new().level(Level::DEBUG)),
        )
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
        .layer(RequestBodyLimitLayer::new(limits.max_body_bytes))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            limits.request_timeout,
        ))
        .layer(
            ServiceBuilder::new()
                .layer(HandleErrorLayer::new(|_: tower::BoxError| async {
                    overloaded()
                }))
                .load_shed()
                .layer(GlobalConcurrencyLimitLayer::new(
                    limits.max_concurrent_requests,
                )),
        );
    Ok(App {
        router,
        dashboard,
        sandbox,
    })
}

/// The margin of a compressed test window (`DASHBOARD_TEST_BUDGET_WINDOW_MS`): the production
/// one, unscaled. It covers the time between a grant and the platform counting the call, which
/// does not shrink with the window (with several processes on two loaded cores, more than the
/// 300 ms `server/tests/budget.rs` gives one in-process server has been seen).
const TEST_WINDOW_MARGIN: Duration = budget::SAFETY_MARGIN;

/// `/healthz`: 200 `{"status": "ok", ...}`, or 503 `{"status": "degraded", "reason": ...}` while
/// Redis (shared state) is unreachable; asks Redis each time, so it also sees it come back.
async fn healthz(dashboard: Arc<Dashboard>, mode: &'static str) -> axum::response::Response {
    let mut body = serde_json::json!({
        "status": "ok",
        "mode": mode,
        "store": dashboard.store_engine(),
        "upstream": dashboard.upstream_health(),
    });
    let mut status = StatusCode::OK;
    if let Some(shared) = dashboard.shared() {
        match shared.ping().await {
            Ok(()) => body["shared"] = serde_json::json!({"redis": "reachable"}),
            Err(why) => {
                status = StatusCode::SERVICE_UNAVAILABLE;
                body["status"] = "degraded".into();
                body["reason"] = format!(
                    "{why}; answering from this instance's copies (stale) and refusing new upstream calls"
                )
                .into();
                body["shared"] = serde_json::json!({"redis": "unreachable"});
            }
        }
    }
    (status, axum::Json(body)).into_response()
}

/// The answer when [`MAX_CONCURRENT_REQUESTS`] are in flight.
fn overloaded() -> axum::response::Response {
    let body = axum::Json(
        serde_json::json!({"error": {"type": "server", "message": "the server is busy; try again"}}),
    );
    let mut response = (StatusCode::SERVICE_UNAVAILABLE, body).into_response();
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    response
}

/// The sandbox's one campaign.
pub const SANDBOX_CAMPAIGN: u64 = 1;

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

/// Serves the application on `listener` until `shutdown` completes, then drains requests.
///
/// # Errors
/// A [`StartError`] when the configuration is unusable or serving fails.
pub async fn run(
    listener: TcpListener,
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), StartError> {
    let app = build(&config).await?;
    serve(listener, app.router, shutdown).await?;
    Ok(())
}

/// [`serve_with`] the default [`Limits`].
///
/// # Errors
/// When the listener fails for good.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_with(listener, router, shutdown, Limits::default()).await
}

/// Serves `router` on `listener` over HTTP/1.1 until `shutdown` completes, then lets requests
/// in flight finish (up to 15 s).
///
/// Unlike `axum::serve`, it closes a connection whose request headers do not arrive within
/// [`HEADER_READ_TIMEOUT`], so slow or half-open clients cannot hold connections for ever, and
/// it gives handlers the client's address (`ConnectInfo<SocketAddr>`) for per-address limits.
///
/// # Errors
/// When the listener fails for good.
pub async fn serve_with(
    listener: TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
    limits: Limits,
) -> std::io::Result<()> {
    use hyper_util::rt::{TokioIo, TokioTimer};
    use hyper_util::server::graceful::GracefulShutdown;
    use hyper_util::service::TowerToHyperService;
    use tower::Service;

    let mut make_service = router.into_make_service_with_connect_info::<SocketAddr>();
    let graceful = GracefulShutdown::new();
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .keep_alive(true);
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors, or a connection reset before it was accepted:
                    // wait a moment rather than spin, and go on.
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Ok(service) = make_service.call(peer).await;
        let connection =
            builder.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%error, "connection ended with an error");
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(DRAIN_TIMEOUT, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("requests still running after the drain timeout were cut off");
    }
    Ok(())
}
/// `n` random bytes as hex.
pub fn random_hex(n: usize) -> String {
    (0..n)
        .map(|_| format!("{:02x}", rand::random::<u8>()))
        .collect()
}
