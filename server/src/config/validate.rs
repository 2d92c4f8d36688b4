//! The rules of the configuration clap cannot express: what goes together, what is required
//! with a key, and the bounds of every number, each refusal naming its variable.

use url::Url;

use super::Config;

/// A setting that is present but unusable, naming the variable.
#[derive(Debug, thiserror::Error)]
#[error("{variable}: {problem}")]
pub struct ConfigError {
    /// The environment variable (also the flag's value name).
    pub variable: &'static str,
    /// What is wrong with it.
    pub problem: String,
}

pub(super) fn problem(variable: &'static str, problem: impl Into<String>) -> ConfigError {
    ConfigError {
        variable,
        problem: problem.into(),
    }
}

impl Config {
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
        if let Some(previous) = &self.ops.jwt_secret_previous
            && previous.len() < MIN_SECRET_LEN
        {
            return Err(problem(
                "DASHBOARD_JWT_SECRET_PREVIOUS",
                "must be at least 32 bytes, as DASHBOARD_JWT_SECRET",
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
        if self.max_connections == 0 {
            return Err(problem(
                "DASHBOARD_MAX_CONNECTIONS",
                "must be at least 1 (0 would refuse every connection)",
            ));
        }
        if let Some(url) = &self.redis_url {
            let scheme = url.split("://").next().unwrap_or_default();
            if !matches!(scheme, "redis" | "rediss" | "unix" | "redis+unix") {
                return Err(problem(
                    "DASHBOARD_REDIS_URL",
                    "must be a redis:// or rediss:// URL (or unix:// for a socket)",
                ));
            }
            if let Err(error) = redis::IntoConnectionInfo::into_connection_info(url.as_str()) {
                // The client's description only ("Invalid database number"), not its detail
                // or error kind: neither the URL (it may hold a password) nor a type name.
                let text = error.to_string();
                let why = text.split(" - ").next().unwrap_or("it did not parse");
                return Err(problem(
                    "DASHBOARD_REDIS_URL",
                    format!("is not a usable Redis URL: {why}"),
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

/// Shortest accepted JWT secret: HS256 keys shorter than the 32-byte hash output weaken it.
pub(super) const MIN_SECRET_LEN: usize = 32;

/// Referral Factory's documented burst limit per key.
const UPSTREAM_LIMIT_PER_MIN: u32 = 600;
