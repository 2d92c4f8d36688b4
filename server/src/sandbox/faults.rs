//! Fault switches: what the sandbox does wrong on purpose, set by tests over HTTP
//! (`POST /__sandbox/faults` with a JSON body of this shape, `DELETE` to clear).
//!
//! Counted faults apply to the next `count` matching calls, then switch themselves off, so a
//! test can say "the next two calls fail" and then watch the client recover.

use std::time::Duration;

use axum::body::{Body, to_bytes};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

/// Bodies larger than this are not rewritten (the sandbox never sends one).
const MAX_BODY: usize = 64 * 1024 * 1024;

/// The switches. Every field is optional in the JSON.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Faults {
    /// Answer this status instead (429, 500, 503, ...).
    pub status: Option<u16>,
    /// `Retry-After` seconds to send with `status`.
    pub retry_after: Option<u64>,
    /// How many calls get `status` (default 1 when `status` is set).
    pub count: Option<u32>,
    /// Hold the answer this long before sending it.
    pub stall_ms: Option<u64>,
    /// How many calls stall (default 1 when `stall_ms` is set).
    pub stall_count: Option<u32>,
    /// How many successful answers are cut off halfway (invalid JSON).
    pub malformed: u32,
    /// While true, numbers arrive as strings and optional fields are missing.
    pub wrong_types: bool,
    /// How many creates succeed but answer 422, as if another client created the user first.
    pub create_conflict: u32,
    /// How many searches answer an empty list, as if the user searched for did not exist yet
    /// (the other half of a creation race: the create then finds them).
    pub search_misses: u32,
    /// Only these routes (`create`, `get`, `search`, `qualify`, `rewards`, `campaign`); all
    /// when empty.
    pub routes: Vec<String>,
}

/// What to do to one call.
#[derive(Debug, Default)]
pub struct Plan {
    /// Sleep first.
    pub stall: Option<Duration>,
    /// Answer this instead of running the route.
    pub status: Option<StatusFault>,
    /// Cut the body.
    pub malformed: bool,
    /// Stringify numbers and drop optional fields.
    pub wrong_types: bool,
    /// Answer 422 after creating.
    pub conflict: bool,
    /// Answer an empty search.
    pub miss: bool,
}

/// An injected error status.
#[derive(Debug, Clone, Copy)]
pub struct StatusFault {
    status: StatusCode,
    retry_after: Option<u64>,
}

impl StatusFault {
    /// The API's error body for the status.
    pub fn response(self) -> Response {
        let message = match self.status.as_u16() {
            429 => "Too Many Requests",
            503 => "Service Unavailable",
            _ => "Server Error",
        };
        let mut response = (
            self.status,
            axum::Json(json!({"code": self.status.as_u16(), "message": message})),
        )
            .into_response();
        if let Some(secs) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

fn take(counter: &mut Option<u32>) -> bool {
    match counter {
        Some(n) if *n > 0 => {
            *n -= 1;
            true
        }
        _ => false,
    }
}

fn take_plain(counter: &mut u32) -> bool {
    let hit = *counter > 0;
    *counter = counter.saturating_sub(1);
    hit
}

impl Faults {
    /// The plan for the next call on `route`, consuming counted faults.
    pub fn take(&mut self, route: &str) -> Plan {
        if !self.routes.is_empty() && !self.routes.iter().any(|r| r == route) {
            return Plan::default();
        }
        if self.status.is_some() && self.count.is_none() {
            self.count = Some(1);
        }
        if self.stall_ms.is_some() && self.stall_count.is_none() {
            self.stall_count = Some(1);
        }
        let stall =
            take(&mut self.stall_count).then(|| Duration::from_millis(self.stall_ms.unwrap_or(0)));
        let status = match self.status {
            Some(code) if take(&mut self.count) => {
                StatusCode::from_u16(code).ok().map(|status| StatusFault {
                    status,
                    retry_after: self.retry_after,
                })
            }
            _ => None,
        };
        Plan {
            stall,
            status,
            malformed: status.is_none() && take_plain(&mut self.malformed),
            wrong_types: self.wrong_types,
            conflict: route == "create" && take_plain(&mut self.create_conflict),
            miss: route == "search" && take_plain(&mut self.search_misses),
        }
    }
}

/// Applies the body faults of `plan` to a response the route produced.
pub async fn bend(response: Response, plan: &Plan) -> Response {
    if plan.miss && response.status().is_success() {
        return axum::Json(json!({"data": [], "links": {"next": null}})).into_response();
    }
    if plan.conflict && response.status().is_success() {
        return super::api::refusal(super::data::Refusal::Invalid(
            "email",
            "The email has already been taken.".into(),
        ));
    }
    if !response.status().is_success() || !(plan.malformed || plan.wrong_types) {
        return response;
    }
    let (parts, body) = response.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_BODY).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let bytes = if plan.wrong_types {
        match serde_json::from_slice::<Value>(&bytes) {
            Ok(mut value) => {
                mangle(&mut value);
                serde_json::to_vec(&value).unwrap_or_default().into()
            }
            Err(_) => bytes,
        }
    } else {
        bytes
    };
    let bytes = if plan.malformed {
        bytes.slice(..bytes.len() / 2)
    } else {
        bytes
    };
    let mut response = Response::from_parts(parts, Body::from(bytes));
    response.headers_mut().remove(header::CONTENT_LENGTH);
    response
}

/// Numbers become strings; optional user fields (`meta`, `sharing`, `qr`, `signed_up_at`,
/// `analytics.qualified_referrals`) disappear.
fn mangle(value: &mut Value) {
    match value {
        Value::Number(n) => *value = Value::String(n.to_string()),
        Value::Array(items) => items.iter_mut().for_each(mangle),
        Value::Object(map) => {
            for key in ["meta", "sharing", "qr", "signed_up_at"] {
                map.remove(key);
            }
            if let Some(Value::Object(analytics)) = map.get_mut("analytics") {
                analytics.remove("qualified_referrals");
            }
            map.values_mut().for_each(mangle);
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counted_faults_switch_themselves_off() {
        let mut faults: Faults =
            serde_json::from_value(json!({"status": 503, "count": 2, "routes": ["get"]})).unwrap();
        assert!(
            faults.take("search").status.is_none(),
            "other routes are untouched"
        );
        assert!(faults.take("get").status.is_some());
        assert!(faults.take("get").status.is_some());
        assert!(faults.take("get").status.is_none());
    }

    #[test]
    fn mangling_stringifies_and_drops() {
        let mut v =
            json!({"id": 3, "meta": [], "analytics": {"reach": 2, "qualified_referrals": 1}});
        mangle(&mut v);
        assert_eq!(v, json!({"id": "3", "analytics": {"reach": "2"}}));
    }

    #[test]
    fn unknown_switches_are_refused() {
        assert!(serde_json::from_value::<Faults>(json!({"explode": true})).is_err());
    }
}
