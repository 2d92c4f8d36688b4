//! Running the server as a service (SPEC §6 "Operations"): readiness and the drain on
//! shutdown, the metrics route, secrets read again. What is counted and logged is in
//! [`crate::telemetry`].
//!
//! # Layout
//! - [`ready`]: `GET /readyz`, the drain that turns it 503 before the listener closes, and the
//!   `Connection: close` every answer carries while draining.
//! - [`metrics`]: `GET /metrics` and its token, and the latency of every request.
//! - [`secrets`]: the key file read again on SIGHUP.

pub mod metrics;
pub mod ready;
pub mod secrets;
