//! The server's one error type and its HTTP form: a status and
//! `{"error": {"type", "message"}}` with a type from SPEC §4's `rd-error` list, for every error
//! the server answers (the session endpoint, the webhook, the HTTP limits). Internal detail is
//! logged where the error is turned into a response, never sent.

use std::time::Duration;

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::store::StoreError;
use crate::upstream::UpstreamError;

/// Everything a request can fail with. Cloneable, so that a failure remembered for a while (see
/// [`crate::cache`]) can be answered again as it was.
#[derive(Debug, Clone, thiserror::Error)]
pub enum Error {
    /// No or bad identity (401).
    #[error("unauthenticated: {0}")]
    Unauthenticated(&'static str),
    /// A valid identity that may not see this account (403): an unverified email for an
    /// existing account, or an account that belongs to another user.
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
    /// This identity asks too often, or the upstream budget is spent (429).
    #[error("rate limited")]
    RateLimited {
        /// When to try again.
        retry_after: Duration,
    },
    /// A `cursor` that was not issued to this user, or no longer valid (400).
    #[error("invalid cursor")]
    BadCursor,
    /// The platform failed.
    #[error(transparent)]
    Upstream(#[from] UpstreamError),
    /// The mapping database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The whole request took too long.
    #[error("the session could not be built in time")]
    Timeout,
    /// The subject was linked to another account by a concurrent request (503; try again).
    #[error("the account link changed during the request")]
    Conflict,
    /// State shared by the instances (Redis) cannot be reached, and this instance has nothing
    /// of its own to answer with (503).
    #[error("shared state is unavailable")]
    Unavailable,
    /// A webhook call without the shared secret, or with another (401, without the
    /// `WWW-Authenticate: Bearer` of the session endpoint: no token would help).
    #[error("missing or wrong webhook secret")]
    WrongSecret,
    /// A request this server cannot read (400), saying what it needs.
    #[error("bad request: {0}")]
    BadRequest(&'static str),
    /// A body over the limit (413).
    #[error("the body is too large")]
    TooLarge,
    /// More requests at once than the server takes (503, try again in a second).
    #[error("the server is busy")]
    Overloaded,
    /// A failure remembered from an earlier request, answered again without asking upstream.
    #[error("{error} (remembered)")]
    Again {
        /// The original failure.
        error: Box<Error>,
        /// How long it stands.
        retry_after: Duration,
    },
}

impl From<crate::budget::Exhausted> for Error {
    fn from(exhausted: crate::budget::Exhausted) -> Self {
        Self::Upstream(UpstreamError::Budget(exhausted))
    }
}

impl Error {
    /// The answer's `error.type` (`authentication`, `rate_limit`, `server`, ...), for metrics.
    pub fn kind(&self) -> &'static str {
        self.parts().1
    }

    /// Status, `error.type`, message and `Retry-After` of the answer.
    fn parts(&self) -> (StatusCode, &'static str, &'static str, Option<Duration>) {
        match self {
            Error::Unauthenticated(reason) => {
                (StatusCode::UNAUTHORIZED, "authentication", reason, None)
            }
            Error::Forbidden(reason) => (StatusCode::FORBIDDEN, "authentication", reason, None),
            Error::RateLimited { retry_after } => (
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limit",
                "too many requests; try again later",
                Some(*retry_after),
            ),
            Error::Upstream(UpstreamError::Budget(exhausted))
                if exhausted.reason == crate::budget::Reason::Unreachable =>
            {
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "server",
                    "the service is degraded; try again shortly",
                    Some(exhausted.retry_after),
                )
            }
            Error::Unavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                "server",
                "the service is degraded; try again shortly",
                Some(UNAVAILABLE_RETRY),
            ),
            Error::Upstream(UpstreamError::Budget(exhausted))
                if exhausted.reason == crate::budget::Reason::Lost =>
            {
                (
                    StatusCode::TOO_MANY_REQUESTS,
                    "rate_limit",
                    crate::budget::LOST,
                    Some(exhausted.retry_after),
                )
            }
            Error::Upstream(UpstreamError::Budget(exhausted)) => (
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limit",
                "too many requests; try again later",
                Some(exhausted.retry_after),
            ),
            Error::Upstream(UpstreamError::RateLimited { retry_after }) => (
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limit",
                "the referral service is busy; try again later",
                Some(*retry_after),
            ),
            Error::BadCursor => (
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "the cursor is not valid for this user",
                None,
            ),
            // The work goes on (a long referral list is read to its end in the background):
            // asking again shortly may find it done.
            Error::Upstream(UpstreamError::Timeout) | Error::Timeout => (
                StatusCode::GATEWAY_TIMEOUT,
                "server",
                "the referral service did not answer in time",
                Some(TIMEOUT_RETRY),
            ),
            // Not the platform being down: the list is longer than this backend reads, or the
            // platform ignores the filter and every search walks the whole campaign. Say so.
            Error::Upstream(UpstreamError::ScanLimit(_)) => (
                StatusCode::BAD_GATEWAY,
                "server",
                "the referral list is too long for this backend to read; its log says more",
                None,
            ),
            Error::Upstream(_) => (
                StatusCode::BAD_GATEWAY,
                "server",
                "the referral service is unavailable",
                None,
            ),
            Error::Conflict => (
                StatusCode::SERVICE_UNAVAILABLE,
                "server",
                "the account changed during the request; try again",
                Some(Duration::from_secs(1)),
            ),
            Error::Store(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "server",
                "internal error",
                None,
            ),
            Error::WrongSecret => (
                StatusCode::UNAUTHORIZED,
                "authentication",
                "missing or wrong X-Dashboard-Webhook-Secret",
                None,
            ),
            Error::BadRequest(reason) => (StatusCode::BAD_REQUEST, "invalid_request", reason, None),
            Error::TooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "invalid_request",
                "the body is too large",
                None,
            ),
            Error::Overloaded => (
                StatusCode::SERVICE_UNAVAILABLE,
                "server",
                "the server is busy; try again",
                Some(Duration::from_secs(1)),
            ),
            Error::Again { error, retry_after } => {
                let (status, kind, message, _) = error.parts();
                (status, kind, message, Some(*retry_after))
            }
        }
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let (status, kind, message, retry_after) = self.parts();
        let body = Json(json!({"error": {"type": kind, "message": message}}));
        let mut response = (status, body).into_response();
        // Logged by the access line, summarised per reason: anyone can cause refusals, and a
        // line for each would let a stranger fill the log (see crate::telemetry::access).
        response
            .extensions_mut()
            .insert(crate::telemetry::access::Refused {
                kind,
                message,
                detail: self.to_string(),
            });
        let headers = response.headers_mut();
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if matches!(self, Error::Unauthenticated(_)) {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if let Some(wait) = retry_after {
            headers.insert(header::RETRY_AFTER, crate::retry_after::header(wait));
        }
        response
    }
}

/// When to ask again after a timeout.
const TIMEOUT_RETRY: Duration = Duration::from_secs(3);

/// When to ask again while shared state is unreachable: Redis restarts take seconds.
const UNAVAILABLE_RETRY: Duration = Duration::from_secs(5);

impl Error {
    /// A remembered failure as text, so other instances answer it too (see
    /// [`crate::cache::Policy::encode`]); `None` for failures not worth sharing. Carries the
    /// kind and statuses only, never user data.
    pub fn encode(&self) -> Option<String> {
        use UpstreamError as U;
        let value = match self {
            Error::RateLimited { .. } | Error::Upstream(U::RateLimited { .. } | U::Budget(_)) => {
                json!({"t": "rate"})
            }
            Error::Forbidden(reason) => json!({"t": "forbidden", "m": reason}),
            Error::Unauthenticated(reason) => json!({"t": "unauthenticated", "m": reason}),
            Error::BadCursor => json!({"t": "cursor"}),
            Error::Upstream(U::Unauthorized) => json!({"t": "up", "k": "unauthorized"}),
            Error::Upstream(U::Forbidden) => json!({"t": "up", "k": "forbidden"}),
            Error::Upstream(U::NotFound) => json!({"t": "up", "k": "not_found"}),
            Error::Upstream(U::Duplicate(status)) => {
                json!({"t": "up", "k": "duplicate", "s": status})
            }
            Error::Upstream(U::Status(status)) => json!({"t": "up", "k": "status", "s": status}),
            Error::Upstream(U::ScanLimit(rows)) => json!({"t": "up", "k": "scan", "s": rows}),
            Error::Upstream(U::Unprocessable { status, fields }) => {
                json!({"t": "up", "k": "unprocessable", "s": status, "f": fields})
            }
            Error::Again { error, .. } => return error.encode(),
            _ => return None,
        };
        Some(value.to_string())
    }

    /// A failure [`Error::encode`] wrote. Messages are `&'static`: one of `known` when it is
    /// there, else a generic one of the same kind.
    pub fn decode(text: &str, known: &[&'static str]) -> Option<Self> {
        use UpstreamError as U;
        let value: serde_json::Value = serde_json::from_str(text).ok()?;
        let message = |fallback: &'static str| {
            let m = value["m"].as_str().unwrap_or_default();
            known.iter().copied().find(|k| *k == m).unwrap_or(fallback)
        };
        let status = || u16::try_from(value["s"].as_u64().unwrap_or(502)).unwrap_or(502);
        Some(match (value["t"].as_str()?, value["k"].as_str()) {
            ("rate", _) => Error::RateLimited {
                retry_after: Duration::ZERO,
            },
            ("forbidden", _) => Error::Forbidden(message("access to this account is refused")),
            ("unauthenticated", _) => Error::Unauthenticated(message("unauthenticated")),
            ("cursor", _) => Error::BadCursor,
            ("up", Some("unauthorized")) => Error::Upstream(U::Unauthorized),
            ("up", Some("forbidden")) => Error::Upstream(U::Forbidden),
            ("up", Some("not_found")) => Error::Upstream(U::NotFound),
            ("up", Some("duplicate")) => Error::Upstream(U::Duplicate(status())),
            ("up", Some("status")) => Error::Upstream(U::Status(status())),
            ("up", Some("scan")) => Error::Upstream(U::ScanLimit(
                usize::try_from(value["s"].as_u64().unwrap_or(0)).unwrap_or(usize::MAX),
            )),
            ("up", Some("unprocessable")) => Error::Upstream(U::Unprocessable {
                status: status(),
                fields: value["f"]
                    .as_array()
                    .map(|f| {
                        f.iter()
                            .filter_map(|v| v.as_str().map(str::to_owned))
                            .collect()
                    })
                    .unwrap_or_default(),
            }),
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a client sees of an error: status, type, message.
    fn seen(error: &Error) -> (StatusCode, &'static str, &'static str) {
        let (status, kind, message, _) = error.parts();
        (status, kind, message)
    }

    #[test]
    fn a_remembered_failure_reads_back_as_the_answer_it_was() {
        use UpstreamError as U;
        const KNOWN: &str = "this referral account belongs to another user";
        const EXPIRED: &str = "the identity token has expired";
        let shared = [
            Error::Forbidden(KNOWN),
            Error::Unauthenticated(EXPIRED),
            Error::BadCursor,
            Error::Upstream(U::Unauthorized),
            Error::Upstream(U::Forbidden),
            Error::Upstream(U::NotFound),
            Error::Upstream(U::Duplicate(409)),
            Error::Upstream(U::Status(400)),
            Error::Upstream(U::ScanLimit(20_000)),
            Error::Upstream(U::Unprocessable {
                status: 422,
                fields: vec!["first_name".into(), "email".into()],
            }),
        ];
        for error in shared {
            let text = error
                .encode()
                .unwrap_or_else(|| panic!("{error} is shared"));
            let back = Error::decode(&text, &[KNOWN, EXPIRED]).unwrap_or_else(|| panic!("{text}"));
            assert_eq!(seen(&back), seen(&error), "{text}");
            assert_eq!(back.to_string(), error.to_string(), "{text}");
            // Remembered (wrapped), it is written the same way.
            let again = Error::Again {
                error: Box::new(error.clone()),
                retry_after: Duration::from_secs(60),
            };
            assert_eq!(again.encode(), Some(text));
        }
        // "Not now" is shared as a rate limit: answered 429 with the time left where it is read.
        for rate in [
            Error::RateLimited {
                retry_after: Duration::from_secs(3),
            },
            Error::Upstream(U::RateLimited {
                retry_after: Duration::from_secs(60),
            }),
        ] {
            let back = Error::decode(&rate.encode().unwrap(), &[]).unwrap();
            assert_eq!(back.parts().0, StatusCode::TOO_MANY_REQUESTS);
        }
        // A message this server did not write is not taken from the text: a generic one is.
        let foreign = r#"{"t": "forbidden", "m": "<script>"}"#;
        assert_eq!(
            seen(&Error::decode(foreign, &[KNOWN]).unwrap()).2,
            "access to this account is refused"
        );
        // Failures not worth sharing are not written; garbage is not read.
        for local in [Error::Timeout, Error::Unavailable, Error::Conflict] {
            assert_eq!(local.encode(), None, "{local}");
        }
        assert!(Error::decode("not json", &[]).is_none());
        assert!(Error::decode(r#"{"t": "up", "k": "mystery"}"#, &[]).is_none());
    }

    #[tokio::test]
    async fn a_list_too_long_to_read_is_named_not_blamed_on_the_platform() {
        let response = Error::Upstream(UpstreamError::ScanLimit(20_000)).into_response();
        assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
        let body = axum::body::to_bytes(response.into_body(), 1024)
            .await
            .unwrap();
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["error"]["type"], "server");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("too long"),
            "{body}"
        );
    }
}
