//! Configuration (SPEC §6): every setting is an environment variable and a command-line flag.
//!
//! Flags show the environment variable as their value name, so a clap error such as
//! `invalid value 'x' for '--port <PORT>'` names the variable to fix. Rules clap cannot
//! express (a key without a campaign, say) are checked by [`Config::validate`], whose errors
//! also name the variable.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
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

    /// Lifetime of a session (`expires_at`) and of cached data, in seconds.
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
}

/// A setting that is present but unusable, naming the variable.
#[derive(Debug, thiserror::Error)]
#[error("{variable}: {problem}")]
pub struct ConfigError {
    /// The environment variable (also the flag's value name).
    pub variable: &'static str,
    /// What is wrong with it.
    pub problem: String,
}

fn problem(variable: &'static str, problem: impl Into<String>) -> ConfigError {
    ConfigError {
        variable,
        problem: problem.into(),
    }
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

    /// Checks the rules clap cannot express.
    ///
    /// # Errors
    /// The first unusable setting, naming its variable.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.api_key.is_some() && self.api_key_file.is_some() {
            return Err(problem(
                "REFERRAL_FACTORY_API_KEY_FILE",
                "is set together with REFERRAL_FACTORY_API_KEY; set only one",
            ));
        }
        let has_key = self.api_key.is_some() || self.api_key_file.is_some();
        if self.sandbox && has_key {
            return Err(problem(
                "DASHBOARD_SANDBOX",
                "is refused together with a Referral Factory key: the sandbox would hide that the \
                 key is not used; unset one of them",
            ));
        }
        if !self.sandbox && !has_key {
            return Err(problem(
                "REFERRAL_FACTORY_API_KEY",
                "is not set. Set REFERRAL_FACTORY_API_KEY (or REFERRAL_FACTORY_API_KEY_FILE) to \
                 serve real referral data, or pass --sandbox (DASHBOARD_SANDBOX=true) to try the \
                 built-in sandbox with demo identities",
            ));
        }
        if let Some(key) = &self.api_key
            && key.trim().is_empty()
        {
            return Err(problem("REFERRAL_FACTORY_API_KEY", "is set but empty"));
        }
        if has_key {
            if self.campaign_id.is_none() {
                return Err(problem(
                    "REFERRAL_FACTORY_CAMPAIGN_ID",
                    "is required with a Referral Factory key",
                ));
            }
            if self.jwt_secret.is_none() {
                return Err(problem(
                    "DASHBOARD_JWT_SECRET",
                    "is required with a Referral Factory key",
                ));
            }
        }
        // Also in sandbox mode: a secret tried there is the one that goes to production.
        if let Some(secret) = &self.jwt_secret
            && secret.len() < MIN_SECRET_LEN
        {
            return Err(problem(
                "DASHBOARD_JWT_SECRET",
                "must be at least 32 bytes (an HS256 key shorter than its hash is weak)",
            ));
        }
        match self.api_url.scheme() {
            "https" => {}
            "http" if is_loopback(&self.api_url) => {}
            _ => {
                return Err(problem(
                    "REFERRAL_FACTORY_API_URL",
                    "must be an https:// URL (http:// only for a loopback address): the key \
                     travels in every request",
                ));
            }
        }
        if self.upstream_budget_per_min == 0 {
            return Err(problem(
                "DASHBOARD_UPSTREAM_BUDGET_PER_MIN",
                "must be at least 1",
            ));
        }
        if self.upstream_budget_per_min > UPSTREAM_LIMIT_PER_MIN {
            return Err(problem(
                "DASHBOARD_UPSTREAM_BUDGET_PER_MIN",
                "must not exceed 600, Referral Factory's own limit (exceeding it gets the IP blocked)",
            ));
        }
        for (variable, value) in [
            ("DASHBOARD_REQUESTS_PER_MIN", self.requests_per_min),
            (
                "DASHBOARD_UPSTREAM_PER_USER_PER_MIN",
                self.upstream_per_user_per_min,
            ),
            ("DASHBOARD_NEW_USERS_PER_MIN", self.new_users_per_min),
        ] {
            if value == 0 {
                return Err(problem(variable, "must be at least 1"));
            }
        }
        if let Some(url) = &self.redis_url {
            let scheme = url.split("://").next().unwrap_or_default();
            if !matches!(scheme, "redis" | "rediss" | "unix" | "redis+unix") {
                return Err(problem(
                    "DASHBOARD_REDIS_URL",
                    "must be a redis:// or rediss:// URL (or unix:// for a socket)",
                ));
            }
        }
        if self.test_budget_window_ms.is_some_and(|ms| ms < 500) {
            return Err(problem(
                "DASHBOARD_TEST_BUDGET_WINDOW_MS",
                "must be at least 500 (and unset outside tests)",
            ));
        }
        if let Some(secret) = &self.webhook_secret
            && secret.len() < MIN_SECRET_LEN
        {
            return Err(problem(
                "DASHBOARD_WEBHOOK_SECRET",
                "must be at least 32 bytes (anyone who guesses it can empty the cache)",
            ));
        }
        if let Some(secs) = self.cache_ttl_secs
            && !(5..=86_400).contains(&secs)
        {
            return Err(problem(
                "DASHBOARD_CACHE_TTL_SECS",
                "must be between 5 and 86400",
            ));
        }
        if self.session_ttl_secs < 5 || self.session_ttl_secs > 3600 {
            return Err(problem(
                "DASHBOARD_SESSION_TTL_SECS",
                "must be between 5 and 3600",
            ));
        }
        for origin in &self.cors_origins {
            let parsed = Url::parse(origin).ok();
            let plain = parsed
                .as_ref()
                .is_some_and(|u| u.path() == "/" && u.query().is_none() && !origin.ends_with('/'));
            if !plain {
                return Err(problem(
                    "DASHBOARD_CORS_ORIGINS",
                    "each origin must look like https://app.example.com (scheme and host, no path)",
                ));
            }
        }
        Ok(())
    }
}

/// Whether `url` names this machine (`localhost`, `127.0.0.0/8`, `::1`): the only place plain
/// HTTP is allowed, for a sandbox or a local proxy.
fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// How long upstream data is cached when webhooks drop what changed: 15 minutes bounds how long
/// a missed webhook leaves a dashboard out of date.
pub const WEBHOOK_CACHE_TTL: Duration = Duration::from_secs(15 * 60);

/// The database file when `DASHBOARD_DB` is not set (outside sandbox mode).
pub const DEFAULT_DB: &str = "referrer-dashboard.sqlite3";

/// Shortest accepted JWT secret: HS256 keys shorter than the 32-byte hash output weaken it.
const MIN_SECRET_LEN: usize = 32;

/// Referral Factory's documented burst limit per key.
const UPSTREAM_LIMIT_PER_MIN: u32 = 600;

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Config {
        let mut all = vec!["server"];
        all.extend_from_slice(args);
        Config::try_parse_from(all).unwrap()
    }

    const LONG_SECRET: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn a_key_requires_campaign_and_secret() {
        let err = parse(&["--api-key", "k"]).validate().unwrap_err();
        assert_eq!(err.variable, "REFERRAL_FACTORY_CAMPAIGN_ID");
        let err = parse(&["--api-key", "k", "--campaign-id", "3"])
            .validate()
            .unwrap_err();
        assert_eq!(err.variable, "DASHBOARD_JWT_SECRET");
        parse(&[
            "--api-key",
            "k",
            "--campaign-id",
            "3",
            "--jwt-secret",
            LONG_SECRET,
        ])
        .validate()
        .unwrap();
    }

    #[test]
    fn without_a_key_or_the_sandbox_flag_the_server_refuses_and_names_both_ways() {
        let err = parse(&[]).validate().unwrap_err();
        assert_eq!(err.variable, "REFERRAL_FACTORY_API_KEY");
        let text = err.to_string();
        assert!(text.contains("REFERRAL_FACTORY_API_KEY_FILE"), "{text}");
        assert!(
            text.contains("--sandbox") && text.contains("DASHBOARD_SANDBOX=true"),
            "{text}"
        );
    }

    #[test]
    fn the_sandbox_runs_only_when_asked_and_never_with_a_key() {
        let config = parse(&["--sandbox"]);
        assert!(config.sandbox());
        config.validate().unwrap();
        assert_eq!(config.db_path(), PathBuf::from(":memory:"));
        assert!(parse(&["--sandbox", "false"]).validate().is_err());
        let err = parse(&["--sandbox", "--api-key", "k", "--campaign-id", "1"])
            .validate()
            .unwrap_err();
        assert_eq!(err.variable, "DASHBOARD_SANDBOX");
        assert!(!err.to_string().contains("k\""));
    }

    #[test]
    fn a_short_secret_is_refused_in_sandbox_mode_too() {
        let err = parse(&["--sandbox", "--jwt-secret", "short"])
            .validate()
            .unwrap_err();
        assert_eq!(err.variable, "DASHBOARD_JWT_SECRET");
    }

    #[test]
    fn the_key_can_come_from_a_file_and_never_shows_in_errors() {
        let dir = std::env::temp_dir().join(format!("rd-key-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("key");
        std::fs::write(&file, "rf_live_from_file\n").unwrap();
        let path = file.to_string_lossy().into_owned();
        let config = parse(&[
            "--api-key-file",
            &path,
            "--campaign-id",
            "1",
            "--jwt-secret",
            LONG_SECRET,
        ]);
        config.validate().unwrap();
        assert_eq!(
            config.api_key().unwrap().as_deref(),
            Some("rf_live_from_file")
        );
        assert_eq!(config.db_path(), PathBuf::from(DEFAULT_DB));
        let both = parse(&["--api-key-file", &path, "--api-key", "k"]);
        assert_eq!(
            both.validate().unwrap_err().variable,
            "REFERRAL_FACTORY_API_KEY_FILE"
        );
        std::fs::write(&file, "  \n").unwrap();
        let err = config.api_key().unwrap_err();
        assert!(err.to_string().contains("empty"));
        let missing = parse(&["--api-key-file", "/nonexistent/rd-key"]);
        assert!(missing.api_key().is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_api_url_must_be_https_unless_loopback() {
        let with = |url: &str| {
            parse(&[
                "--api-key",
                "k",
                "--campaign-id",
                "1",
                "--jwt-secret",
                LONG_SECRET,
                "--api-url",
                url,
            ])
            .validate()
        };
        with("https://referral-factory.com/api/v2").unwrap();
        with("http://127.0.0.1:9000/api/v2").unwrap();
        with("http://localhost:9000/api/v2").unwrap();
        with("http://[::1]:9000/api/v2").unwrap();
        let err = with("http://referral-factory.com/api/v2").unwrap_err();
        assert_eq!(err.variable, "REFERRAL_FACTORY_API_URL");
        assert!(with("ftp://127.0.0.1/api").is_err());
    }

    #[test]
    fn budget_above_the_platform_limit_is_refused() {
        let err = parse(&["--sandbox", "--upstream-budget-per-min", "601"])
            .validate()
            .unwrap_err();
        assert_eq!(err.variable, "DASHBOARD_UPSTREAM_BUDGET_PER_MIN");
    }

    #[test]
    fn unparsable_values_name_the_variable() {
        let err = Config::try_parse_from(["server", "--port", "eighty"])
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("PORT"), "{err}");
    }

    #[test]
    fn cors_origins_must_be_bare_origins() {
        let err = parse(&["--sandbox", "--cors-origins", "https://a.example/path"])
            .validate()
            .unwrap_err();
        assert_eq!(err.variable, "DASHBOARD_CORS_ORIGINS");
        parse(&[
            "--sandbox",
            "--cors-origins",
            "https://a.example,http://localhost:3000",
        ])
        .validate()
        .unwrap();
    }

    #[test]
    fn every_bound_is_refused_just_outside_and_accepted_at_its_edge() {
        let check = |flag: &str, value: &str| {
            parse(&["--sandbox", flag, value])
                .validate()
                .err()
                .map(|e| e.variable)
        };
        let secret = |n: usize| "s".repeat(n);
        for (flag, variable, refused, accepted) in [
            (
                "--upstream-budget-per-min",
                "DASHBOARD_UPSTREAM_BUDGET_PER_MIN",
                vec!["0", "601"],
                vec!["1", "600"],
            ),
            (
                "--requests-per-min",
                "DASHBOARD_REQUESTS_PER_MIN",
                vec!["0"],
                vec!["1"],
            ),
            (
                "--upstream-per-user-per-min",
                "DASHBOARD_UPSTREAM_PER_USER_PER_MIN",
                vec!["0"],
                vec!["1"],
            ),
            (
                "--new-users-per-min",
                "DASHBOARD_NEW_USERS_PER_MIN",
                vec!["0"],
                vec!["1"],
            ),
            (
                "--test-budget-window-ms",
                "DASHBOARD_TEST_BUDGET_WINDOW_MS",
                vec!["499"],
                vec!["500"],
            ),
            (
                "--cache-ttl-secs",
                "DASHBOARD_CACHE_TTL_SECS",
                vec!["4", "86401"],
                vec!["5", "86400"],
            ),
            (
                "--session-ttl-secs",
                "DASHBOARD_SESSION_TTL_SECS",
                vec!["4", "3601"],
                vec!["5", "3600"],
            ),
            (
                "--redis-url",
                "DASHBOARD_REDIS_URL",
                vec!["http://127.0.0.1:6379", "127.0.0.1:6379"],
                vec![
                    "redis://127.0.0.1:6379",
                    "rediss://r.example:6380",
                    "unix:///run/redis.sock",
                    "redis+unix:///run/redis.sock",
                ],
            ),
        ] {
            for value in refused {
                assert_eq!(check(flag, value), Some(variable), "{flag} {value}");
            }
            for value in accepted {
                assert_eq!(check(flag, value), None, "{flag} {value}");
            }
        }
        for (flag, variable) in [
            ("--jwt-secret", "DASHBOARD_JWT_SECRET"),
            ("--webhook-secret", "DASHBOARD_WEBHOOK_SECRET"),
        ] {
            assert_eq!(check(flag, &secret(MIN_SECRET_LEN - 1)), Some(variable));
            assert_eq!(check(flag, &secret(MIN_SECRET_LEN)), None);
        }
    }

    #[test]
    fn the_cache_lives_longer_only_with_webhooks_or_when_told() {
        let plain = parse(&["--sandbox"]);
        assert_eq!(plain.cache_ttl(), plain.session_ttl());
        let hooked = parse(&["--sandbox", "--webhook-secret", LONG_SECRET]);
        hooked.validate().unwrap();
        assert_eq!(hooked.cache_ttl(), WEBHOOK_CACHE_TTL);
        let told = parse(&[
            "--sandbox",
            "--webhook-secret",
            LONG_SECRET,
            "--cache-ttl-secs",
            "120",
        ]);
        assert_eq!(told.cache_ttl(), Duration::from_secs(120));
        let short = parse(&["--sandbox", "--webhook-secret", "short"]);
        assert_eq!(
            short.validate().unwrap_err().variable,
            "DASHBOARD_WEBHOOK_SECRET"
        );
        let zero = parse(&["--sandbox", "--cache-ttl-secs", "0"]);
        assert_eq!(
            zero.validate().unwrap_err().variable,
            "DASHBOARD_CACHE_TTL_SECS"
        );
    }
}
