//! The server's integration tests, one module per behaviour, in one test binary: one link and
//! one compile of the generic code they share instead of 25, and their tests run side by side
//! (each starts its own server, sandbox, Redis or PostgreSQL on free loopback ports, so they
//! never share state). One part alone: `cargo test -p referrer-dashboard-server --test
//! integration dialects::`. `security.rs` stays a binary of its own: it captures every log line
//! of its process, which only works with nothing else running in it.

#[path = "../common/mod.rs"]
mod common;

mod backing_contract;
mod budget;
mod budget_lost;
mod connections;
mod decode_props;
mod dialects;
mod endpoint;
mod file_limit;
mod hardening;
mod http_limits;
mod instances;
mod linking;
mod operations;
mod proxies;
mod read_buffer;
mod rewards;
mod service;
mod shared_state;
mod shutdown;
mod startup;
mod static_files;
mod store_contract;
mod upstream;
mod webhook_email;
mod webhooks;
