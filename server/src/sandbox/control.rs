//! The test instrument's side of the sandbox, under `/__sandbox/`: the call log, faults,
//! dialects, seeding referrers, adding and qualifying leads, and where webhooks go.
//!
//! Every route asks for the sandbox's own key (`Authorization: Bearer <key>`, as its API
//! routes do, [`gate`]): its port is printed in the log and reachable by any local process,
//! and these routes change what the server is told and where webhooks (with their secret) go.

use std::sync::Arc;

use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use time::OffsetDateTime;

use super::api::{carries_key, error, fire, refusal, unauthenticated, yes};
use super::data::Refusal;
use super::data::Seed;
use super::dialect::Dialect;
use super::faults::Faults;
use super::{Inner, lock, webhooks};

/// The test instrument's routes.
pub(super) fn routes() -> Router<Arc<Inner>> {
    Router::new()
        .route("/__sandbox/calls", get(calls).delete(reset_calls))
        .route("/__sandbox/faults", post(set_faults).delete(clear_faults))
        .route(
            "/__sandbox/dialect",
            post(set_dialect).get(get_dialect).delete(clear_dialect),
        )
        .route("/__sandbox/referrers", post(seed_referrer))
        .route("/__sandbox/referrers/{id}/referrals", post(add_referral))
        .route("/__sandbox/referrals/{id}/qualify", post(qualify_referral))
        .route(
            "/__sandbox/webhooks",
            post(set_webhooks).get(get_webhooks).delete(clear_webhooks),
        )
}

/// Lets through only calls with the sandbox's key; others get the 401 its API answers.
pub(super) async fn gate(
    State(shared): State<Arc<Inner>>,
    request: Request,
    next: Next,
) -> Response {
    if carries_key(request.headers(), &shared.key) {
        next.run(request).await
    } else {
        unauthenticated()
    }
}

#[derive(Deserialize)]
struct NewReferral {
    first_name: String,
    #[serde(default)]
    last_name: Option<String>,
}

/// A new lead for a referrer, as if someone signed up through their link.
async fn add_referral(
    State(shared): State<Arc<Inner>>,
    Path(referrer): Path<u64>,
    Json(request): Json<NewReferral>,
) -> Response {
    let added = lock(&shared.data).add_referral(
        referrer,
        &request.first_name,
        request.last_name.as_deref(),
        OffsetDateTime::now_utc(),
    );
    match added {
        Some(id) => {
            fire(&shared, webhooks::Event::NewLead, id);
            (StatusCode::CREATED, Json(json!({"id": id}))).into_response()
        }
        None => refusal(Refusal::NotFound),
    }
}

#[derive(Deserialize, Default)]
struct Qualify {
    #[serde(default = "yes")]
    qualified: bool,
}

/// Qualifies a lead, as the business does in the platform's dashboard.
async fn qualify_referral(
    State(shared): State<Arc<Inner>>,
    Path(id): Path<u64>,
    body: Option<Json<Qualify>>,
) -> Response {
    let qualified = body.is_none_or(|Json(q)| q.qualified);
    let changed = lock(&shared.data).qualify(id, qualified, OffsetDateTime::now_utc());
    match changed {
        Some(changed) => {
            if changed && qualified {
                fire(&shared, webhooks::Event::LeadQualified, id);
            }
            StatusCode::NO_CONTENT.into_response()
        }
        None => refusal(Refusal::NotFound),
    }
}

async fn set_webhooks(
    State(shared): State<Arc<Inner>>,
    Json(config): Json<webhooks::Config>,
) -> Response {
    if let Err(problem) = config.check() {
        return error(StatusCode::UNPROCESSABLE_ENTITY, &problem);
    }
    *lock(&shared.webhooks) = config;
    StatusCode::NO_CONTENT.into_response()
}

/// The webhook configuration and deliveries, every header value replaced with `***`: a header
/// carries the webhook's secret, and this route answers whoever finds the sandbox's port.
async fn get_webhooks(State(shared): State<Arc<Inner>>) -> Json<Value> {
    let mut config = lock(&shared.webhooks).clone();
    for value in config.headers.values_mut() {
        *value = "***".to_owned();
    }
    let deliveries = lock(&shared.deliveries).clone();
    Json(json!({"config": config, "deliveries": deliveries}))
}

async fn clear_webhooks(State(shared): State<Arc<Inner>>) -> StatusCode {
    *lock(&shared.webhooks) = webhooks::Config::default();
    lock(&shared.deliveries).clear();
    StatusCode::NO_CONTENT
}

async fn calls(State(shared): State<Arc<Inner>>) -> Json<Value> {
    let calls = lock(&shared.calls).clone();
    Json(json!({"total": calls.len(), "calls": calls}))
}

async fn reset_calls(State(shared): State<Arc<Inner>>) -> StatusCode {
    lock(&shared.calls).clear();
    StatusCode::NO_CONTENT
}

async fn set_faults(State(shared): State<Arc<Inner>>, Json(faults): Json<Faults>) -> StatusCode {
    *lock(&shared.faults) = faults;
    StatusCode::NO_CONTENT
}

async fn clear_faults(State(shared): State<Arc<Inner>>) -> StatusCode {
    *lock(&shared.faults) = Faults::default();
    StatusCode::NO_CONTENT
}

async fn set_dialect(State(shared): State<Arc<Inner>>, Json(dialect): Json<Dialect>) -> StatusCode {
    *lock(&shared.dialect) = dialect;
    StatusCode::NO_CONTENT
}

async fn get_dialect(State(shared): State<Arc<Inner>>) -> Json<Dialect> {
    Json(lock(&shared.dialect).clone())
}

async fn clear_dialect(State(shared): State<Arc<Inner>>) -> StatusCode {
    *lock(&shared.dialect) = Dialect::default();
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
struct SeedRequest {
    first_name: String,
    #[serde(default)]
    last_name: String,
    email: String,
    #[serde(default)]
    reach: u64,
    #[serde(default)]
    referrals: u64,
    #[serde(default)]
    qualified: u64,
}

/// Creates a referrer with any number of referrals (tests: "a referrer with 10,000").
async fn seed_referrer(
    State(shared): State<Arc<Inner>>,
    Json(request): Json<SeedRequest>,
) -> Response {
    let seed = Seed {
        first_name: request.first_name,
        last_name: request.last_name,
        email: request.email,
        reach: request.reach,
        referrals: request.referrals,
        qualified: request.qualified.min(request.referrals),
    };
    let id = lock(&shared.data).seed(&seed, OffsetDateTime::now_utc());
    (StatusCode::CREATED, Json(json!({"id": id}))).into_response()
}
