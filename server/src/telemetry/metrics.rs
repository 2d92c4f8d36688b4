//! What the server counts, recorded with the `metrics` crate into the process's recorder
//! (`metrics-exporter-prometheus`), which [`crate::telemetry::metrics`] serves as `GET /metrics`. A
//! leaf module: everything that counts imports it, it imports nothing of the crate.
//!
//! Every metric is named here, with one function per thing counted, so each place that counts
//! is one line and the list below is the whole of it. Labels are routes, statuses, outcomes and
//! error types: bounded sets, never a user, an email or an id.
//!
//! | metric | type | labels |
//! |---|---|---|
//! | `referrer_dashboard_http_request_duration_seconds` | histogram | `method`, `route`, `status` |
//! | `referrer_dashboard_upstream_requests_total` | counter | `route`, `status` (`error` when no answer) |
//! | `referrer_dashboard_upstream_pauses_total` | counter | |
//! | `referrer_dashboard_upstream_budget_granted_total` | counter | |
//! | `referrer_dashboard_upstream_budget_limit` | gauge | |
//! | `referrer_dashboard_cache_lookups_total` | counter | `result` (`hit`, `miss`, `stale`) |
//! | `referrer_dashboard_sessions_total` | counter | `outcome` (`fresh`, `cached`, `stale`, `refused`), `type` |
//! | `referrer_dashboard_webhook_events_total` | counter | `result` (`applied`, `unknown_referrer`, or the refusal's type) |
//! | `referrer_dashboard_dependency_up` | gauge | `dependency` (`store`, `redis`) |
//! | `referrer_dashboard_session_parts_dropped_total` | counter | `part` (`rewards`, `program`) |
//! | `referrer_dashboard_connections_refused_total` | counter | `cap` (`total`, `per_address`) |
//! | `referrer_dashboard_connections_evicted_total` | counter | |
//!
//! The budget in use across every instance is
//! `sum(increase(referrer_dashboard_upstream_budget_granted_total[1m]))`, to compare with
//! `referrer_dashboard_upstream_budget_limit` (the calls any 60 s window may hold).
//!
//! The recorder is the process's global one (the `metrics` macros record into it wherever they
//! are called). When a host has installed its own recorder, ours is not installed and the
//! metrics go to the host's.

use std::sync::OnceLock;
use std::time::Duration;

use metrics::{counter, gauge};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// Request latency.
pub const REQUEST_SECONDS: &str = "referrer_dashboard_http_request_duration_seconds";
/// Upstream HTTP attempts.
pub const UPSTREAM_REQUESTS: &str = "referrer_dashboard_upstream_requests_total";
/// Pauses of every upstream call after a 429.
pub const UPSTREAM_PAUSES: &str = "referrer_dashboard_upstream_pauses_total";
/// Upstream calls the budget let through.
pub const BUDGET_GRANTED: &str = "referrer_dashboard_upstream_budget_granted_total";
/// The budget: calls in any 60 s window, across every instance.
pub const BUDGET_LIMIT: &str = "referrer_dashboard_upstream_budget_limit";
/// Cache lookups by result.
pub const CACHE_LOOKUPS: &str = "referrer_dashboard_cache_lookups_total";
/// Sessions served or refused.
pub const SESSIONS: &str = "referrer_dashboard_sessions_total";
/// Webhook calls.
pub const WEBHOOK_EVENTS: &str = "referrer_dashboard_webhook_events_total";
/// Sessions that went out without a part the platform failed to give.
pub const PARTS_DROPPED: &str = "referrer_dashboard_session_parts_dropped_total";
/// Connections closed as soon as they were accepted, over a cap.
pub const CONNECTIONS_REFUSED: &str = "referrer_dashboard_connections_refused_total";
/// Idle connections closed at the global cap to make room for a new one.
pub const CONNECTIONS_EVICTED: &str = "referrer_dashboard_connections_evicted_total";
/// Whether a dependency answered when last asked.
pub const DEPENDENCY_UP: &str = "referrer_dashboard_dependency_up";

/// Latency buckets, in seconds: a cached session answers in well under a millisecond, a fresh
/// one in a few upstream round trips, and the session deadline is 13 s.
const LATENCY_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 15.0,
];

/// How often histograms are folded into what is rendered, whether or not anyone scrapes (the
/// exporter keeps raw samples until then).
const UPKEEP_EVERY: Duration = Duration::from_secs(5);

/// Every metric in the Prometheus text format (version 0.0.4).
pub fn text() -> String {
    handle().render()
}

/// The process's recorder, installed on first use.
fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Full(REQUEST_SECONDS.into()), LATENCY_BUCKETS)
            // Cannot fail: the bucket list above is not empty.
            .unwrap_or_else(|_| PrometheusBuilder::new())
            .build_recorder();
        let handle = recorder.handle();
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("another metrics recorder is installed; /metrics stays empty");
        }
        let upkeep = handle.clone();
        std::thread::spawn(move || {
            loop {
                std::thread::sleep(UPKEEP_EVERY);
                upkeep.run_upkeep();
            }
        });
        describe();
        handle
    })
}

fn describe() {
    use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
    describe_histogram!(
        REQUEST_SECONDS,
        Unit::Seconds,
        "Time to answer a request, by route and status."
    );
    describe_counter!(
        UPSTREAM_REQUESTS,
        "Requests to the Referral Factory API, by route and status."
    );
    describe_counter!(UPSTREAM_PAUSES, "Times a 429 paused every upstream call.");
    describe_counter!(
        BUDGET_GRANTED,
        "Upstream calls the budget let through (this instance)."
    );
    describe_gauge!(
        BUDGET_LIMIT,
        "Upstream calls allowed in any 60 s window, across all instances."
    );
    describe_counter!(
        CACHE_LOOKUPS,
        "Cache lookups: hit, miss (fetched), stale (served after a failure)."
    );
    describe_counter!(
        SESSIONS,
        "Sessions answered: fresh, cached, stale, or refused by error type."
    );
    describe_counter!(
        WEBHOOK_EVENTS,
        "Webhook calls: applied, unknown referrer, or refused by error type."
    );
    describe_counter!(
        PARTS_DROPPED,
        "Sessions sent without their rewards or program state (the platform failed, was slow or unreadable)."
    );
    describe_counter!(
        CONNECTIONS_REFUSED,
        "Connections closed as soon as they were accepted: over the global cap (every open one busy) or their address's."
    );
    describe_counter!(
        CONNECTIONS_EVICTED,
        "Idle connections closed at the global cap to make room for a new one."
    );
    describe_gauge!(
        DEPENDENCY_UP,
        "1 when the store or Redis answered when last asked, else 0."
    );
}

/// Installs the recorder (idempotent) and records what the configuration fixes.
pub fn install(budget_per_minute: u32) {
    handle();
    gauge!(BUDGET_LIMIT).set(f64::from(budget_per_minute));
}

/// An upstream attempt to `route` answered `status` (`None`: no answer, counted as `error`).
pub fn upstream_call(route: &'static str, status: Option<u16>) {
    let status = status.map_or_else(|| "error".to_owned(), |s| s.to_string());
    counter!(UPSTREAM_REQUESTS, "route" => route, "status" => status).increment(1);
}

/// A 429 paused every upstream call.
pub fn upstream_paused() {
    counter!(UPSTREAM_PAUSES).increment(1);
}

/// The budget let a call through: counted, and `Ok` for the caller to return.
pub fn budget_granted<E>() -> Result<(), E> {
    counter!(BUDGET_GRANTED).increment(1);
    Ok(())
}

/// A cache lookup's result: `hit`, `miss` or `stale`.
pub fn cache(result: &'static str) {
    counter!(CACHE_LOOKUPS, "result" => result).increment(1);
}

/// A stale answer after a failed fetch, counted and passed on.
pub fn stale<T>(hit: T) -> T {
    cache("stale");
    hit
}

/// A session served: `stale` when marked so, `fresh` when built since `asked_at`, else `cached`.
pub fn session_served(stale: bool, built_at: tokio::time::Instant, asked_at: tokio::time::Instant) {
    let outcome = if stale {
        "stale"
    } else if built_at >= asked_at {
        "fresh"
    } else {
        "cached"
    };
    counter!(SESSIONS, "outcome" => outcome, "type" => "").increment(1);
}

/// A session request refused, by the error's type.
pub fn session_refused(kind: &'static str) {
    counter!(SESSIONS, "outcome" => "refused", "type" => kind).increment(1);
}

/// A webhook call's result: `applied`, `unknown_referrer`, or the refusal's error type.
pub fn webhook(result: &'static str) {
    counter!(WEBHOOK_EVENTS, "result" => result).increment(1);
}

/// A session sent without `part` (`rewards` or `program`).
pub fn part_dropped(part: &'static str) {
    counter!(PARTS_DROPPED, "part" => part).increment(1);
}

/// A connection closed at once over `cap` (`total` or `per_address`).
pub fn connection_refused(cap: &'static str) {
    counter!(CONNECTIONS_REFUSED, "cap" => cap).increment(1);
}

/// An idle connection was closed at the global cap to make room for a new one.
pub fn connection_evicted() {
    counter!(CONNECTIONS_EVICTED).increment(1);
}

/// Whether the store and (when configured) Redis answered.
pub fn dependencies(store: bool, redis: Option<bool>) {
    gauge!(DEPENDENCY_UP, "dependency" => "store").set(f64::from(u8::from(store)));
    if let Some(redis) = redis {
        gauge!(DEPENDENCY_UP, "dependency" => "redis").set(f64::from(u8::from(redis)));
    }
}
