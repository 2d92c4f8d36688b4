//! What the server says about itself, as a leaf every other module may use: the metrics it
//! counts, the access log and the summary of refusals, the log format. The routes that serve
//! them (`/metrics`) are in [`crate::ops`].
//!
//! # Layout
//! - [`metrics`]: the Prometheus recorder and one function per thing counted (each call site is
//!   one line).
//! - [`access`]: one access-log line per request at `info`, and refusals summarised per reason.
//! - [`logs`]: `LOG_FORMAT` (`text` or `json`) and the subscriber it sets up.

pub mod access;
pub mod logs;
pub mod metrics;
