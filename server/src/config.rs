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
    /// The Referral Factory master key. When unset, the built-in sandbox serves instead.
    #[arg(
        long,
        env = "REFERRAL_FACTORY_API_KEY",
        value_name = "REFERRAL_FACTORY_API_KEY",
        hide_env_values = true
    )]
    pub api_key: Option<String>,

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

    /// The most upstream calls in any 60 s window.
    #[arg(
        long,
        env = "DASHBOARD_UPSTREAM_BUDGET_PER_MIN",
        value_name = "DASHBOARD_UPSTREAM_BUDGET_PER_MIN",
        default_value_t = 500
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

    /// Requests one identity may make per minute (bursts of half that).
    #[arg(
        long,
        env = "DASHBOARD_REQUESTS_PER_MIN",
        value_name = "DASHBOARD_REQUESTS_PER_MIN",
        default_value_t = 60
    )]
    pub requests_per_min: u32,

    /// SQLite file mapping host users to platform users (`:memory:` for a throwaway one).
    #[arg(
        long,
        env = "DASHBOARD_DB",
        value_name = "DASHBOARD_DB",
        default_value = "referrer-dashboard.sqlite3"
    )]
    pub db: PathBuf,

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

    /// Origins allowed to call the endpoint cross-origin, comma-separated (CORS is off when empty).
    #[arg(
        long,
        env = "DASHBOARD_CORS_ORIGINS",
        value_name = "DASHBOARD_CORS_ORIGINS",
        value_delimiter = ','
    )]
    pub cors_origins: Vec<String>,
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
    /// Whether the built-in sandbox replaces the real API (no key configured).
    pub fn sandbox(&self) -> bool {
        self.api_key.is_none()
    }

    /// The listen address.
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::new(self.bind, self.port)
    }

    /// Session and cache lifetime.
    pub fn session_ttl(&self) -> Duration {
        Duration::from_secs(self.session_ttl_secs)
    }

    /// Checks the rules clap cannot express.
    ///
    /// # Errors
    /// The first unusable setting, naming its variable.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if let Some(key) = &self.api_key {
            if key.trim().is_empty() {
                return Err(problem("REFERRAL_FACTORY_API_KEY", "is set but empty"));
            }
            if self.campaign_id.is_none() {
                return Err(problem(
                    "REFERRAL_FACTORY_CAMPAIGN_ID",
                    "is required when REFERRAL_FACTORY_API_KEY is set",
                ));
            }
            match &self.jwt_secret {
                None => {
                    return Err(problem(
                        "DASHBOARD_JWT_SECRET",
                        "is required when REFERRAL_FACTORY_API_KEY is set",
                    ));
                }
                Some(secret) if secret.len() < MIN_SECRET_LEN => {
                    return Err(problem(
                        "DASHBOARD_JWT_SECRET",
                        "must be at least 32 bytes (an HS256 key shorter than its hash is weak)",
                    ));
                }
                Some(_) => {}
            }
        }
        if !matches!(self.api_url.scheme(), "https" | "http") {
            return Err(problem(
                "REFERRAL_FACTORY_API_URL",
                "must be an http(s) URL",
            ));
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
        if self.requests_per_min == 0 {
            return Err(problem("DASHBOARD_REQUESTS_PER_MIN", "must be at least 1"));
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

    #[test]
    fn a_key_requires_campaign_and_secret() {
        let err = parse(&["--api-key", "k"]).validate().unwrap_err();
        assert_eq!(err.variable, "REFERRAL_FACTORY_CAMPAIGN_ID");
        let err = parse(&["--api-key", "k", "--campaign-id", "3"])
            .validate()
            .unwrap_err();
        assert_eq!(err.variable, "DASHBOARD_JWT_SECRET");
        let long = "x".repeat(32);
        parse(&[
            "--api-key",
            "k",
            "--campaign-id",
            "3",
            "--jwt-secret",
            &long,
        ])
        .validate()
        .unwrap();
    }

    #[test]
    fn sandbox_needs_nothing() {
        let config = parse(&[]);
        assert!(config.sandbox());
        config.validate().unwrap();
    }

    #[test]
    fn budget_above_the_platform_limit_is_refused() {
        let err = parse(&["--upstream-budget-per-min", "601"])
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
        let err = parse(&["--cors-origins", "https://a.example/path"])
            .validate()
            .unwrap_err();
        assert_eq!(err.variable, "DASHBOARD_CORS_ORIGINS");
        parse(&["--cors-origins", "https://a.example,http://localhost:3000"])
            .validate()
            .unwrap();
    }
}
