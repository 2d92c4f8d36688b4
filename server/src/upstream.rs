//! The Referral Factory API v2 client: the only module that sees the API key.
//!
//! Every response is decoded tolerantly from `serde_json::Value` (fields may be missing or of
//! the wrong type: `reach` is documented as a string), and what was off is logged without
//! personal data. Calls are retried with jittered backoff on 5xx and transport failures, never
//! on 4xx. A 429 is never retried: it pauses every call for its `Retry-After` (capped), or 60 s
//! without one, since the platform blocks an IP that keeps going. Every attempt first takes a
//! slot from the [`Budget`], so no 60 s window ever holds more calls than configured.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{AUTHORIZATION, HeaderValue, RETRY_AFTER};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use url::Url;

use crate::budget::{Budget, Exhausted};
use crate::identity::email_key;

/// Per-attempt timeout: the API normally answers in under a second but has been seen to
/// stall for 25 s; waiting that long would outlast the widget's own 15 s patience.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(8);

/// Attempts per call (the first plus two retries): enough to ride out a blip, few enough not
/// to burn the budget on an outage.
const MAX_ATTEMPTS: u32 = 3;

/// First retry delay for 5xx and transport failures; doubles per attempt, jittered.
const BASE_BACKOFF: Duration = Duration::from_millis(250);

/// The longest pause a 429's `Retry-After` can impose: a hostile or broken value (days, or a
/// number that overflows) must not silence the server for longer than this.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(10 * 60);

/// The pause after a 429 without `Retry-After`: the platform documents a per-minute limit.
pub const DEFAULT_RETRY_AFTER: Duration = Duration::from_secs(60);

/// Largest `per_page` the API accepts.
pub const MAX_PER_PAGE: u32 = 250;

/// The Referral Factory master key. Prints as `***` so it cannot reach a log or message.
#[derive(Clone)]
pub struct ApiKey(Arc<str>);

impl ApiKey {
    /// Wraps the key.
    pub fn new(key: impl Into<String>) -> Self {
        Self(Arc::from(key.into()))
    }

    fn header(&self) -> Result<HeaderValue, UpstreamError> {
        let mut value = HeaderValue::try_from(["Bearer ", &self.0].concat())
            .map_err(|_| UpstreamError::Unauthorized)?;
        value.set_sensitive(true);
        Ok(value)
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// What went wrong upstream. Messages carry statuses and field names only: never the key,
/// a URL with personal data, or an email.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UpstreamError {
    /// 401: the key was refused.
    #[error("Referral Factory refused the API key (401)")]
    Unauthorized,
    /// 403.
    #[error("Referral Factory forbade the call (403)")]
    Forbidden,
    /// 404.
    #[error("not found upstream (404)")]
    NotFound,
    /// 400 or 422 with the names of the fields it complained about.
    #[error("Referral Factory rejected the request ({status}) on: {fields:?}")]
    Unprocessable {
        /// 400 or 422.
        status: u16,
        /// Field names from the `errors` object.
        fields: Vec<String>,
    },
    /// A create refused because the email is already in the campaign (409, or 400/422 naming
    /// the email): the user exists, search again.
    #[error("Referral Factory already has a user with this email ({0})")]
    Duplicate(u16),
    /// 429 (never retried).
    #[error("Referral Factory rate-limited us (429)")]
    RateLimited {
        /// How long every call now pauses: its `Retry-After` capped, or the default.
        retry_after: Duration,
    },
    /// Any other non-2xx status after retries.
    #[error("Referral Factory answered HTTP {0}")]
    Status(u16),
    /// No answer within [`ATTEMPT_TIMEOUT`].
    #[error("Referral Factory did not answer in time")]
    Timeout,
    /// Connection failed.
    #[error("Referral Factory could not be reached")]
    Transport,
    /// The answer was not the documented shape.
    #[error("Referral Factory sent an unreadable answer: {0}")]
    Malformed(&'static str),
    /// Our own budget had no slot soon enough.
    #[error(transparent)]
    Budget(#[from] Exhausted),
}

impl UpstreamError {
    fn retryable(&self) -> bool {
        // A cut-off body is most often a dropped connection, worth one more try.
        matches!(
            self,
            Self::Status(500..=599) | Self::Timeout | Self::Transport | Self::Malformed(_)
        )
    }
}

/// A Referral Factory user (referrer or referral), decoded tolerantly.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PlatformUser {
    /// Platform id.
    pub id: u64,
    /// Their email, as sent (compare with [`crate::identity::email_key`]).
    pub email: Option<String>,
    /// Their campaign.
    pub campaign_id: Option<u64>,
    /// Who referred them (`None` for a referrer who joined on their own).
    pub referrer_id: Option<u64>,
    /// Referral code.
    pub code: Option<String>,
    /// Referral link.
    pub url: Option<String>,
    /// First name as entered (may hold a full name).
    pub first_name: Option<String>,
    /// The "Last Name" campaign field, when present in `meta`.
    pub last_name: Option<String>,
    /// Top-level reach (documented as a string).
    pub reach: Option<u64>,
    /// `analytics`, when requested with `with=user.analytics`.
    pub analytics: Option<Analytics>,
    /// When they joined, as sent.
    pub signed_up_at: Option<String>,
    /// When they were qualified, as sent; `None` means pending.
    pub qualified_at: Option<String>,
    /// `sharing.text`.
    pub share_text: Option<String>,
    /// `sharing.subject`.
    pub share_subject: Option<String>,
}

/// Per-user counters from `with=user.analytics`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Analytics {
    /// Views of the link.
    pub reach: u64,
    /// Sign-ups through the link.
    pub referrals: u64,
    /// Qualified sign-ups.
    pub qualified_referrals: u64,
}

/// What a `POST /users` gave.
#[derive(Debug, Clone, PartialEq)]
pub enum Created {
    /// A user created by this call.
    New(PlatformUser),
    /// A user that existed before (the platform answered the create with it).
    Existing(PlatformUser),
}

/// How long after `signed_up_at` a user answered to a create may still have been made by it:
/// clocks differ, but an account older than this was there before.
const CREATED_JUST_NOW: time::Duration = time::Duration::minutes(10);

/// Whether a platform date is within [`CREATED_JUST_NOW`] of `now`.
fn joined_recently(at: &str, now: time::OffsetDateTime) -> bool {
    crate::session::parse_date(at).is_some_and(|at| (now - at).abs() <= CREATED_JUST_NOW)
}

/// One page of a search.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SearchPage {
    /// The users on this page.
    pub users: Vec<PlatformUser>,
    /// `meta.current_page`.
    pub current_page: u32,
    /// `meta.last_page` (1 when absent).
    pub last_page: u32,
    /// `meta.total`, when present.
    pub total: Option<u64>,
}

/// The API client.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    base: Arc<str>,
    key: ApiKey,
    campaign_id: u64,
    budget: Arc<Budget>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base", &self.base)
            .field("key", &self.key)
            .field("campaign_id", &self.campaign_id)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A client for the API at `base` (e.g. `https://referral-factory.com/api/v2`).
    ///
    /// # Errors
    /// When the TLS stack cannot be initialised.
    pub fn new(
        base: &Url,
        key: ApiKey,
        campaign_id: u64,
        budget: Arc<Budget>,
    ) -> Result<Self, reqwest::Error> {
        // reqwest is built without a default crypto provider; install ring once per process
        // (a second install reports an error we can ignore: one is installed either way).
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .timeout(ATTEMPT_TIMEOUT)
            .connect_timeout(Duration::from_secs(4))
            .user_agent(concat!("referrer-dashboard/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self {
            http,
            base: Arc::from(base.as_str().trim_end_matches('/')),
            key,
            campaign_id,
            budget,
        })
    }

    /// The campaign referrers join.
    pub fn campaign_id(&self) -> u64 {
        self.campaign_id
    }

    /// `POST /users/search` by email and campaign: the referrer with this email, if any.
    ///
    /// # Errors
    /// Any [`UpstreamError`] after retries.
    pub async fn find_by_email(&self, email: &str) -> Result<Option<PlatformUser>, UpstreamError> {
        let body = json!({"filters": {"value": [
            {"field": "email", "value": email, "operator": "="},
            {"field": "campaign_id", "value": self.campaign_id, "operator": "="}
        ], "operator": "AND"}});
        let page = self.search(&body, 1, 1).await?;
        Ok(page.users.into_iter().next())
    }

    /// `POST /users`: creates a referrer in the campaign with `email` (already compared-form).
    ///
    /// # Errors
    /// [`UpstreamError::Duplicate`] when the email already exists in the campaign (the API is
    /// not an upsert); [`UpstreamError::Malformed`] when the answer is a user with another
    /// email; any other [`UpstreamError`].
    pub async fn create(&self, first_name: &str, email: &str) -> Result<Created, UpstreamError> {
        let body = json!({
            "campaign_id": self.campaign_id,
            "first_name": first_name,
            "email": email,
        });
        let (status, value) = self
            .call_with_status(Method::POST, "/users", &[], Some(&body))
            .await?;
        let user = decode_user(envelope(&value))
            .ok_or(UpstreamError::Malformed("created user has no id"))?;
        if user.email.as_deref().map(email_key) != Some(email_key(email)) {
            // Not the account asked for: never link it to this identity.
            return Err(UpstreamError::Malformed(
                "the created user has another email",
            ));
        }
        let fresh = status == StatusCode::CREATED.as_u16()
            || user
                .signed_up_at
                .as_deref()
                .is_some_and(|at| joined_recently(at, time::OffsetDateTime::now_utc()));
        Ok(if fresh && user.referrer_id.is_none() {
            Created::New(user)
        } else {
            // An answer of 200 with an account that joined earlier (an upsert), or a lead someone
            // referred: it existed before this call, so the linking rules of existing accounts apply.
            Created::Existing(user)
        })
    }

    /// `GET /users/{id}?with=user.analytics`.
    ///
    /// # Errors
    /// [`UpstreamError::NotFound`] when the user no longer exists, or any other.
    pub async fn user_with_analytics(&self, id: u64) -> Result<PlatformUser, UpstreamError> {
        let path = ["/users/", &id.to_string()].concat();
        let value = self
            .call(Method::GET, &path, &[("with", "user.analytics")], None)
            .await?;
        decode_user(envelope(&value)).ok_or(UpstreamError::Malformed("user has no id"))
    }

    /// `POST /users/search` filtered on `referrer_id` and campaign: one page of referrals, in
    /// the API's order (ascending by id).
    ///
    /// # Errors
    /// Any [`UpstreamError`] after retries.
    pub async fn referrals(
        &self,
        referrer_id: u64,
        page: u32,
        per_page: u32,
    ) -> Result<SearchPage, UpstreamError> {
        let body = json!({"filters": {"value": [
            {"field": "referrer_id", "value": referrer_id, "operator": "="},
            {"field": "campaign_id", "value": self.campaign_id, "operator": "="}
        ], "operator": "AND"}});
        self.search(&body, page, per_page.min(MAX_PER_PAGE)).await
    }

    async fn search(
        &self,
        body: &Value,
        page: u32,
        per_page: u32,
    ) -> Result<SearchPage, UpstreamError> {
        let (page, per_page) = (page.to_string(), per_page.to_string());
        let value = self
            .call(
                Method::POST,
                "/users/search",
                &[("page", &page), ("per_page", &per_page)],
                Some(body),
            )
            .await?;
        decode_page(&value)
    }

    /// One logical call: budget slot, request, retries.
    async fn call(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Result<Value, UpstreamError> {
        Ok(self.call_with_status(method, path, query, body).await?.1)
    }

    /// [`Client::call`], with the success status.
    async fn call_with_status(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Result<(u16, Value), UpstreamError> {
        let url = [&*self.base, path].concat();
        let mut attempt = 0;
        loop {
            attempt += 1;
            self.budget.acquire().await?;
            let result = self.attempt(method.clone(), &url, query, body).await;
            let error = match result {
                Ok(value) => return Ok(value),
                Err(error) => error,
            };
            if let UpstreamError::RateLimited { retry_after } = &error {
                // The platform says everyone must slow down, not just this call.
                self.budget.pause_for(*retry_after);
            }
            let Some(delay) = retry_delay(&error, attempt, rand::random::<f64>()) else {
                tracing::warn!(%method, path = %route_name(path), attempt, error = %error, "upstream call failed");
                return Err(error);
            };
            tracing::info!(%method, path = %route_name(path), attempt, error = %error, delay_ms = delay.as_millis() as u64, "retrying upstream call");
            tokio::time::sleep(delay).await;
        }
    }

    async fn attempt(
        &self,
        method: Method,
        url: &str,
        query: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Result<(u16, Value), UpstreamError> {
        let mut request = self
            .http
            .request(method, url)
            .query(query)
            .header(AUTHORIZATION, self.key.header()?)
            .header(reqwest::header::ACCEPT, "application/json");
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.map_err(transport)?;
        let status = response.status();
        let retry_after = retry_after(
            response
                .headers()
                .get(RETRY_AFTER)
                .and_then(|v| v.to_str().ok()),
            std::time::SystemTime::now(),
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

/// How long to wait before the next attempt, or `None` to give up. `jitter` is in `[0, 1)`.
pub fn retry_delay(error: &UpstreamError, attempt: u32, jitter: f64) -> Option<Duration> {
    if attempt >= MAX_ATTEMPTS || !error.retryable() {
        return None;
    }
    Some(BASE_BACKOFF.mul_f64(f64::from(1u32 << (attempt - 1)) * (0.5 + jitter)))
}

/// The pause a 429 imposes: its `Retry-After` in seconds or as an HTTP date (relative to
/// `now`), capped at [`MAX_RETRY_AFTER`]; [`DEFAULT_RETRY_AFTER`] when absent or unreadable.
pub fn retry_after(header: Option<&str>, now: std::time::SystemTime) -> Duration {
    let Some(text) = header.map(str::trim).filter(|t| !t.is_empty()) else {
        return DEFAULT_RETRY_AFTER;
    };
    let wait = if text.bytes().all(|b| b.is_ascii_digit()) {
        // Any run of digits, however long: an overflow means "very long", so the cap.
        Some(
            text.parse::<u64>()
                .map_or(MAX_RETRY_AFTER, Duration::from_secs),
        )
    } else {
        httpdate::parse_http_date(text)
            .ok()
            .map(|at| at.duration_since(now).unwrap_or(Duration::ZERO))
    };
    wait.unwrap_or(DEFAULT_RETRY_AFTER).min(MAX_RETRY_AFTER)
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

/// The path with ids replaced, for logs (ids are not personal data, but keep lines groupable).
fn route_name(path: &str) -> &'static str {
    match path {
        "/users" => "/users",
        "/users/search" => "/users/search",
        _ => "/users/{id}",
    }
}

/// Field names of an error body's `errors` (never their messages, which may echo input): the
/// keys of the documented object, or the `field` of each entry when it is a list.
fn error_fields(body: &[u8]) -> Vec<String> {
    let Ok(value) = serde_json::from_slice::<Value>(body) else {
        return Vec::new();
    };
    match value.get("errors") {
        Some(Value::Object(fields)) => fields.keys().cloned().collect(),
        Some(Value::Array(entries)) => entries
            .iter()
            .filter_map(|e| e.get("field").and_then(Value::as_str).map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    }
}

/// A single user's answer: `{"data": {...}}` as documented, or the bare object.
fn envelope(value: &Value) -> &Value {
    match value.get("data") {
        Some(data) if data.is_object() => data,
        _ => value,
    }
}

/// A success body as JSON.
///
/// # Errors
/// [`UpstreamError::Malformed`] when it is not JSON (truncated, HTML error page, ...).
pub fn decode_response(bytes: &[u8]) -> Result<Value, UpstreamError> {
    serde_json::from_slice(bytes).map_err(|_| UpstreamError::Malformed("body is not JSON"))
}

/// A non-negative integer sent as a number or a numeric string.
pub fn uint(value: &Value) -> Option<u64> {
    match value {
        Value::Number(n) => n.as_u64().or_else(|| {
            n.as_f64()
                .filter(|f| *f >= 0.0 && f.fract() == 0.0)
                .map(|f| f as u64)
        }),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Decodes a user object; `None` without a usable `id`. Oddities are logged by field name.
pub fn decode_user(value: &Value) -> Option<PlatformUser> {
    let Some(object) = value.as_object() else {
        tracing::warn!(field = "data", "expected a user object");
        return None;
    };
    let Some(id) = object.get("id").and_then(uint) else {
        tracing::warn!(field = "id", "user without a usable id");
        return None;
    };
    let field = |name: &str| object.get(name).unwrap_or(&Value::Null);
    let odd = |name: &'static str, expected: &'static str| {
        tracing::warn!(
            field = name,
            expected,
            user_id = id,
            "unexpected field type from upstream"
        );
    };
    let reach = match field("reach") {
        Value::Null => None,
        v => uint(v).or_else(|| {
            odd("reach", "a count");
            None
        }),
    };
    let analytics = match field("analytics") {
        Value::Null => None,
        Value::Object(a) => {
            let count = |name: &'static str| {
                a.get(name).and_then(uint).unwrap_or_else(|| {
                    odd(name, "a count in analytics");
                    0
                })
            };
            Some(Analytics {
                reach: count("reach"),
                referrals: count("referrals"),
                qualified_referrals: count("qualified_referrals"),
            })
        }
        _ => {
            odd("analytics", "an object");
            None
        }
    };
    let last_name = field("meta").as_array().and_then(|meta| {
        meta.iter().find_map(|entry| {
            let label = entry.get("field")?.as_str()?;
            label
                .eq_ignore_ascii_case("last name")
                .then(|| text(entry.get("value")?))
                .flatten()
        })
    });
    let sharing = field("sharing");
    let url = text(field("url"));
    if url.is_none() {
        odd("url", "a string");
    }
    Some(PlatformUser {
        id,
        email: text(field("email")),
        campaign_id: uint(field("campaign_id")),
        referrer_id: uint(field("referrer_id")),
        code: text(field("code")),
        url,
        first_name: text(field("first_name")),
        last_name,
        reach,
        analytics,
        signed_up_at: text(field("signed_up_at")),
        qualified_at: text(field("qualified_at")),
        share_text: sharing.get("text").and_then(text),
        share_subject: sharing.get("subject").and_then(text),
    })
}

/// Decodes a paginated search answer.
///
/// # Errors
/// [`UpstreamError::Malformed`] when `data` is not a list.
pub fn decode_page(value: &Value) -> Result<SearchPage, UpstreamError> {
    let data = value
        .get("data")
        .and_then(Value::as_array)
        .ok_or(UpstreamError::Malformed("search answer has no data list"))?;
    let users = data.iter().filter_map(decode_user).collect();
    let meta = value.get("meta").unwrap_or(&Value::Null);
    let number = |name: &str| meta.get(name).and_then(uint);
    Ok(SearchPage {
        users,
        current_page: number("current_page").unwrap_or(1) as u32,
        last_page: number("last_page").unwrap_or(1).max(1) as u32,
        total: number("total"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_never_prints() {
        let key = ApiKey::new("rf_live_SECRET");
        assert_eq!(format!("{key} {key:?}"), "*** ***");
    }

    #[test]
    fn reach_as_string_and_missing_fields_decode() {
        let user = decode_user(&json!({
            "id": "42", "reach": "17", "url": "https://x.example/r/A", "code": "A",
            "meta": [{"field": "Last Name", "value": "Smith"}],
            "analytics": {"reach": "20", "referrals": 3, "qualified_referrals": null}
        }))
        .unwrap();
        assert_eq!(user.id, 42);
        assert_eq!(user.reach, Some(17));
        assert_eq!(user.last_name.as_deref(), Some("Smith"));
        assert_eq!(
            user.analytics,
            Some(Analytics {
                reach: 20,
                referrals: 3,
                qualified_referrals: 0
            })
        );
        assert!(decode_user(&json!({"first_name": "x"})).is_none());
        assert!(decode_user(&json!("nope")).is_none());
    }

    #[test]
    fn page_meta_defaults() {
        let page = decode_page(&json!({"data": [{"id": 1}, {"bad": true}]})).unwrap();
        assert_eq!(page.users.len(), 1);
        assert_eq!(
            (page.current_page, page.last_page, page.total),
            (1, 1, None)
        );
        assert!(decode_page(&json!({"data": {}})).is_err());
    }

    #[test]
    fn retry_after_is_read_in_both_forms_and_capped() {
        use std::time::SystemTime;
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(retry_after(Some("7"), now), Duration::from_secs(7));
        assert_eq!(retry_after(None, now), DEFAULT_RETRY_AFTER);
        assert_eq!(retry_after(Some("soon"), now), DEFAULT_RETRY_AFTER);
        assert_eq!(retry_after(Some("-5"), now), DEFAULT_RETRY_AFTER);
        assert_eq!(retry_after(Some("86400"), now), MAX_RETRY_AFTER);
        assert_eq!(
            retry_after(Some("99999999999999999999999999"), now),
            MAX_RETRY_AFTER
        );
        let in_90s = httpdate::fmt_http_date(now + Duration::from_secs(90));
        assert_eq!(retry_after(Some(&in_90s), now), Duration::from_secs(90));
        let past = httpdate::fmt_http_date(now - Duration::from_secs(90));
        assert_eq!(retry_after(Some(&past), now), Duration::ZERO);
        let next_year = httpdate::fmt_http_date(now + Duration::from_secs(365 * 86_400));
        assert_eq!(retry_after(Some(&next_year), now), MAX_RETRY_AFTER);
    }

    #[test]
    fn retries_only_what_can_recover() {
        let e500 = UpstreamError::Status(503);
        assert!(retry_delay(&e500, 1, 0.0).is_some());
        assert!(retry_delay(&e500, MAX_ATTEMPTS, 0.0).is_none());
        assert!(
            retry_delay(
                &UpstreamError::Unprocessable {
                    status: 422,
                    fields: vec![]
                },
                1,
                0.0
            )
            .is_none()
        );
        assert!(retry_delay(&UpstreamError::Malformed("cut"), 1, 0.0).is_some());
        assert!(retry_delay(&UpstreamError::Status(400), 1, 0.0).is_none());
        assert!(retry_delay(&UpstreamError::NotFound, 1, 0.0).is_none());
        let wait = UpstreamError::RateLimited {
            retry_after: Duration::from_secs(2),
        };
        assert!(
            retry_delay(&wait, 1, 0.5).is_none(),
            "a 429 is never retried"
        );
    }

    #[test]
    fn backoff_doubles_with_jitter_bounds() {
        let e = UpstreamError::Timeout;
        let first_low = retry_delay(&e, 1, 0.0).unwrap();
        let first_high = retry_delay(&e, 1, 0.999).unwrap();
        let second_low = retry_delay(&e, 2, 0.0).unwrap();
        assert_eq!(first_low, Duration::from_millis(125));
        assert!(first_high < Duration::from_millis(375));
        assert_eq!(second_low, Duration::from_millis(250));
    }
}
