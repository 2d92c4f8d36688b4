//! Running the server as a service (SPEC §6 "Operations"): readiness and the drain on
//! shutdown, metrics, access logs and the summary of refusals, the log format.
//!
//! # Layout
//! - [`ready`]: `GET /readyz`, the drain that turns it 503 before the listener closes, and the
//!   `Connection: close` every answer carries while draining.
//! - [`metrics`]: the Prometheus recorder, `GET /metrics`, and one function per thing counted
//!   (each call site is one line).
//! - [`access`]: one access-log line per request at `info`, and refusals summarised per reason.
//! - [`logs`]: `LOG_FORMAT` (`text` or `json`) and the subscriber it sets up.
//! - [`secrets`]: the key file read again on SIGHUP.

pub mod access;
pub mod logs;
pub mod metrics;
pub mod ready;
pub mod secrets;
