//! The reference backend of `<referrer-dashboard>`: the host-side endpoint that holds the
//! Referral Factory key and answers the widget with short-lived dashboard sessions (SPEC §5, §6).
//!
//! Run it as a binary beside any app, or mount [`api::router`] in an axum app with your own
//! [`identity::IdentityProvider`]. With `--sandbox` (and only then) it starts the built-in
//! [`sandbox`], a Referral Factory stand-in, so the demo and the tests run with no account.
//!
//! # Layout
//! Starting and serving:
//! - [`config`]: settings from the environment and flags, validated with named errors.
//! - [`app`]: the composition root: a configuration becomes the parts of a server, every choice
//!   made there once.
//! - [`router`]: the binary's routes and the layers around them (ids, timeouts, limits, CORS).
//! - [`accept`]: the accept loop (header timeout, client addresses, drain on shutdown).
//! - [`connections`]: the caps on open connections, in all and per client address.
//! - [`health`]: the `/healthz` handler.
//! - [`nofile`]: the open-file limit, raised at start.
//! - [`ops`]: running it as a service: `/readyz` and the drain, the `/metrics` route, secrets
//!   read again on SIGHUP.
//! - [`telemetry`]: what it counts and logs (metrics, access lines, the summary of refusals,
//!   the log format); a leaf every module may use.
//!
//! Answering:
//! - [`api`]: the session endpoint as an axum handler.
//! - [`webhook`]: the platform's webhooks, dropping the cached data of the referrer they name.
//! - [`identity`]: who is asking: HS256 JWTs, or a host's own extractor.
//! - [`client_addr`]: the client's address of a request, for per-address limits.
//! - [`dashboard`]: building a session: create-or-fetch, linking, referral pages.
//! - [`session`]: the session JSON, name masking, signed cursors (pure).
//! - [`rewards`]: the session's `rewards` and `program`: statuses, sums per currency, the
//!   campaign's state (pure).
//! - [`error`]: the one error type and its HTTP form.
//!
//! The platform and what protects it:
//! - [`upstream`]: the Referral Factory client, the only module that sees the key.
//! - [`budget`]: the upstream call budget over any 60 s window.
//! - [`cache`]: per-key TTL cache with shared fetches and stale fallback.
//! - [`limit`]: one keyed rate limiter for every limit (identity, address, new users, ...).
//!
//! State, in one process or shared by several instances:
//! - [`seam`]: what the shared facilities (call log, limits, cache store, invalidation) have in
//!   common; [`backing`]: the one choice between this process and Redis.
//! - [`shared`]: the Redis implementations, and the Redis key layout ([`shared::keys`]).
//! - [`store`]: the mapping of host users to platform users (SQLite, or PostgreSQL).
//!
//! Leaves every layer may use: [`personal`] (emails and subjects as compared, stored and
//! logged), [`dates`] (platform dates), [`retry_after`].
//!
//! And: [`demo`] (demo identities and the demo site), [`files`] (static folders: inside the
//! folder only, precompressed), [`sandbox`] (the Referral Factory
//! stand-in and test instrument).

pub mod accept;
pub mod api;
pub mod app;
pub mod backing;
pub mod budget;
pub mod cache;
pub mod client_addr;
pub mod config;
pub mod connections;
pub mod dashboard;
pub mod dates;
pub mod demo;
pub mod error;
pub mod files;
pub mod health;
pub mod identity;
pub mod limit;
pub mod nofile;
pub mod ops;
pub mod personal;
pub mod retry_after;
pub mod rewards;
pub mod router;
pub mod sandbox;
pub mod seam;
pub mod session;
pub mod shared;
pub mod store;
pub mod telemetry;
pub mod upstream;
pub mod webhook;

pub use accept::{run, serve, serve_with};
pub use api::ENDPOINT_PATH;
pub use app::{App, Backend, Overrides, SANDBOX_CAMPAIGN, StartError, backend, build, build_with};
pub use router::{
    HEADER_READ_TIMEOUT, Limits, MAX_BODY_BYTES, MAX_CONCURRENT_REQUESTS, REQUEST_TIMEOUT,
};
