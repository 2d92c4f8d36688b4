//! The reference backend binary: `referrer-dashboard-server` serves the session endpoint (and
//! the demo site when asked); `referrer-dashboard-server sandbox` runs the Referral Factory
//! stand-in alone.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use referrer_dashboard_server::config::Config;
use referrer_dashboard_server::sandbox::{self, Sandbox};
use referrer_dashboard_server::telemetry::logs::{self, LogFormat};
use tokio::net::TcpListener;

#[derive(Parser)]
#[command(name = "referrer-dashboard-server", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    config: Config,
}

#[derive(Subcommand)]
enum Command {
    /// Run only the Referral Factory sandbox (for tests and local experiments).
    Sandbox {
        /// The bearer key it accepts.
        #[arg(long, default_value = "rf_sandbox_local")]
        key: String,
        /// Its campaign id.
        #[arg(long, default_value_t = 1)]
        campaign: u64,
        /// Start empty instead of with the demo referrers.
        #[arg(long)]
        empty: bool,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let format = cli.config.ops.log_format;
    // Flushes queued lines when main returns.
    let _flush_on_exit = logs::init(format);
    let say = Say(format);
    match referrer_dashboard_server::nofile::raise() {
        Some(limit) => tracing::debug!(limit, "open-file limit"),
        None => tracing::warn!("could not raise the open-file limit"),
    }
    let config = cli.config;
    let listener = match TcpListener::bind(config.addr()).await {
        Ok(listener) => listener,
        Err(error) => {
            say.error(&format!(
                "cannot listen on {} (BIND/PORT): {error}",
                config.addr()
            ));
            return ExitCode::from(2);
        }
    };
    let addr = match listener.local_addr() {
        Ok(addr) => addr,
        Err(error) => {
            say.error(&error.to_string());
            return ExitCode::FAILURE;
        }
    };
    if let Some(Command::Sandbox {
        key,
        campaign,
        empty,
    }) = cli.command
    {
        let seeds = if empty {
            Vec::new()
        } else {
            sandbox::data::demo_seeds()
        };
        let options = sandbox::Options {
            key,
            campaign_id: campaign,
            seeds,
        };
        if let Err(error) = Sandbox::spawn(listener, options).await {
            say.error(&error.to_string());
            return ExitCode::FAILURE;
        }
        let stop = shutdown_signal();
        // Tests wait for this exact line.
        say.ready(&format!("sandbox listening on http://{addr}/api/v2"));
        stop.await;
        return ExitCode::SUCCESS;
    }
    if let Err(error) = config.validate().and_then(|()| config.api_key().map(drop)) {
        say.error(&format!("configuration error: {error}"));
        return ExitCode::from(2);
    }
    if config.sandbox() {
        tracing::warn!(
            "sandbox mode (--sandbox): serving the built-in Referral Factory stand-in and demo identities, not real data"
        );
    }
    // Everything that can fail at start (the database, the client) before saying we are ready.
    let app = match referrer_dashboard_server::build(&config).await {
        Ok(app) => app,
        Err(error) => {
            say.error(&error.to_string());
            return ExitCode::FAILURE;
        }
    };
    // The sandbox's control routes ask for its key, made for this process: whoever drives the
    // sandbox by hand (or a test of the binary) learns it here. It opens nothing but this
    // stand-in with its demo data; there is no real key in sandbox mode.
    if let Some(sandbox) = &app.sandbox {
        tracing::info!(
            sandbox = %sandbox.addr(),
            sandbox_key = sandbox.key(),
            "the sandbox's control routes are under /__sandbox/, with Authorization: Bearer <sandbox_key>"
        );
    }
    // In sandbox mode with webhooks on, the sandbox sends its events to this very server, so a
    // lead added in the sandbox shows in the next session (the loop a real campaign runs).
    if let (Some(sandbox), Some(secret)) = (&app.sandbox, &config.webhook_secret) {
        let url = format!(
            "http://{addr}{}",
            referrer_dashboard_server::webhook::WEBHOOK_PATH
        );
        sandbox.point_webhooks(
            url,
            referrer_dashboard_server::webhook::SECRET_HEADER,
            secret,
        );
        tracing::info!(
            sandbox = %sandbox.addr(),
            "the sandbox sends its webhooks here; add a lead with POST /__sandbox/referrers/1/referrals (with the sandbox's key)"
        );
    }
    #[cfg(unix)]
    if let Some(key) = &app.key {
        referrer_dashboard_server::ops::secrets::reload_key_on_sighup(config.clone(), key.clone());
    }
    let stop = shutdown_signal();
    // Tests and `cargo xtask demo` wait for this exact line.
    say.ready(&format!("listening on http://{addr}"));
    let shutdown = app.readiness.after(stop, config.ops.drain());
    let limits = referrer_dashboard_server::Limits::configured(&config);
    match referrer_dashboard_server::serve_with(listener, app.router, shutdown, limits).await {
        Ok(()) => {
            tracing::info!("stopped");
            ExitCode::SUCCESS
        }
        Err(error) => {
            say.error(&error.to_string());
            ExitCode::FAILURE
        }
    }
}

/// Start-up lines in the log format: as they always were in text (the ready line alone on
/// stdout, errors on stderr), as JSON log lines with `LOG_FORMAT=json`.
#[derive(Clone, Copy)]
struct Say(LogFormat);

impl Say {
    /// The line tests and scripts wait for.
    fn ready(self, line: &str) {
        match self.0 {
            LogFormat::Text => println!("{line}"),
            LogFormat::Json => tracing::info!("{line}"),
        }
    }

    /// Why the process stops.
    fn error(self, line: &str) {
        match self.0 {
            LogFormat::Text => eprintln!("{line}"),
            LogFormat::Json => tracing::error!("{line}"),
        }
    }
}

/// Completes on ctrl-c or SIGTERM. The handlers are installed when this is called, not when
/// the future is first polled: a SIGTERM sent right after the ready line (a test, an
/// orchestrator stopping an instance it just started) must drain, not kill the process.
fn shutdown_signal() -> impl std::future::Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    let (mut terminate, mut interrupt) = {
        use tokio::signal::unix::{SignalKind, signal};
        (
            signal(SignalKind::terminate()).ok(),
            signal(SignalKind::interrupt()).ok(),
        )
    };
    async move {
        #[cfg(unix)]
        {
            let received = async |signal: Option<&mut tokio::signal::unix::Signal>| match signal {
                Some(signal) => {
                    signal.recv().await;
                }
                None => std::future::pending::<()>().await,
            };
            tokio::select! {
                () = received(terminate.as_mut()) => {},
                () = received(interrupt.as_mut()) => {},
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
        tracing::info!("shutting down");
    }
}
