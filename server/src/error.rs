//! The server's one error type and its HTTP form: a status and
//! `{"error": {"type", "message"}}` with a type from SPEC §4's `rd-error` list. Internal
//! detail is logged where the error is turned into a response, never sent.

use std::time::Duration;

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::store::StoreError;
use crate::upstream::UpstreamError;

/// Everything a session request can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No or bad identity (401).
    #[error("unauthenticated: {0}")]
    Unauthenticated(&'static str),
    /// This identity asks too often, or the upstream budget is spent (429).
    #[error("rate limited")]
    RateLimited {
        /// When to try again.
        retry_after: Duration,
    },
    /// A `cursor` that was not issued to this user (400).
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
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let (status, kind, message, retry_after) = match &self {
            Error::Unauthenticated(reason) => {
                (StatusCode::UNAUTHORIZED, "authentication", *reason, None)
            }
            Error::RateLimited { retry_after }
            | Error::Upstream(UpstreamError::Budget { retry_after }) => (
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limit",
                "too many requests; try again later",
                Some(*retry_after),
            ),
            Error::Upstream(UpstreamError::RateLimited { retry_after }) => (
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limit",
                "the referral service is busy; try again later",
                Some(retry_after.unwrap_or(Duration::from_secs(5))),
            ),
            Error::BadCursor => (
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "the cursor is not valid for this user",
                None,
            ),
            Error::Upstream(UpstreamError::Timeout) | Error::Timeout => (
                StatusCode::GATEWAY_TIMEOUT,
                "server",
                "the referral service did not answer in time",
                None,
            ),
            Error::Upstream(_) => (
                StatusCode::BAD_GATEWAY,
                "server",
                "the referral service is unavailable",
                None,
            ),
            Error::Store(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "server",
                "internal error",
                None,
            ),
        };
        if status.is_server_error() {
            tracing::error!(error = %self, "session request failed");
        } else {
            tracing::info!(error = %self, status = status.as_u16(), "session request refused");
        }
        let body = Json(json!({"error": {"type": kind, "message": message}}));
        let mut response = (status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if status == StatusCode::UNAUTHORIZED {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if let Some(wait) = retry_after {
            // Whole seconds, rounded up so a client never retries early.
            let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            headers.insert(header::RETRY_AFTER, HeaderValue::from(secs.max(1)));
        }
        response
    }
}
