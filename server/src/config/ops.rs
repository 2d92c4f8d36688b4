//! Settings for running the server as a service (SPEC §6 "Operations"): the log format, the
//! drain on shutdown, who may read `/metrics`, and the secret still accepted while the host
//! rotates its own.

use clap::Args;

use crate::telemetry::logs::LogFormat;

/// The operations settings, flattened into [`super::Config`].
#[derive(Clone, Debug, Args)]
pub struct Ops {
    /// Log lines as `text` or `json` (every line, start-up included). Anything else is refused.
    #[arg(
        long,
        env = "LOG_FORMAT",
        value_name = "LOG_FORMAT",
        value_enum,
        default_value_t = LogFormat::Text
    )]
    pub log_format: LogFormat,

    /// Seconds to keep serving after SIGTERM while `/readyz` answers 503, so a load balancer
    /// moves traffic away before the listener closes (0: close at once).
    #[arg(
        long,
        env = "DASHBOARD_DRAIN_SECS",
        value_name = "DASHBOARD_DRAIN_SECS",
        default_value_t = 5,
        value_parser = clap::value_parser!(u64).range(0..=300)
    )]
    pub drain_secs: u64,

    /// When set, `GET /metrics` answers only requests with `Authorization: Bearer <this>`.
    /// Without it, `/metrics` is open to whoever reaches the port: keep it off the public
    /// proxy then.
    #[arg(
        long,
        env = "DASHBOARD_METRICS_TOKEN",
        value_name = "DASHBOARD_METRICS_TOKEN",
        hide_env_values = true
    )]
    pub metrics_token: Option<String>,

    /// A second HS256 secret still accepted while the host rotates `DASHBOARD_JWT_SECRET`
    /// (32+ bytes); remove it once every token signed with it has expired.
    #[arg(
        long,
        env = "DASHBOARD_JWT_SECRET_PREVIOUS",
        value_name = "DASHBOARD_JWT_SECRET_PREVIOUS",
        hide_env_values = true
    )]
    pub jwt_secret_previous: Option<String>,
}

impl Ops {
    /// The drain period after SIGTERM.
    pub fn drain(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.drain_secs)
    }
}
