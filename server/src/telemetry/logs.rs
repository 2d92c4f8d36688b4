//! The log format (`LOG_FORMAT`): plain text, or one JSON object per line for collectors; and
//! the subscriber that writes it.

use clap::ValueEnum;
use tracing_subscriber::EnvFilter;

/// How log lines are written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines (coloured on a terminal only).
    #[default]
    Text,
    /// One JSON object per line, every line (the start-up ones too).
    Json,
}

/// The default filter when `RUST_LOG` is unset: `info`, which carries one access line per
/// request.
pub const DEFAULT_FILTER: &str = "info";

/// Sets the global subscriber for `format`, writing through a background thread; the guard
/// flushes what is queued when dropped (keep it until the process ends).
pub fn init(format: LogFormat) -> tracing_appender::non_blocking::WorkerGuard {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    // Log lines are written by a background thread: a request does not wait for stdout (at info
    // level, writing in the request path cut cached-session throughput to a third). Not lossy:
    // when 128k lines are queued, requests wait rather than lines being dropped.
    let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .lossy(false)
        .finish(std::io::stdout());
    match format {
        LogFormat::Json => tracing_subscriber::fmt()
            .json()
            .with_writer(writer)
            .with_env_filter(filter)
            .init(),
        LogFormat::Text => {
            use std::io::IsTerminal;
            // Colour only on a terminal: piped logs stay plain text for collectors and tests.
            tracing_subscriber::fmt()
                .with_ansi(std::io::stdout().is_terminal())
                .with_writer(writer)
                .with_env_filter(filter)
                .init();
        }
    }
    guard
}
