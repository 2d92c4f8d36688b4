//! The platform's side of the sandbox: the API v2 routes, the gate every call passes (key,
//! call log, faults), and the referral links' landing page.
//!
//! One file over the ~400 lines the server keeps to (issue 22), on purpose: every route below
//! passes the same gate, and reading them together is how one checks that none skips it.

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::{Path, Query, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post, put};
use serde::Deserialize;
use serde_json::{Value, json};
use time::OffsetDateTime;

use super::data::Refusal;
use super::dialect::{DuplicateCreate, Order};
use super::{Call, Inner, lock, webhooks};

/// Default and largest page sizes of the API's lists.
const DEFAULT_PER_PAGE: u64 = 25;
const MAX_PER_PAGE: u64 = 250;
use super::{data, dialect, faults};

/// The platform's routes: the API under `/api/v2` (every call through [`api_gate`]) and the
/// referral links.
pub(super) fn routes(shared: &Arc<Inner>) -> Router<Arc<Inner>> {
    let api = Router::new()
        .route("/users", post(create_user))
        .route("/users/search", post(search_users))
        .route("/users/qualification", put(qualification))
        .route("/users/{identifier}", get(get_user))
        .merge(super::rewards::api())
        .fallback(|| async { error(StatusCode::NOT_FOUND, "Not found") })
        .layer(middleware::from_fn_with_state(shared.clone(), api_gate));
    Router::new()
        .nest("/api/v2", api)
        .route("/r/{code}", get(landing))
}

/// `{code, message}` (plus `errors` for 422), as the API documents its errors.
pub(super) fn error(status: StatusCode, message: &str) -> Response {
    (
        status,
        Json(json!({"code": status.as_u16(), "message": message})),
    )
        .into_response()
}

pub(super) fn refusal(refusal: Refusal) -> Response {
    match refusal {
        Refusal::NotFound => error(StatusCode::NOT_FOUND, "Not found"),
        Refusal::Duplicate(_) => duplicate(StatusCode::UNPROCESSABLE_ENTITY),
        Refusal::Invalid(field, message) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(json!({
                "code": 422,
                "message": "Validation errors in your request",
                "errors": {field: [{"field": field, "message": message}]},
            })),
        )
            .into_response(),
    }
}

/// A create refused because the email is taken, with `errors.email`.
pub(super) fn duplicate(status: StatusCode) -> Response {
    (
        status,
        Json(json!({
            "code": status.as_u16(),
            "message": "Validation errors in your request",
            "errors": {"email": [{"field": "email", "message": "The email has already been taken."}]},
        })),
    )
        .into_response()
}

/// Whether `headers` carry `Authorization: Bearer <key>`, compared in constant time (a
/// comparison that stops at the first wrong byte tells a patient caller how much was right).
pub(super) fn carries_key(headers: &axum::http::HeaderMap, key: &str) -> bool {
    use subtle::ConstantTimeEq as _;
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|given| bool::from(given.as_bytes().ct_eq(key.as_bytes())))
}

/// The answer to a call without the key, as the platform words it.
pub(super) fn unauthenticated() -> Response {
    error(StatusCode::UNAUTHORIZED, "Unauthenticated.")
}

/// Every API call: counted, authenticated, and bent by the active faults.
async fn api_gate(State(shared): State<Arc<Inner>>, request: Request, next: Next) -> Response {
    let at_ms = shared.started.elapsed().as_secs_f64() * 1000.0;
    let route = match (request.method().as_str(), request.uri().path()) {
        ("POST", "/users") => "create",
        ("POST", "/users/search") => "search",
        ("PUT", "/users/qualification") => "qualify",
        (_, path) if path.starts_with("/rewards/") => "rewards",
        (_, path) if path.starts_with("/campaigns/") => "campaign",
        ("GET", _) => "get",
        _ => "other",
    };
    let authorized = carries_key(request.headers(), &shared.key);
    let plan = lock(&shared.faults).take(route);
    if let Some(stall) = plan.stall {
        tokio::time::sleep(stall).await;
    }
    let response = if !authorized {
        unauthenticated()
    } else if let Some(fault) = plan.status {
        fault.response()
    } else {
        let response = next.run(request).await;
        faults::bend(response, &plan).await
    };
    lock(&shared.calls).push(Call {
        route,
        at_ms,
        status: response.status().as_u16(),
    });
    response
}

#[derive(Deserialize)]
struct Paging {
    page: Option<String>,
    per_page: Option<String>,
    cursor: Option<String>,
    with: Option<String>,
}

async fn create_user(State(shared): State<Arc<Inner>>, body: Option<Json<Value>>) -> Response {
    let Some(Json(body)) = body else {
        return error(StatusCode::BAD_REQUEST, "Your request is invalid");
    };
    let duplicates = lock(&shared.dialect).duplicate_create;
    let mut data = lock(&shared.data);
    match data.create(&body, OffsetDateTime::now_utc()) {
        Ok(user) => {
            let user = user.clone();
            let rendered = data.render(&user, false);
            drop(data);
            let event = if user.referrer_id.is_some() {
                webhooks::Event::NewLead
            } else {
                webhooks::Event::NewReferrer
            };
            fire(&shared, event, user.id);
            (StatusCode::CREATED, Json(json!({"data": rendered}))).into_response()
        }
        Err(Refusal::Duplicate(id)) => match duplicates {
            DuplicateCreate::Unprocessable => duplicate(StatusCode::UNPROCESSABLE_ENTITY),
            DuplicateCreate::Conflict => duplicate(StatusCode::CONFLICT),
            DuplicateCreate::Existing | DuplicateCreate::CreatedExisting => match data.get(id) {
                Some(user) => {
                    let status = if duplicates == DuplicateCreate::Existing {
                        StatusCode::OK
                    } else {
                        StatusCode::CREATED
                    };
                    (status, Json(json!({"data": data.render(user, false)}))).into_response()
                }
                None => refusal(Refusal::NotFound),
            },
        },
        Err(refused) => refusal(refused),
    }
}

async fn get_user(
    State(shared): State<Arc<Inner>>,
    Path(identifier): Path<String>,
    Query(paging): Query<Paging>,
) -> Response {
    let analytics_missing = lock(&shared.dialect).analytics_missing;
    let data = lock(&shared.data);
    let with_analytics = !analytics_missing
        && paging
            .with
            .as_deref()
            .is_some_and(|w| w.split(',').any(|w| w.trim() == "user.analytics"));
    match data.find(&identifier) {
        Some(user) => Json(json!({"data": data.render(user, with_analytics)})).into_response(),
        None => refusal(Refusal::NotFound),
    }
}

async fn search_users(
    State(shared): State<Arc<Inner>>,
    Query(paging): Query<Paging>,
    body: Option<Json<Value>>,
) -> Response {
    let dialect = lock(&shared.dialect).clone();
    let body = body.map(|Json(b)| b).unwrap_or(Value::Null);
    let page = match paging.page.as_deref().map(str::parse::<u64>) {
        None => 1,
        Some(Ok(p)) if p >= 1 => p,
        Some(_) => {
            return refusal(Refusal::Invalid(
                "page",
                "The page must be at least 1.".into(),
            ));
        }
    };
    let per_page = match paging.per_page.as_deref().map(str::parse::<u64>) {
        _ if dialect.per_page_ignored => dialect::IGNORED_PER_PAGE,
        None => DEFAULT_PER_PAGE,
        Some(Ok(n)) if (1..=MAX_PER_PAGE).contains(&n) => n,
        Some(_) => {
            return refusal(Refusal::Invalid(
                "per_page",
                "The per page must be between 1 and 250.".into(),
            ));
        }
    };
    let data = lock(&shared.data);
    let mut ids = match data.search(&body, dialect.filters_ignored, dialect.string_filters_only) {
        Ok(ids) => ids,
        Err(refused) => return refusal(refused),
    };
    match dialect.order {
        Order::Asc => {}
        Order::Desc => ids.reverse(),
        Order::Random => ids.sort_by_key(|id| dialect::shuffle_key(*id)),
    }
    let total = ids.len() as u64;
    // Where this page starts: the page number, or (cursor paging) the offset in the cursor.
    let start = match dialect.paging {
        dialect::Paging::Cursor => match paging.cursor.as_deref().map(decode_cursor) {
            None => 0,
            Some(Some(offset)) => offset,
            Some(None) => {
                return refusal(Refusal::Invalid("cursor", "The cursor is invalid.".into()));
            }
        },
        _ => (page - 1) * per_page,
    }
    .min(total);
    let end = (start + per_page).min(total);
    let rows: Vec<Value> = ids[start as usize..end as usize]
        .iter()
        .filter_map(|id| data.get(*id))
        .map(|user| data.render(user, false))
        .collect();
    let base = [shared.api_base.as_str(), "/users/search"].concat();
    let page_link = |p: u64| json!(format!("{base}?page={p}&per_page={per_page}"));
    let last_page = total.div_ceil(per_page).max(1);
    let answer = match dialect.paging {
        dialect::Paging::PageMeta => json!({
            "data": rows,
            "links": {
                "first": page_link(1),
                "last": page_link(last_page),
                "prev": if page > 1 { page_link(page - 1) } else { Value::Null },
                "next": if page < last_page { page_link(page + 1) } else { Value::Null },
            },
            "meta": {
                "current_page": page,
                "from": if end > start { json!(start + 1) } else { Value::Null },
                "last_page": last_page,
                "path": base,
                "per_page": per_page,
                "to": if end > start { json!(end) } else { Value::Null },
                "total": total,
            },
        }),
        dialect::Paging::LinksOnly => json!({
            "data": rows,
            "links": {
                "prev": if page > 1 { page_link(page - 1) } else { Value::Null },
                "next": if end < total { page_link(page + 1) } else { Value::Null },
            },
        }),
        dialect::Paging::Cursor => {
            let next = (end < total).then(|| encode_cursor(end));
            json!({
                "data": rows,
                "links": {
                    "prev": Value::Null,
                    "next": next.as_ref().map(|c| format!("{base}?cursor={c}&per_page={per_page}")),
                },
                "meta": {"path": base, "per_page": per_page, "next_cursor": next},
            })
        }
    };
    Json(answer).into_response()
}

/// An opaque cursor for a position, as cursor paginators make them.
fn encode_cursor(offset: u64) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(json!({"offset": offset, "_pointsToNextItems": true}).to_string())
}

fn decode_cursor(text: &str) -> Option<u64> {
    use base64::Engine;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text)
        .ok()?;
    serde_json::from_slice::<Value>(&bytes)
        .ok()?
        .get("offset")?
        .as_u64()
}

/// Sends `event` about user `id` to the configured webhook, in the background, and logs the
/// delivery.
pub(super) fn fire(shared: &Arc<Inner>, event: webhooks::Event, id: u64) {
    let config = lock(&shared.webhooks).clone();
    if !config.sends(event) {
        return;
    }
    let payload = {
        let data = lock(&shared.data);
        let Some(user) = data.get(id) else { return };
        // A reward is about its recipient alone: their own referrer is no part of it.
        let referrer = match event {
            webhooks::Event::RewardIssued => None,
            _ => user.referrer_id.and_then(|r| data.get(r)),
        };
        config.payload(event, user, referrer)
    };
    let shared = shared.clone();
    tokio::spawn(async move {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::new();
        let mut request = client.post(&config.url);
        for (name, value) in &config.headers {
            request = request.header(name, value);
        }
        request = if config.form {
            request
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(webhooks::form_body(&payload))
        } else {
            request.json(&payload)
        };
        let status = match request.send().await {
            Ok(response) => response.status().as_u16(),
            Err(_) => 0,
        };
        lock(&shared.deliveries).push(webhooks::Delivery { event, status });
    });
}

#[derive(Deserialize)]
struct Qualification {
    #[serde(default = "yes")]
    qualified: bool,
    id: Option<Value>,
    code: Option<String>,
    email: Option<String>,
}

pub(super) fn yes() -> bool {
    true
}

/// `PUT /users/qualification`: qualifies (or unqualifies) a lead named by `id`, `code` or
/// `email`, as the platform documents it.
async fn qualification(
    State(shared): State<Arc<Inner>>,
    body: Option<Json<Qualification>>,
) -> Response {
    let Some(Json(body)) = body else {
        return error(StatusCode::BAD_REQUEST, "Your request is invalid");
    };
    let mut data = lock(&shared.data);
    let id = if let Some(id) = body.id.as_ref().and_then(data::as_u64) {
        data.get(id).map(|u| u.id)
    } else if let Some(code) = &body.code {
        data.find(code).map(|u| u.id)
    } else if let Some(email) = &body.email {
        data.find_by_email(email).map(|u| u.id)
    } else {
        return refusal(Refusal::Invalid("id", "The id field is required.".into()));
    };
    let Some(id) = id else {
        return refusal(Refusal::NotFound);
    };
    let changed = data
        .qualify(id, body.qualified, OffsetDateTime::now_utc())
        .unwrap_or(false);
    let rendered = data.get(id).map(|u| data.render(u, false));
    drop(data);
    if changed && body.qualified {
        fire(&shared, webhooks::Event::LeadQualified, id);
    }
    Json(json!({"data": rendered})).into_response()
}

/// A referral link's landing page; each view counts as reach.
async fn landing(State(shared): State<Arc<Inner>>, Path(code): Path<String>) -> Response {
    match lock(&shared.data).visit(&code) {
        Some(_) => Html(
            "<!doctype html><meta charset=utf-8><title>You're invited</title>\
             <h1>You were invited to Sandbox Co.</h1><p>This page stands in for a campaign's landing page.</p>",
        )
        .into_response(),
        None => (StatusCode::NOT_FOUND, "unknown referral code").into_response(),
    }
}
