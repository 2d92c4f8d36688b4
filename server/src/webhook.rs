//! The platform's outbound webhooks, received: `POST /api/referral-factory/webhook`.
//!
//! Referral Factory can POST to a URL of the business's when a new referrer joins, a new lead
//! is created, a lead is qualified or a reward is issued, with the user fields the business
//! toggles, under names it chooses, and up to three headers of its own. The platform signs
//! nothing, so a header carries a shared secret (`X-Dashboard-Webhook-Secret`), compared in
//! constant time; a wrong or missing one is 401 and changes nothing.
//!
//! A valid call names a referrer, by any of the fields the backend guide tells the business
//! to send (a lead event: the lead's `referrer_id`, `referrer_code` or `referrer_email`; a
//! new-referrer or reward-issued event: the user's own `id`, `code` or `email`), in a JSON or
//! form body; when both a lead's referrer and a user are named, both; an email names every
//! user linked with it (see [`crate::store::MappingStore::find`]). Their cached sessions,
//! referral lists and rewards are dropped, on every instance with Redis, and
//! the next request builds them afresh: with webhooks, cached data can live for
//! `DASHBOARD_CACHE_TTL_SECS` (15 minutes) while sessions keep their short `expires_at`, so a
//! change shows within one session lifetime and nothing changed costs nothing upstream.
//!
//! The answer is 202 whether the referrer is known here or not (no trace of who is), and the
//! same call twice does no more than once. Rebuilds after an invalidation go through the
//! upstream budget like every other fetch, so a storm of webhooks cannot exceed it. The secret is
//! checked before any limit; only calls without it are limited per client address.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::client_addr::client_address;
use crate::dashboard::{Referred, SessionBuilder};
use crate::error::Error;
use crate::limit::{Denied, Limit, Limiter, WhenUnavailable};

/// The webhook's path in the binary (SPEC §6).
pub const WEBHOOK_PATH: &str = "/api/referral-factory/webhook";

/// The header that carries the shared secret.
pub const SECRET_HEADER: &str = "x-dashboard-webhook-secret";

/// Calls with a wrong or missing secret per client address and minute: enough for a
/// misconfigured sender to be heard (401) while its operator looks, few enough that guessing
/// the secret (32+ bytes) is hopeless.
pub const CALLS_PER_MIN: u32 = 600;

/// Failed webhook calls per client address: [`CALLS_PER_MIN`], as many at once, counted apart
/// from the session endpoint's limit per address. Calls with the right secret are not limited
/// here (the upstream budget bounds what their rebuilds cost).
pub fn calls() -> Limit {
    Limit {
        name: "webhook-address",
        per_minute: CALLS_PER_MIN,
        burst: CALLS_PER_MIN,
        when_unavailable: WhenUnavailable::CountHere,
    }
}

/// How soon the platform may send a call again that could not be handled (the store or Redis
/// unreachable).
const RETRY: Duration = Duration::from_secs(1);

/// The largest body read: a webhook is a few fields (the server's own limit is larger).
const MAX_BODY_BYTES: usize = 8 * 1024;

/// The fields that name the referrer of a lead event, in the order they are tried.
const LEAD_FIELDS: [&str; 3] = ["referrer_id", "referrer_code", "referrer_email"];

/// The fields that name the user of a new-referrer event, in the order they are tried.
const USER_FIELDS: [&str; 3] = ["id", "code", "email"];

struct Hook {
    sessions: Arc<SessionBuilder>,
    /// SHA-256 of the secret: compared in constant time with the header's, whatever its length.
    secret: [u8; 32],
    limit: Limiter,
}

/// A router with the webhook at [`WEBHOOK_PATH`], accepting calls that carry `secret`.
pub fn router(sessions: Arc<SessionBuilder>, secret: &str) -> Router {
    let hook = Arc::new(Hook {
        limit: sessions.backing().limiter(calls()),
        sessions,
        secret: Sha256::digest(secret.as_bytes()).into(),
    });
    Router::new()
        .route(WEBHOOK_PATH, post(receive))
        .with_state(hook)
}

async fn receive(State(hook): State<Arc<Hook>>, request: Request) -> Response {
    let result = handle(&hook, request).await;
    crate::telemetry::metrics::webhook(match &result {
        Ok(true) => "applied",
        Ok(false) => "unknown_referrer",
        Err(error) => error.kind(),
    });
    match result {
        Ok(known) => {
            if known {
                tracing::info!("webhook: a referrer's cached dashboard was dropped");
            } else {
                tracing::debug!("webhook for a referrer not linked here; nothing cached to drop");
            }
            // The same answer either way: nothing tells a caller who is known here.
            let mut response = (
                StatusCode::ACCEPTED,
                axum::Json(json!({"status": "accepted"})),
            )
                .into_response();
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Err(error) => {
            let again = matches!(error, Error::Store(_) | Error::Unavailable);
            let mut response = error.into_response();
            if again {
                // The platform retries failed deliveries: soon, since nothing was wrong with it.
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, crate::retry_after::header(RETRY));
            }
            response
        }
    }
}

/// Checks, reads and acts on one call; whether the referrer it names is known here.
async fn handle(hook: &Hook, request: Request) -> Result<bool, Error> {
    let (parts, body) = request.into_parts();
    let given = parts
        .headers
        .get(SECRET_HEADER)
        .map(|v| Sha256::digest(v.as_bytes()));
    let valid = given.is_some_and(|given| bool::from(given[..].ct_eq(&hook.secret[..])));
    // The secret first, and only a failed call counts against its address: behind a proxy, or
    // from the platform's few addresses, junk from one caller must never lock the genuine
    // webhook out.
    if !valid {
        if let Some(address) = client_address(&parts)
            && let Err(Denied::Wait(retry_after)) = hook.limit.admit(&address.to_string()).await
        {
            return Err(Error::RateLimited { retry_after });
        }
        return Err(Error::WrongSecret);
    }
    let headers = parts.headers;
    // Read only now: a caller without the secret does not get its body read at all.
    let body = axum::body::to_bytes(body, MAX_BODY_BYTES)
        .await
        .map_err(|_| Error::TooLarge)?;
    let fields = fields(&headers, &body).ok_or(Error::BadRequest(
        "the body must be a JSON object or a form",
    ))?;
    let named = named(&fields);
    if named.is_empty() {
        return Err(Error::BadRequest(
            "no referrer named: send referrer_id, referrer_code or referrer_email (lead events) or id, code or email (new referrer)",
        ));
    }
    let mut known = false;
    for referrer in &named {
        known |= hook.sessions.invalidate_referrer(referrer).await?;
    }
    Ok(known)
}

/// The body's fields, from JSON (an object, its `data` or `user` object merged in) or a form.
fn fields(headers: &HeaderMap, body: &[u8]) -> Option<Map<String, Value>> {
    let form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("application/x-www-form-urlencoded"));
    if form {
        return Some(
            url::form_urlencoded::parse(body)
                .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
                .collect(),
        );
    }
    let Value::Object(mut top) = serde_json::from_slice::<Value>(body).ok()? else {
        return None;
    };
    // Some payloads wrap the user: look one level in, without overriding the top level.
    for wrapper in ["data", "user"] {
        if let Some(Value::Object(inner)) = top.get(wrapper).cloned() {
            for (key, value) in inner {
                top.entry(key).or_insert(value);
            }
        }
    }
    Some(top)
}

/// The referrer the fields name: a lead's referrer first, else the user itself.
pub fn referred(fields: &Map<String, Value>) -> Option<Referred> {
    named(fields).into_iter().next()
}

/// Everyone the fields name: a lead's referrer, and the user itself. Both are dropped: a lead
/// event changes its referrer's data, and a "reward is issued" event its recipient's, whose own
/// referrer's fields may come along (the business toggles fields per webhook, not per event).
pub fn named(fields: &Map<String, Value>) -> Vec<Referred> {
    [LEAD_FIELDS, USER_FIELDS]
        .into_iter()
        .filter_map(|names| named_by(fields, names))
        .collect()
}

/// The person one group of fields (id, code, email) names, by the first one present.
fn named_by(fields: &Map<String, Value>, [id, code, email]: [&str; 3]) -> Option<Referred> {
    let text = |name: &str| -> Option<String> {
        match fields.get(name)? {
            Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    };
    if let Some(id) = text(id).and_then(|v| v.parse::<u64>().ok()) {
        return Some(Referred::Id(id));
    }
    if let Some(code) = text(code) {
        return Some(Referred::Code(code));
    }
    text(email).filter(|e| e.contains('@')).map(Referred::Email)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => Map::new(),
        }
    }

    #[test]
    fn a_lead_event_names_its_referrer_before_itself() {
        let lead = map(json!({"id": 99, "referrer_id": "7", "email": "lead@example.net"}));
        assert_eq!(referred(&lead), Some(Referred::Id(7)));
        let by_code = map(json!({"id": 99, "referrer_code": "ADA7"}));
        assert_eq!(referred(&by_code), Some(Referred::Code("ADA7".into())));
        let by_email = map(json!({"referrer_email": " Ada@Example.com "}));
        assert_eq!(
            referred(&by_email),
            Some(Referred::Email("Ada@Example.com".into()))
        );
    }

    #[test]
    fn a_reward_event_drops_its_recipient_and_the_referrer_named_beside_it() {
        let reward = map(json!({"event": "reward_issued", "id": 7, "referrer_id": 3}));
        assert_eq!(named(&reward), [Referred::Id(3), Referred::Id(7)]);
        assert_eq!(named(&map(json!({"id": 7}))), [Referred::Id(7)]);
        assert!(named(&map(json!({"first_name": "Jo"}))).is_empty());
    }

    #[test]
    fn a_new_referrer_event_names_the_user() {
        assert_eq!(referred(&map(json!({"id": 12}))), Some(Referred::Id(12)));
        assert_eq!(
            referred(&map(json!({"code": "X1"}))),
            Some(Referred::Code("X1".into()))
        );
        assert_eq!(
            referred(&map(json!({"email": "a@b.example"}))),
            Some(Referred::Email("a@b.example".into()))
        );
        assert_eq!(
            referred(&map(json!({"email": "not-an-email", "first_name": "Jo"}))),
            None
        );
        assert_eq!(referred(&map(json!({"id": "abc"}))), None);
    }

    #[test]
    fn bodies_are_read_as_json_wrapped_or_not_or_as_a_form() {
        let json_headers = HeaderMap::new();
        let wrapped = fields(
            &json_headers,
            br#"{"event": "x", "data": {"referrer_id": 3}}"#,
        )
        .unwrap();
        assert_eq!(referred(&wrapped), Some(Referred::Id(3)));
        let mut form_headers = HeaderMap::new();
        form_headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/x-www-form-urlencoded"),
        );
        let form = fields(&form_headers, b"referrer_code=ADA%207&event=new_lead").unwrap();
        assert_eq!(referred(&form), Some(Referred::Code("ADA 7".into())));
        assert!(fields(&json_headers, b"[1, 2]").is_none());
        assert!(fields(&json_headers, b"not json").is_none());
    }
}
