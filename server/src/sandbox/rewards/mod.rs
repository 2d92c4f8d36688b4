//! The campaign and rewards routes of the sandbox: the platform's (`GET /campaigns/{id}`,
//! `GET|POST(search) /rewards/{dashboard|due|issued}/{metric}`, `POST /rewards/issue/{id}`), and
//! the test instrument's (`/__sandbox/rewards/...`, `/__sandbox/campaign`).
//!
//! Lists are Laravel pages (`?page=`, `?per_page=` up to 250, `links` and `meta`). Two dialects
//! bend them ([`super::dialect::Dialect`]): `reward_filters_ignored` (a search answers every row
//! of the account, whatever its filter) and `rewards_missing` (every rewards route answers 404,
//! as for an account without the rewards feature).

pub mod data;
mod demo;

pub use demo::demo;

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use time::OffsetDateTime;

use super::api::{error, fire, refusal};
use super::data::Refusal;
use super::{Inner, lock, webhooks};
use data::{CampaignState, Definition, METRICS, NewDue};

/// Default and largest page sizes of the API's lists.
const DEFAULT_PER_PAGE: usize = 25;
const MAX_PER_PAGE: usize = 250;

/// The platform's routes, nested under `/api/v2` with the others.
pub(super) fn api() -> Router<Arc<Inner>> {
    Router::new()
        .route("/campaigns/{id}", get(campaign))
        .route("/rewards/{ledger}/{metric}", get(list))
        .route("/rewards/{ledger}/{metric}/search", post(search))
        .route("/rewards/issue/{id}", post(issue_api))
}

/// The test instrument's routes.
pub(super) fn control() -> Router<Arc<Inner>> {
    Router::new()
        .route("/__sandbox/campaign", post(set_campaign))
        .route("/__sandbox/rewards/definitions", post(define))
        .route("/__sandbox/rewards/due", post(add_due))
        .route("/__sandbox/rewards/{id}/issue", post(issue_control))
}

#[derive(Deserialize)]
struct Paging {
    page: Option<usize>,
    per_page: Option<usize>,
}

async fn campaign(State(shared): State<Arc<Inner>>, Path(id): Path<String>) -> Response {
    let campaign_id = lock(&shared.data).campaign_id();
    if id.parse::<u64>().ok() != Some(campaign_id) {
        return refusal(Refusal::NotFound);
    }
    Json(json!({"data": lock(&shared.rewards).render_campaign(campaign_id)})).into_response()
}

/// Every row of a list: the definitions, or the due or issued rows of a metric.
fn rows(shared: &Inner, ledger: &str, metric: &str) -> Option<Vec<Value>> {
    if !METRICS.contains(&metric) || lock(&shared.dialect).rewards_missing {
        return None;
    }
    let campaign_id = lock(&shared.data).campaign_id();
    let rewards = lock(&shared.rewards);
    match ledger {
        "dashboard" => Some(rewards.render_definitions(metric, campaign_id)),
        "due" => Some(rewards.render_rows(metric, false)),
        "issued" => Some(rewards.render_rows(metric, true)),
        _ => None,
    }
}

async fn list(
    State(shared): State<Arc<Inner>>,
    Path((ledger, metric)): Path<(String, String)>,
    Query(paging): Query<Paging>,
) -> Response {
    match rows(&shared, &ledger, &metric) {
        Some(rows) => page(
            &shared,
            &format!("/rewards/{ledger}/{metric}"),
            rows,
            &paging,
        ),
        None => error(StatusCode::NOT_FOUND, "Not found"),
    }
}

async fn search(
    State(shared): State<Arc<Inner>>,
    Path((ledger, metric)): Path<(String, String)>,
    Query(paging): Query<Paging>,
    body: Option<Json<Value>>,
) -> Response {
    let Some(all) = rows(&shared, &ledger, &metric) else {
        return error(StatusCode::NOT_FOUND, "Not found");
    };
    let body = body.map(|Json(b)| b).unwrap_or(Value::Null);
    let ignored = lock(&shared.dialect).reward_filters_ignored;
    let mut kept = Vec::with_capacity(all.len());
    for row in all {
        match data::matches(&row, &body) {
            Ok(matched) if matched || ignored => kept.push(row),
            Ok(_) => {}
            Err(refused) => return refusal(refused),
        }
    }
    page(
        &shared,
        &format!("/rewards/{ledger}/{metric}/search"),
        kept,
        &paging,
    )
}

/// One Laravel page of `rows`.
fn page(shared: &Inner, path: &str, rows: Vec<Value>, paging: &Paging) -> Response {
    let per_page = paging.per_page.unwrap_or(DEFAULT_PER_PAGE);
    if !(1..=MAX_PER_PAGE).contains(&per_page) {
        return refusal(Refusal::Invalid(
            "per_page",
            "The per page must be between 1 and 250.".into(),
        ));
    }
    let page = paging.page.unwrap_or(1).max(1);
    let total = rows.len();
    let last_page = total.div_ceil(per_page).max(1);
    let start = ((page - 1) * per_page).min(total);
    let end = (start + per_page).min(total);
    let base = [shared.api_base.as_str(), path].concat();
    let link = |p: usize| json!(format!("{base}?page={p}&per_page={per_page}"));
    Json(json!({
        "data": rows[start..end],
        "links": {
            "first": link(1),
            "last": link(last_page),
            "prev": if page > 1 { link(page - 1) } else { Value::Null },
            "next": if page < last_page { link(page + 1) } else { Value::Null },
        },
        "meta": {"current_page": page, "last_page": last_page, "per_page": per_page,
            "total": total, "path": base},
    }))
    .into_response()
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Issue {
    #[serde(default)]
    status: Option<String>,
}

/// Issues a due reward, and sends "a reward is issued" when webhooks are on.
fn issue(shared: &Arc<Inner>, id: u64, status: Option<&str>) -> Response {
    let issued = lock(&shared.rewards).issue(id, status, OffsetDateTime::now_utc());
    match issued {
        Ok(recipient) => {
            fire(shared, webhooks::Event::RewardIssued, recipient);
            Json(json!({"data": {"id": id, "status": status.unwrap_or("Issued")}})).into_response()
        }
        Err(refused) => refusal(refused),
    }
}

/// `POST /rewards/issue/{id}`, as the platform documents it.
async fn issue_api(State(shared): State<Arc<Inner>>, Path(id): Path<u64>) -> Response {
    if lock(&shared.dialect).rewards_missing {
        return error(StatusCode::NOT_FOUND, "Not found");
    }
    issue(&shared, id, None)
}

/// Issues a due reward with any status (`Issued`, `Sending`, `Sent`, `Failed`, `Canceled`).
async fn issue_control(
    State(shared): State<Arc<Inner>>,
    Path(id): Path<u64>,
    body: Option<Json<Issue>>,
) -> Response {
    let status = body.and_then(|Json(b)| b.status);
    issue(&shared, id, status.as_deref())
}

async fn add_due(State(shared): State<Arc<Inner>>, Json(due): Json<NewDue>) -> Response {
    let data = lock(&shared.data);
    let added = lock(&shared.rewards).add_due(&data, &due, OffsetDateTime::now_utc());
    match added {
        Ok(id) => (StatusCode::CREATED, Json(json!({"id": id}))).into_response(),
        Err(refused) => refusal(refused),
    }
}

async fn define(
    State(shared): State<Arc<Inner>>,
    Json(definitions): Json<Vec<Definition>>,
) -> Response {
    if let Some(bad) = definitions
        .iter()
        .find(|d| !METRICS.contains(&d.metric.as_str()))
    {
        return error(
            StatusCode::UNPROCESSABLE_ENTITY,
            &format!("unknown metric {}; metrics are {METRICS:?}", bad.metric),
        );
    }
    lock(&shared.rewards).define(definitions);
    StatusCode::NO_CONTENT.into_response()
}

async fn set_campaign(
    State(shared): State<Arc<Inner>>,
    Json(state): Json<CampaignState>,
) -> StatusCode {
    lock(&shared.rewards).campaign = state;
    StatusCode::NO_CONTENT
}
