//! The composition root: a [`Config`] becomes the parts of a running server. Everything is
//! chosen here, once: the platform or the sandbox, the identity checks, the database, and where
//! the shared facilities keep their state ([`Backing`]: this process, or Redis for every
//! instance). Nothing below asks again.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use tokio::net::TcpListener;

use crate::backing::Backing;
use crate::budget::{self, Budget, Window};
use crate::config::{Config, ConfigError};
use crate::dashboard::{Components, SessionBuilder};
use crate::identity::JwtIdentity;
use crate::ops::ready::Readiness;
use crate::router::{self, Limits};
use crate::sandbox;
use crate::seam::Unavailable;
use crate::session::CursorKey;
use crate::store::{Store, StoreError};
use crate::upstream::{self, ApiKey};

/// The sandbox's one campaign.
pub const SANDBOX_CAMPAIGN: u64 = 1;

/// The margin of a compressed test window (`DASHBOARD_TEST_BUDGET_WINDOW_MS`): the production
/// one, unscaled. It covers the time between a grant and the platform counting the call, which
/// does not shrink with the window (several processes on two loaded cores).
const TEST_WINDOW_MARGIN: Duration = budget::SAFETY_MARGIN;

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

/// What tests (and unusual deployments) replace in what [`build`] would make.
#[derive(Default)]
pub struct Overrides {
    /// The HTTP limits of the router (the header timeout and the connection caps are
    /// [`crate::serve_with`]'s).
    pub limits: Limits,
    /// The upstream budget, as given (tests compress its window); made on the configured
    /// backing when absent.
    pub budget: Option<Budget>,
    /// Session and cache lifetime below the configurable minimum (tests let it expire).
    pub ttl: Option<Duration>,
    /// Options of the sandbox started in sandbox mode (tests seed it differently).
    pub sandbox: Option<sandbox::Options>,
}

/// The session builder a configuration describes, and what it comes with.
pub struct Backend {
    /// The session builder.
    pub sessions: Arc<SessionBuilder>,
    /// Checks identity tokens: `DASHBOARD_JWT_SECRET`, and in sandbox mode also the demo
    /// tokens' own secret.
    pub identity: JwtIdentity,
    /// The secret the sandbox's demo tokens are signed with: random for each process, never
    /// the configured one, so a demo token is worth nothing anywhere else.
    pub demo_secret: Option<Vec<u8>>,
    /// The in-process sandbox, in sandbox mode.
    pub sandbox: Option<sandbox::Sandbox>,
    /// The platform's key as the client sends it (not in sandbox mode), for reading a rotated
    /// key file again ([`crate::ops::secrets`]).
    pub key: Option<ApiKey>,
}

/// Everything [`build`] makes from the configuration.
pub struct App {
    /// The router to serve.
    pub router: Router,
    /// The session builder (for hosts that mount the endpoint themselves).
    pub sessions: Arc<SessionBuilder>,
    /// The in-process sandbox, in sandbox mode.
    pub sandbox: Option<sandbox::Sandbox>,
    /// The platform's key (see [`Backend::key`]).
    pub key: Option<ApiKey>,
    /// Whether this instance is draining: [`Readiness::after`] turns the shutdown signal into
    /// the drain `/readyz` reports.
    pub readiness: Readiness,
}

/// Where the platform is: its URL, the key, the campaign, and the sandbox standing in for it.
struct Platform {
    key: ApiKey,
    api_url: url::Url,
    campaign_id: u64,
    sandbox: Option<sandbox::Sandbox>,
}

/// The platform a configuration names: the real one with its key, or (sandbox mode) a sandbox
/// started here, with a key of this process alone.
async fn platform(
    config: &Config,
    options: Option<sandbox::Options>,
) -> Result<Platform, StartError> {
    if let Some(key) = config.api_key()? {
        return Ok(Platform {
            key: ApiKey::new(key),
            api_url: config.api_url.clone(),
            campaign_id: config.campaign_id.unwrap_or_default(),
            sandbox: None,
        });
    }
    let key = ["rf_sandbox_", &random_hex(16)].concat();
    let options = options.unwrap_or_else(|| sandbox::Options {
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
    Ok(Platform {
        key: ApiKey::new(key),
        api_url: sandbox.api_url(),
        campaign_id,
        sandbox: Some(sandbox),
    })
}

/// The upstream budget `config` asks for, on `backing`, with each subject's allowance.
fn budget(config: &Config, backing: &Backing) -> Budget {
    let window = match config.test_budget_window_ms {
        Some(ms) => Window::new(
            config.upstream_budget_per_min,
            Duration::from_millis(ms),
            TEST_WINDOW_MARGIN,
        ),
        None => Window::new(
            config.upstream_budget_per_min,
            budget::WINDOW,
            budget::SAFETY_MARGIN,
        ),
    };
    Budget::over(backing.call_log(window), budget::MAX_QUEUE_WAIT)
        .with_allowance(backing.limiter(budget::allowance(config.upstream_per_user_per_min)))
}

/// Builds the session builder from `config`: the sandbox (sandbox mode) or the platform client,
/// its budget, the database, and the backing of the shared facilities. Rust hosts call this and
/// mount [`crate::api::router`] with their own identity provider.
///
/// # Errors
/// A [`StartError`] naming what is misconfigured.
pub async fn backend(config: &Config, mut overrides: Overrides) -> Result<Backend, StartError> {
    config.validate()?;
    let platform = platform(config, overrides.sandbox.take()).await?;
    let demo_secret = platform
        .sandbox
        .is_some()
        .then(|| random_hex(32).into_bytes());
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
    if let Some(previous) = &config.ops.jwt_secret_previous {
        identity = identity.also_accepting(previous.as_bytes());
    }
    if let Some(audience) = &config.jwt_audience {
        identity = identity.audience(audience);
    }
    if let Some(issuer) = &config.jwt_issuer {
        identity = identity.issuer(issuer);
    }
    let backing = Backing::connect(config.redis_url.as_deref()).await?;
    let budget = Arc::new(
        overrides
            .budget
            .take()
            .unwrap_or_else(|| budget(config, &backing)),
    );
    let key = platform.sandbox.is_none().then(|| platform.key.clone());
    let upstream = upstream::Client::new(
        &platform.api_url,
        platform.key,
        platform.campaign_id,
        budget.clone(),
    )?;
    let sessions = Arc::new(SessionBuilder::new(Components {
        upstream,
        budget,
        store: Store::connect(&config.database()).await?,
        backing,
        ttl: overrides.ttl.unwrap_or_else(|| config.session_ttl()),
        cache_ttl: overrides.ttl.unwrap_or_else(|| config.cache_ttl()),
        cursors: CursorKey::derive(&secret),
        requests_per_min: config.requests_per_min,
        new_users_per_min: config.new_users_per_min,
        rewards: config.rewards,
    }));
    Ok(Backend {
        sessions,
        identity,
        demo_secret,
        sandbox: platform.sandbox,
        key,
    })
}

/// Builds the application: [`backend`], and the router of the binary around it
/// ([`crate::router::router`]).
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
pub async fn build_with(config: &Config, mut overrides: Overrides) -> Result<App, StartError> {
    let limits = std::mem::take(&mut overrides.limits);
    let backend = backend(config, overrides).await?;
    let sandbox_mode = backend.sandbox.is_some();
    let readiness = Readiness::new();
    crate::telemetry::metrics::install(config.upstream_budget_per_min);
    let router = router::router(
        config,
        backend.sessions.clone(),
        backend.identity,
        backend.demo_secret,
        sandbox_mode,
        limits,
    );
    let router = router::operations(router, config, backend.sessions.clone(), &readiness);
    Ok(App {
        router,
        sessions: backend.sessions,
        sandbox: backend.sandbox,
        key: backend.key,
        readiness,
    })
}

/// `n` random bytes as hex.
fn random_hex(n: usize) -> String {
    (0..n)
        .map(|_| format!("{:02x}", rand::random::<u8>()))
        .collect()
}
