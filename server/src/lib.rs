//! The reference backend of `<referrer-dashboard>`: the host-side endpoint that holds the
//! Referral Factory key and answers the widget with short-lived dashboard sessions (SPEC §5, §6).
//!
//! Run it as a binary beside any app, or mount [`api::endpoint`] in an axum app with your own
//! [`identity::IdentityProvider`]. Without an API key it starts the built-in [`sandbox`], a
//! Referral Factory stand-in, so the demo and the tests run with no account.
//!
//! # Layout
//! - [`config`]: settings from the environment and flags, validated with named errors.
//! - [`api`]: the session endpoint as an axum handler.
//! - [`identity`]: who is asking: HS256 JWTs, or a host's own extractor.
//! - [`dashboard`]: building a session: create-or-fetch, counters, referral pages.
//! - [`session`]: the session JSON, name masking, dates, signed cursors (pure).
//! - [`upstream`]: the Referral Factory client, the only module that sees the key.
//! - [`budget`]: the upstream call budget over any 60 s window.
//! - [`cache`]: per-key TTL cache with shared fetches and stale fallback.
//! - [`limit`]: the per-identity request limit.
//! - [`store`]: SQLite mapping of host users to platform users.
//! - [`error`]: the one error type and its HTTP form.
//! - [`demo`]: demo identities and the demo site.
//! - [`sandbox`]: the Referral Factory stand-in and test instrument.

pub mod api;
pub mod budget;
pub mod cache;
pub mod config;
pub mod dashboard;
pub mod demo;
pub mod error;
pub mod identity;
pub mod limit;
pub mod sandbox;
pub mod session;
pub mod store;
pub mod upstream;

use std::future::Future;
use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderName, Request};
use axum::routing::get;
use tokio::net::TcpListener;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::budget::Budget;
use crate::config::{Config, ConfigError};
use crate::dashboard::Dashboard;
use crate::identity::JwtIdentity;
use crate::session::CursorKey;
use crate::store::{Store, StoreError};
use crate::upstream::ApiKey;

pub use api::ENDPOINT_PATH;

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// A setting is unusable.
    #[error("configuration error: {0}")]
    Config(#[from] ConfigError),
    /// The database could not be opened.
    #[error("{0} (DASHBOARD_DB)")]
    Store(#[from] StoreError),
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
    /// The in-process sandbox, when no key is configured.
    pub sandbox: Option<sandbox::Sandbox>,
}

/// What tests (and unusual deployments) replace in what [`build`] would make.
#[derive(Default)]
pub struct Overrides {
    /// The upstream budget (tests compress its window).
    pub budget: Option<Budget>,
    /// Session and cache lifetime below the configurable minimum (tests let it expire).
    pub ttl: Option<std::time::Duration>,
}

/// The session builder a configuration describes, and the sandbox it started (no key set).
pub struct Backend {
    /// The session builder.
    pub dashboard: Arc<Dashboard>,
    /// The HS256 secret identity tokens are checked with (random in sandbox mode without one).
    pub jwt_secret: Vec<u8>,
    /// The in-process sandbox, when no key is configured.
    pub sandbox: Option<sandbox::Sandbox>,
}

/// Builds the session builder from `config`: the sandbox when no key is set, the platform
/// client, its budget and the database. Rust hosts call this and mount [`api::router`] with
/// their own identity provider.
///
/// # Errors
/// A [`StartError`] naming what is misconfigured.
pub async fn backend(config: &Config, mut overrides: Overrides) -> Result<Backend, StartError> {
    config.validate()?;
    let (key, api_url, campaign_id, sandbox) = match &config.api_key {
        Some(key) => (
            ApiKey::new(key.clone()),
            config.api_url.clone(),
            config.campaign_id.unwrap_or_default(),
            None,
        ),
        None => {
            let key = ["rf_sandbox_", &random_hex(16)].concat();
            let sandbox = sandbox::Sandbox::spawn(
                TcpListener::bind(("127.0.0.1", 0)).await?,
                sandbox::Options {
                    key: key.clone(),
                    campaign_id: SANDBOX_CAMPAIGN,
                    seeds: sandbox::data::demo_seeds(),
                },
            )
            .await?;
            (
                ApiKey::new(key),
                sandbox.api_url(),
                SANDBOX_CAMPAIGN,
                Some(sandbox),
            )
        }
    };
    let jwt_secret = config
        .jwt_secret
        .clone()
        .map(String::into_bytes)
        .unwrap_or_else(|| random_hex(32).into_bytes());
    let budget = Arc::new(
        overrides
            .budget
            .take()
            .unwrap_or_else(|| Budget::per_minute(config.upstream_budget_per_min)),
    );
    let upstream = upstream::Client::new(&api_url, key, campaign_id, budget.clone())?;
    let dashboard = Arc::new(Dashboard::new(dashboard::Parts {
        upstream,
        budget,
        store: Store::open(&config.db)?,
        ttl: overrides.ttl.unwrap_or_else(|| config.session_ttl()),
        cursors: CursorKey::derive(&jwt_secret),
        requests_per_min: config.requests_per_min,
    }));
    Ok(Backend {
        dashboard,
        jwt_secret,
        sandbox,
    })
}

/// Builds the application: [`backend`], the endpoint with JWT identities, `/healthz`, the demo
/// routes (sandbox only), the site, CORS and request ids.
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
    let Backend {
        dashboard,
        jwt_secret,
        sandbox,
    } = backend(config, overrides).await?;
    let mut router = api::router(dashboard.clone(), JwtIdentity::new(&jwt_secret))
        .route("/healthz", get(|| async { "ok" }));
    if sandbox.is_some() {
        router = router.merge(demo::token_routes(jwt_secret));
    }
    if let Some(site) = &config.site_dir {
        router = router.merge(demo::site(site, config.package_dir.as_deref()));
    }
    if !config.cors_origins.is_empty() {
        router = router.layer(cors(&config.cors_origins));
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
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid));
    Ok(App {
        router,
        dashboard,
        sandbox,
    })
}

/// The sandbox's one campaign.
pub const SANDBOX_CAMPAIGN: u64 = 1;

fn cors(origins: &[String]) -> CorsLayer {
    let origins: Vec<_> = origins.iter().filter_map(|o| o.parse().ok()).collect();
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins))
        .allow_methods([axum::http::Method::GET])
        .allow_headers([
            axum::http::header::AUTHORIZATION,
            axum::http::header::ACCEPT,
        ])
        .allow_credentials(true)
        .max_age(std::time::Duration::from_secs(600))
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
    axum::serve(listener, app.router)
        .with_graceful_shutdown(shutdown)
        .await?;
    Ok(())
}

/// `n` random bytes as hex.
pub fn random_hex(n: usize) -> String {
    (0..n)
        .map(|_| format!("{:02x}", rand::random::<u8>()))
        .collect()
}
