//! One logical call to the platform: a budget slot per attempt, the key in the header, retries
//! with backoff where they can help, a 429 pausing everyone, and the platform's statuses read
//! into [`UpstreamError`]s.

use std::time::{Duration, SystemTime};

use reqwest::header::{AUTHORIZATION, RETRY_AFTER};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use url::Url;

use super::decode::{decode_response, error_fields};
use super::retry::{retry_after, retry_delay};
use super::{Client, UpstreamError};

/// How long 429s are remembered for `/healthz` and the log.
const RATE_LIMIT_MEMORY: Duration = Duration::from_secs(60 * 60);

impl Client {
    /// Remembers a 429 (when `at` is given) and counts those of the last hour.
    pub(super) fn count_rate_limits(&self, at: Option<SystemTime>) -> usize {
        let mut log = self
            .rate_limited
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let now = at.unwrap_or_else(SystemTime::now);
        if let Some(at) = at {
            log.push_back(at);
        }
        while log
            .front()
            .is_some_and(|t| now.duration_since(*t).unwrap_or_default() > RATE_LIMIT_MEMORY)
        {
            log.pop_front();
        }
        log.len()
    }

    /// One logical call: budget slot, request, retries. Returns the success status and body.
    pub(super) async fn call(
        &self,
        method: Method,
        url: Url,
        body: Option<&Value>,
    ) -> Result<(u16, Value), UpstreamError> {
        let route = route_name(url.path());
        let mut attempt = 0;
        loop {
            attempt += 1;
            self.budget.acquire().await?;
            let error = match self.attempt(method.clone(), &url, body).await {
                Ok(answer) => return Ok(answer),
                Err(error) => error,
            };
            if let UpstreamError::RateLimited { retry_after } = &error {
                // The platform says everyone must slow down, not just this call.
                self.budget.pause_for(*retry_after).await;
                crate::telemetry::metrics::upstream_paused();
                let last_hour = self.count_rate_limits(Some(SystemTime::now()));
                tracing::warn!(
                    rate_limited_last_hour = last_hour,
                    pause_secs = retry_after.as_secs(),
                    "Referral Factory answered 429; every call pauses (it blocks an IP that keeps going)"
                );
            }
            let Some(delay) = retry_delay(&error, attempt, rand::random::<f64>()) else {
                tracing::warn!(%method, path = route, attempt, error = %error, "upstream call failed");
                return Err(error);
            };
            tracing::info!(%method, path = route, attempt, error = %error, delay_ms = delay.as_millis() as u64, "retrying upstream call");
            tokio::time::sleep(delay).await;
        }
    }

    async fn attempt(
        &self,
        method: Method,
        url: &Url,
        body: Option<&Value>,
    ) -> Result<(u16, Value), UpstreamError> {
        let mut request = self
            .http
            .request(method, url.clone())
            .header(AUTHORIZATION, self.key.header()?)
            .header(reqwest::header::ACCEPT, "application/json");
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.map_err(transport);
        crate::telemetry::metrics::upstream_call(
            route_name(url.path()),
            response.as_ref().ok().map(|r| r.status().as_u16()),
        );
        let response = response?;
        let status = response.status();
        let retry_after = retry_after(
            response
                .headers()
                .get(RETRY_AFTER)
                .and_then(|v| v.to_str().ok()),
            SystemTime::now(),
        );
        let bytes = response.bytes().await.map_err(transport)?;
        if status.is_success() {
            return Ok((status.as_u16(), decode_response(&bytes)?));
        }
        Err(match status {
            StatusCode::UNAUTHORIZED => UpstreamError::Unauthorized,
            StatusCode::FORBIDDEN => UpstreamError::Forbidden,
            StatusCode::NOT_FOUND => UpstreamError::NotFound,
            StatusCode::CONFLICT => UpstreamError::Duplicate(409),
            StatusCode::BAD_REQUEST | StatusCode::UNPROCESSABLE_ENTITY => {
                let fields = error_fields(&bytes);
                if fields.iter().any(|f| f.eq_ignore_ascii_case("email")) {
                    UpstreamError::Duplicate(status.as_u16())
                } else {
                    UpstreamError::Unprocessable {
                        status: status.as_u16(),
                        fields,
                    }
                }
            }
            StatusCode::TOO_MANY_REQUESTS => UpstreamError::RateLimited { retry_after },
            other => UpstreamError::Status(other.as_u16()),
        })
    }
}

fn transport(error: reqwest::Error) -> UpstreamError {
    if error.is_timeout() {
        UpstreamError::Timeout
    } else if error.is_decode() || error.is_body() {
        UpstreamError::Malformed("body could not be read")
    } else {
        UpstreamError::Transport
    }
}

/// The route of a URL path, for logs (ids are not personal data, but keep lines groupable).
fn route_name(path: &str) -> &'static str {
    if path.ends_with("/users/search") {
        "/users/search"
    } else if path.ends_with("/users") {
        "/users"
    } else if path.contains("/rewards/dashboard/") {
        "/rewards/dashboard/{metric}"
    } else if path.contains("/rewards/due/") {
        "/rewards/due/{metric}/search"
    } else if path.contains("/rewards/issued/") {
        "/rewards/issued/{metric}/search"
    } else if path.contains("/campaigns/") {
        "/campaigns/{id}"
    } else {
        "/users/{id}"
    }
}
