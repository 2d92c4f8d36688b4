//! Configuration (SPEC §6): every setting is an environment variable and a command-line flag.
//!
//! Flags show the environment variable as their value name, so a clap error such as
//! `invalid value 'x' for '--port <PORT>'` names the variable to fix. Rules clap cannot
//! express (a key without a campaign, a bound) are checked by [`Config::validate`] (`validate`
//! below), whose errors also name the variable.

mod ops;
mod validate;

pub use ops::Ops;

pub use validate::ConfigError;
use validate::problem;

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use clap::builder::TypedValueParser as _;
use url::Url;

/// The documented base URL of the Referral Factory API v2.
pub const DEFAULT_API_URL: &str = "https://referral-factory.com/api/v2";

/// The reference backend's settings.
#[derive(Clone, Parser)]
#[command(name = "referrer-dashboard-server", version, about)]
pub struct Config {
    /// The Referral Factory master key (prefer the environment or `--api-key-file`: a flag shows
    /// in the process list).
    #[arg(
        long,
        env = "REFERRAL_FACTORY_API_KEY",
        value_name = "REFERRAL_FACTORY_API_KEY",
        hide_env_values = true
    )]
    pub api_key: Option<String>,

    /// A file holding the master key (a mounted secret); surrounding whitespace is ignored.
    #[arg(
        long,
        env = "REFERRAL_FACTORY_API_KEY_FILE",
        value_name = "REFERRAL_FACTORY_API_KEY_FILE"
    )]
    pub api_key_file: Option<PathBuf>,

    /// Serve the built-in Referral Factory sandbox and demo identities instead of the platform.
    /// Refused together with a key.
    #[arg(
        long,
        env = "DASHBOARD_SANDBOX",
        value_name = "DASHBOARD_SANDBOX",
        num_args = 0..=1,
        default_missing_value = "true",
        default_value_t = false,
        action = clap::ArgAction::Set,
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    pub sandbox: bool,

    /// Base URL of the Referral Factory API v2.
    #[arg(long, env = "REFERRAL_FACTORY_API_URL", value_name = "REFERRAL_FACTORY_API_URL", default_value = DEFAULT_API_URL)]
    pub api_url: Url,

    /// The campaign referrers join (required with a key).
    #[arg(
        long,
        env = "REFERRAL_FACTORY_CAMPAIGN_ID",
        value_name = "REFERRAL_FACTORY_CAMPAIGN_ID"
    )]
    pub campaign_id: Option<u64>,

    /// HS256 secret the host signs identity tokens with (required with a key).
    #[arg(
        long,
        env = "DASHBOARD_JWT_SECRET",
        value_name = "DASHBOARD_JWT_SECRET",
        hide_env_values = true
    )]
    pub jwt_secret: Option<String>,

    /// When set, identity tokens must carry this `aud`.
    #[arg(
        long,
        env = "DASHBOARD_JWT_AUDIENCE",
        value_name = "DASHBOARD_JWT_AUDIENCE"
    )]
    pub jwt_audience: Option<String>,

    /// When set, identity tokens must carry this `iss`.
    #[arg(
        long,
        env = "DASHBOARD_JWT_ISSUER",
        value_name = "DASHBOARD_JWT_ISSUER"
    )]
    pub jwt_issuer: Option<String>,

    /// The most upstream calls in any 60 s window. Below the platform's 600 because the key is
    /// shared with the business's other integrations (its CRM sync, its own scripts), which
    /// count against the same limit, and the platform blocks an IP after repeated abuse.
    #[arg(
        long,
        env = "DASHBOARD_UPSTREAM_BUDGET_PER_MIN",
        value_name = "DASHBOARD_UPSTREAM_BUDGET_PER_MIN",
        default_value_t = 400
    )]
    pub upstream_budget_per_min: u32,

    /// Lifetime of a session (`expires_at`), in seconds. Cached data lives as long unless
    /// `DASHBOARD_CACHE_TTL_SECS` says otherwise (900 by default with webhooks).
    #[arg(
        long,
        env = "DASHBOARD_SESSION_TTL_SECS",
        value_name = "DASHBOARD_SESSION_TTL_SECS",
        default_value_t = 60
    )]
    pub session_ttl_secs: u64,

    /// How long upstream data is cached, in seconds. Default: the session lifetime, or 900 when
    /// `DASHBOARD_WEBHOOK_SECRET` is set (webhooks then drop what changed, so cached data can
    /// live long while sessions keep their short `expires_at`).
    #[arg(
        long,
        env = "DASHBOARD_CACHE_TTL_SECS",
        value_name = "DASHBOARD_CACHE_TTL_SECS"
    )]
    pub cache_ttl_secs: Option<u64>,

    /// Enables `POST /api/referral-factory/webhook`: the platform's webhooks, authenticated by
    /// this value in the `X-Dashboard-Webhook-Secret` header (32+ bytes), drop the cached data
    /// of the referrer they name.
    #[arg(
        long,
        env = "DASHBOARD_WEBHOOK_SECRET",
        value_name = "DASHBOARD_WEBHOOK_SECRET",
        hide_env_values = true
    )]
    pub webhook_secret: Option<String>,

    /// `on` or `off`: read the referrer's rewards and the campaign's state (`off` makes no
    /// reward or campaign call at all, and sessions carry neither `rewards` nor `program`).
    #[arg(
        long,
        env = "DASHBOARD_REWARDS",
        value_name = "DASHBOARD_REWARDS",
        default_value = "on",
        action = clap::ArgAction::Set,
        value_parser = clap::builder::PossibleValuesParser::new(["on", "off"])
            .map(|v| v == "on")
    )]
    pub rewards: bool,

    /// Requests one identity may make per minute (bursts of half that).
    #[arg(
        long,
        env = "DASHBOARD_REQUESTS_PER_MIN",
        value_name = "DASHBOARD_REQUESTS_PER_MIN",
        default_value_t = 60
    )]
    pub requests_per_min: u32,

    /// Upstream calls one identity may cause per minute (its fair share of the budget).
    #[arg(
        long,
        env = "DASHBOARD_UPSTREAM_PER_USER_PER_MIN",
        value_name = "DASHBOARD_UPSTREAM_PER_USER_PER_MIN",
        default_value_t = 60
    )]
    pub upstream_per_user_per_min: u32,

    /// Identities seen for the first time (search, create) per minute, across all users, so a
    /// flood of new accounts cannot starve returning users of their refreshes.
    #[arg(
        long,
        env = "DASHBOARD_NEW_USERS_PER_MIN",
        value_name = "DASHBOARD_NEW_USERS_PER_MIN",
        default_value_t = 60
    )]
    pub new_users_per_min: u32,

    /// Where host users are mapped to platform users: a SQLite file (`:memory:` for a throwaway
    /// one), or a `postgres://` / `postgresql://` URL shared by several instances.
    /// Default: `referrer-dashboard.sqlite3`, or `:memory:` with `--sandbox` (the sandbox's own
    /// accounts vanish when it stops, so a lasting mapping to them would be wrong).
    #[arg(
        long,
        env = "DASHBOARD_DB",
        value_name = "DASHBOARD_DB",
        hide_env_values = true
    )]
    pub db: Option<PathBuf>,

    /// Redis shared by every instance (`redis://` or `rediss://`): the upstream budget, the
    /// caches and their single-flight, and the request limits then hold across all of them.
    #[arg(
        long,
        env = "DASHBOARD_REDIS_URL",
        value_name = "DASHBOARD_REDIS_URL",
        hide_env_values = true
    )]
    pub redis_url: Option<String>,

    /// Tests only: the budget's window in milliseconds instead of 60 s, so a test of many
    /// windows takes seconds. Never set this in production: the platform counts per minute.
    #[arg(
        long,
        env = "DASHBOARD_TEST_BUDGET_WINDOW_MS",
        value_name = "DASHBOARD_TEST_BUDGET_WINDOW_MS",
        hide = true
    )]
    pub test_budget_window_ms: Option<u64>,

    /// Reverse proxies (addresses or CIDRs, comma-separated) whose `X-Forwarded-For` /
    /// `Forwarded` names the client for the per-address limits; from any other peer those
    /// headers are ignored. Unset: the peer is the client.
    #[arg(
        long,
        env = "DASHBOARD_TRUSTED_PROXIES",
        value_name = "DASHBOARD_TRUSTED_PROXIES",
        value_delimiter = ','
    )]
    pub trusted_proxies: Vec<crate::client_addr::ProxyNet>,

    /// Connections open at once, at most; one more takes the place of the oldest idle one (no
    /// request in flight), or is closed at once when none is idle. Lowered at start to what the
    /// open-file limit leaves (a quarter of it, at most 256 descriptors, is kept for the
    /// database, Redis and the platform).
    #[arg(
        long,
        env = "DASHBOARD_MAX_CONNECTIONS",
        value_name = "DASHBOARD_MAX_CONNECTIONS",
        default_value_t = crate::connections::MAX_CONNECTIONS
    )]
    pub max_connections: usize,

    /// Connections open at once from one peer address, at most; one more is accepted and
    /// closed at once, so idle sockets of one client cannot shut everyone else out. 0: no cap
    /// per address. The address is the TCP peer's: peers in `DASHBOARD_TRUSTED_PROXIES` are not
    /// capped per address (every client behind a proxy arrives from the proxy's address); behind
    /// a proxy not listed there, set 0 or a value above the connections the proxy opens.
    #[arg(
        long,
        env = "DASHBOARD_MAX_CONNECTIONS_PER_ADDRESS",
        value_name = "DASHBOARD_MAX_CONNECTIONS_PER_ADDRESS",
        default_value_t = crate::connections::MAX_CONNECTIONS_PER_ADDRESS
    )]
    pub max_connections_per_address: usize,

    /// Listen address.
    #[arg(long, env = "BIND", value_name = "BIND", default_value = "127.0.0.1")]
    pub bind: IpAddr,

    /// Listen port (0 picks a free one and prints it).
    #[arg(long, env = "PORT", value_name = "PORT", default_value_t = 8080)]
    pub port: u16,

    /// Serve the demo site from this folder (the built site, `target/site/`), with the package under
    /// `/referrer-dashboard/` from `--package-dir`.
    #[arg(long, env = "DASHBOARD_SITE_DIR", value_name = "DASHBOARD_SITE_DIR")]
    pub site_dir: Option<PathBuf>,

    /// The built npm package folder to serve under `/referrer-dashboard/`.
    #[arg(
        long,
        env = "DASHBOARD_PACKAGE_DIR",
        value_name = "DASHBOARD_PACKAGE_DIR"
    )]
    pub package_dir: Option<PathBuf>,

    /// The script-tag build (`target/dist/cdn/`) to serve under `/cdn/`, its content-hashed
    /// files with `Cache-Control: public, max-age=31536000, immutable`.
    #[arg(long, env = "DASHBOARD_CDN_DIR", value_name = "DASHBOARD_CDN_DIR")]
    pub cdn_dir: Option<PathBuf>,

    /// Origins allowed to call the endpoint cross-origin, comma-separated (CORS is off when empty).
    #[arg(
        long,
        env = "DASHBOARD_CORS_ORIGINS",
        value_name = "DASHBOARD_CORS_ORIGINS",
        value_delimiter = ','
    )]
    pub cors_origins: Vec<String>,

    /// Let pages of `DASHBOARD_CORS_ORIGINS` send cookies (`credentials="include"` on the
    /// element). Off by default: the endpoint authenticates with a bearer token, not cookies.
    #[arg(
        long,
        env = "DASHBOARD_CORS_CREDENTIALS",
        value_name = "DASHBOARD_CORS_CREDENTIALS",
        num_args = 0..=1,
        default_missing_value = "true",
        default_value_t = false,
        action = clap::ArgAction::Set,
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    pub cors_credentials: bool,

    /// Running it as a service: log format, drain, metrics access, the previous JWT secret.
    #[command(flatten)]
    pub ops: Ops,
}

impl Config {
    /// Whether the built-in sandbox replaces the real API (`--sandbox`).
    pub fn sandbox(&self) -> bool {
        self.sandbox
    }

    /// The listen address.
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::new(self.bind, self.port)
    }

    /// The global cap on open connections, as configured (`DASHBOARD_MAX_CONNECTIONS`).
    pub fn max_connections(&self) -> usize {
        self.max_connections
    }

    /// The cap on open connections per peer address, 0 for none
    /// (`DASHBOARD_MAX_CONNECTIONS_PER_ADDRESS`).
    pub fn max_connections_per_address(&self) -> usize {
        self.max_connections_per_address
    }

    /// Session lifetime (`expires_at`).
    pub fn session_ttl(&self) -> Duration {
        Duration::from_secs(self.session_ttl_secs)
    }

    /// How long upstream data is cached: `DASHBOARD_CACHE_TTL_SECS`, else the session lifetime,
    /// or [`WEBHOOK_CACHE_TTL`] when webhooks drop what changed.
    pub fn cache_ttl(&self) -> Duration {
        match (self.cache_ttl_secs, &self.webhook_secret) {
            (Some(secs), _) => Duration::from_secs(secs),
            (None, Some(_)) => WEBHOOK_CACHE_TTL,
            (None, None) => self.session_ttl(),
        }
    }

    /// The database: `DASHBOARD_DB`, else the default file, or an in-memory one in sandbox mode.
    pub fn db_path(&self) -> PathBuf {
        match &self.db {
            Some(path) => path.clone(),
            None if self.sandbox => PathBuf::from(":memory:"),
            None => PathBuf::from(DEFAULT_DB),
        }
    }

    /// The mapping store: `DASHBOARD_DB` as a PostgreSQL URL or a SQLite path (see
    /// [`Config::db_path`] for the default).
    pub fn database(&self) -> crate::store::Database {
        crate::store::Database::parse(&self.db_path().to_string_lossy())
    }

    /// The master key, from `REFERRAL_FACTORY_API_KEY` or the file `REFERRAL_FACTORY_API_KEY_FILE`
    /// names (`None` in sandbox mode).
    ///
    /// # Errors
    /// When the file cannot be read or holds no key. The message never contains the key.
    pub fn api_key(&self) -> Result<Option<String>, ConfigError> {
        if let Some(key) = &self.api_key {
            return Ok(Some(key.trim().to_owned()));
        }
        let Some(file) = &self.api_key_file else {
            return Ok(None);
        };
        let text = std::fs::read_to_string(file).map_err(|error| {
            problem(
                "REFERRAL_FACTORY_API_KEY_FILE",
                format!("cannot read {}: {}", file.display(), error.kind()),
            )
        })?;
        let key = text.trim();
        if key.is_empty() {
            return Err(problem(
                "REFERRAL_FACTORY_API_KEY_FILE",
                format!("{} is empty", file.display()),
            ));
        }
        Ok(Some(key.to_owned()))
    }
}

/// How long upstream data is cached when webhooks drop what changed: 15 minutes bounds how long
/// a missed webhook leaves a dashboard out of date.
pub const WEBHOOK_CACHE_TTL: Duration = Duration::from_secs(15 * 60);

/// The database file when `DASHBOARD_DB` is not set (outside sandbox mode).
pub const DEFAULT_DB: &str = "referrer-dashboard.sqlite3";

#[cfg(test)]
mod tests;
