//! The sandbox: a Referral Factory API v2 stand-in on a loopback port of its own.
//!
//! It speaks the documented routes and JSON shapes (`POST /users`, `GET /users/{id}` with
//! `with=user.analytics`, `POST /users/search` with Laravel-style pages), checks the bearer
//! key, answers errors as `{code, message, errors}`, and serves referral links (`/r/{code}`)
//! that count reach. The server reaches it over real HTTP exactly as it would the real API.
//!
//! It is also a test instrument, driven over HTTP under `/__sandbox/` with the same key as its
//! API: it counts every API call it receives (with its arrival time), seeds referrers of any
//! size, injects faults (see [`faults`]), and speaks the dialects the real platform may speak
//! where its documentation is silent (see [`dialect`]).
//!
//! # Layout
//! - this module: [`Sandbox`] (start it, read its call log) and its routes;
//! - `api`: the platform's routes, and the gate every call passes (key, call log, faults);
//! - `control`: the test instrument's routes under `/__sandbox/`, and the key they ask for;
//! - [`data`]: users, referrals, counters and the operations on them.
//! - [`faults`]: the fault switches and how they bend a response.
//! - [`dialect`]: paging, ordering, filters and duplicates the way another platform might.
//! - [`webhooks`]: the outbound webhooks it sends when referrers join, leads arrive or
//!   qualify, and rewards are issued.
//! - [`rewards`]: the campaign's state and the rewards (definitions, due, issued), their routes
//!   and their controls.

mod api;
mod control;
pub mod data;
pub mod dialect;
pub mod faults;
pub mod rewards;
pub mod webhooks;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use tokio::time::Instant;

use axum::Router;
use time::OffsetDateTime;
use tokio::net::TcpListener;
use url::Url;

use data::{Data, Seed};
use dialect::Dialect;
use faults::Faults;

/// How to start a sandbox.
#[derive(Debug, Clone)]
pub struct Options {
    /// The bearer key it accepts.
    pub key: String,
    /// Its one campaign.
    pub campaign_id: u64,
    /// Referrers to create at start.
    pub seeds: Vec<Seed>,
}

/// One API call as the sandbox saw it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Call {
    /// `create`, `get`, `search` or `other`.
    pub route: &'static str,
    /// Milliseconds since the sandbox started, on arrival (on tokio's clock: a test that pauses
    /// time reads the arrivals on its own clock).
    pub at_ms: f64,
    /// The status it answered.
    pub status: u16,
}

/// The sandbox's state, shared by its handlers.
struct Inner {
    data: Mutex<Data>,
    rewards: Mutex<rewards::data::Rewards>,
    key: String,
    calls: Mutex<Vec<Call>>,
    faults: Mutex<Faults>,
    dialect: Mutex<Dialect>,
    webhooks: Mutex<webhooks::Config>,
    deliveries: Mutex<Vec<webhooks::Delivery>>,
    /// `http://addr/api/v2`, for absolute links as Laravel writes them.
    api_base: String,
    started: Instant,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Test instrument state stays usable even if a handler panicked mid-update.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A running sandbox.
#[derive(Clone)]
pub struct Sandbox {
    addr: SocketAddr,
    shared: Arc<Inner>,
}

impl Sandbox {
    /// Serves a sandbox on `listener` (in a background task) and returns its handle.
    pub async fn spawn(listener: TcpListener, options: Options) -> std::io::Result<Self> {
        let addr = listener.local_addr()?;
        let mut data = Data::new(
            options.campaign_id,
            ["http://", &addr.to_string(), "/r/"].concat(),
        );
        let now = OffsetDateTime::now_utc();
        for seed in &options.seeds {
            data.seed(seed, now);
        }
        let demo_rewards = rewards::demo(&data, now);
        let shared = Arc::new(Inner {
            data: Mutex::new(data),
            rewards: Mutex::new(demo_rewards),
            key: options.key,
            calls: Mutex::new(Vec::new()),
            faults: Mutex::new(Faults::default()),
            dialect: Mutex::new(Dialect::default()),
            webhooks: Mutex::new(webhooks::Config::default()),
            deliveries: Mutex::new(Vec::new()),
            api_base: ["http://", &addr.to_string(), "/api/v2"].concat(),
            started: Instant::now(),
        });
        let app = router(shared.clone());
        tokio::spawn(async move {
            if let Err(error) = axum::serve(listener, app).await {
                tracing::error!(%error, "sandbox stopped");
            }
        });
        tracing::info!(%addr, "Referral Factory sandbox listening");
        Ok(Self { addr, shared })
    }

    /// Its address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The API base URL to configure the client with (`http://addr/api/v2`).
    pub fn api_url(&self) -> Url {
        let text = ["http://", &self.addr.to_string(), "/api/v2"].concat();
        Url::parse(&text).unwrap_or_else(|_| unreachable!("a socket address always forms a URL"))
    }

    /// The bearer key it accepts, on its API and on its control routes (`/__sandbox/`). In
    /// sandbox mode a random one for each process, which the binary logs for the developer.
    pub fn key(&self) -> &str {
        &self.shared.key
    }

    /// The API calls received so far.
    pub fn calls(&self) -> Vec<Call> {
        lock(&self.shared.calls).clone()
    }

    /// Points its webhooks at `url` with the header `name: value`, every field under its own
    /// name (what `POST /__sandbox/webhooks` does over HTTP).
    pub fn point_webhooks(&self, url: String, name: &str, value: &str) {
        let config = webhooks::Config {
            url,
            headers: [(name.to_owned(), value.to_owned())].into(),
            ..webhooks::Config::default()
        };
        *lock(&self.shared.webhooks) = config;
    }
}

fn router(shared: Arc<Inner>) -> Router {
    let control = control::routes().merge(rewards::control()).route_layer(
        axum::middleware::from_fn_with_state(shared.clone(), control::gate),
    );
    api::routes(&shared).merge(control).with_state(shared)
}
