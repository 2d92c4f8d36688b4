//! The Referral Factory API v2 client: the only module that sees the API key.
//!
//! Calls are retried with jittered backoff on 5xx and transport failures, never on 4xx. A 429 is
//! never retried: it pauses every call for its `Retry-After` (seconds or an HTTP date, capped
//! at 10 minutes), or 60 s without one, and is counted, since the platform blocks an IP that
//! keeps going. Every attempt first takes a slot from the [`Budget`], so no 60 s window ever
//! holds more calls than configured.
//!
//! # What the client does not assume
//!
//! The platform's public documentation fixes the bearer key, the 600-a-minute limit, `POST
//! /users` with `campaign_id`, `first_name` and `email`, `GET /users/{id}` with
//! `with=user.analytics`, the user fields (`id`, `code`, `url`, `first_name`, `email`,
//! `referrer_id`, `signed_up_at`, `qualified_at`, `reach` as a string, `sharing`), the error
//! body `{code, message, errors}`, and a search body of filters answered with `{data: [...]}`.
//! Everything else is treated as unknown, so the dashboard is right in every world:
//!
//! - **Filters may be ignored.** Every row of a search is checked: an email search keeps only
//!   rows whose email (trimmed, case-insensitive) and `campaign_id` match; a referral search
//!   only rows whose `referrer_id` is the referrer's. Past [`MAX_SCAN_ROWS`] rows the search
//!   fails with a clear error instead of reading on.
//! - **Filter values may have to be strings**, as the one public client sends them: they are.
//! - **Paging is whatever the answer offers** ([`paging`]): `links.next` (page URL or cursor,
//!   same host only), else `meta.current_page`/`last_page`, else the next page number until a
//!   page is empty or short; a page that repeats the previous one ends the walk. `per_page`
//!   may be ignored: page sizes come from the rows returned.
//! - **The order of results is unknown**: referrals are read to the end and sorted locally
//!   (see [`crate::dashboard`]).
//! - **`analytics` may be missing**: the counts are then derived from the list.
//! - **A duplicate create may answer 400, 409 or 422** (naming the email), or 2xx with the
//!   existing account: all lead to "search again" or to the rules for existing accounts; a 2xx
//!   with another email is an error, never a new account.
//! - **Single users may come with or without their `{data: ...}` envelope**; rows without a
//!   usable id are skipped (and logged).
//! - **`Retry-After` may be absent, a date, or absurd** (see above).

pub mod decode;
pub mod paging;

use std::collections::{HashSet, VecDeque};
use std::fmt;
use std::ops::ControlFlow;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use reqwest::header::{AUTHORIZATION, HeaderValue, RETRY_AFTER};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use url::Url;

use crate::budget::{Budget, Exhausted};
use crate::dates::parse_date;
use crate::personal::email_key;

pub use decode::{
    Analytics, PlatformUser, SearchPage, decode_page, decode_response, decode_user, envelope,
    error_fields, uint,
};
use paging::{Next, Pager};

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
    /// A search would read more than this many rows (see [`MAX_SCAN_ROWS`]).
    #[error(
        "a search read more than {0} rows without reaching its end; the referral list is too long, or the platform ignores the search filter"
    )]
    ScanLimit(usize),
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
    parse_date(at).is_some_and(|at| (now - at).abs() <= CREATED_JUST_NOW)
}

/// The most rows one search reads before it gives up with [`UpstreamError::ScanLimit`]: a
/// referrer with 10,000 referrals fits with room to spare, even where the platform ignores the
/// filter and every search walks the whole campaign; beyond it a listing would cost hundreds
/// of calls (80 at 250 rows a page, 800 at 25).
pub const MAX_SCAN_ROWS: usize = 20_000;

/// The API client.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    base: Url,
    key: ApiKey,
    campaign_id: u64,
    budget: Arc<Budget>,
    rate_limited: Arc<Mutex<VecDeque<SystemTime>>>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base", &self.base.as_str())
            .field("key", &self.key)
            .field("campaign_id", &self.campaign_id)
            .finish_non_exhaustive()
    }
}

/// How the platform has treated us lately, for `/healthz`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Health {
    /// 429 answers in the last hour (the platform blocks an IP after repeated abuse).
    pub rate_limited_last_hour: usize,
    /// Seconds every call is still paused for after a 429, if any.
    pub paused_for_secs: Option<u64>,
}

/// What a referral search found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Referrals {
    /// The referrer's referrals, each once, in the order the platform sent them.
    pub users: Vec<PlatformUser>,
    /// Rows read, theirs or not.
    pub rows: usize,
    /// Pages read.
    pub pages: usize,
    /// Rows dropped because they belonged to someone else (the filter was not honoured).
    pub dropped: usize,
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
            // Redirects would carry the key to wherever they point: never follow them.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("referrer-dashboard/", env!("CARGO_PKG_VERSION")))
            .build()?;
        // A trailing slash, so that joining relative paths keeps the `/api/v2` prefix.
        let mut base = base.clone();
        if !base.path().ends_with('/') {
            base.set_path(&[base.path(), "/"].concat());
        }
        Ok(Self {
            http,
            base,
            key,
            campaign_id,
            budget,
            rate_limited: Arc::default(),
        })
    }

    /// The campaign referrers join.
    pub fn campaign_id(&self) -> u64 {
        self.campaign_id
    }

    /// How the platform has treated us lately.
    pub fn health(&self) -> Health {
        Health {
            rate_limited_last_hour: self.count_rate_limits(None),
            paused_for_secs: self.budget.paused_for().map(crate::retry_after::secs),
        }
    }

    /// Remembers a 429 (when `at` is given) and counts those of the last hour.
    fn count_rate_limits(&self, at: Option<SystemTime>) -> usize {
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

    /// `POST /users/search` by email and campaign: the user with this email in the campaign, if
    /// any. Only a row whose email and campaign match is taken, whatever the platform returned.
    ///
    /// # Errors
    /// Any [`UpstreamError`] after retries; [`UpstreamError::ScanLimit`] when the platform
    /// ignores the filter and the campaign is too large to read through.
    pub async fn find_by_email(&self, email: &str) -> Result<Option<PlatformUser>, UpstreamError> {
        let wanted = email_key(email);
        let campaign = self.campaign_id;
        let body = filters(&[("email", email), ("campaign_id", &campaign.to_string())]);
        let mut found = None;
        self.scan(&body, |user| {
            let email_matches = user.email.as_deref().map(email_key) == Some(wanted.clone());
            if email_matches && user.campaign_id == Some(campaign) {
                found = Some(user);
                return ControlFlow::Break(());
            }
            ControlFlow::Continue(())
        })
        .await?;
        Ok(found)
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
        let url = self.url("users")?;
        let (status, value) = self.call(Method::POST, url, Some(&body)).await?;
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

    /// `GET /users/{id}?with=user.analytics` (`analytics` may still be missing).
    ///
    /// # Errors
    /// [`UpstreamError::NotFound`] when the user no longer exists, or any other.
    pub async fn user_with_analytics(&self, id: u64) -> Result<PlatformUser, UpstreamError> {
        let mut url = self.url(&["users/", &id.to_string()].concat())?;
        url.query_pairs_mut().append_pair("with", "user.analytics");
        let (_, value) = self.call(Method::GET, url, None).await?;
        let user =
            decode_user(envelope(&value)).ok_or(UpstreamError::Malformed("user has no id"))?;
        if user.id != id {
            return Err(UpstreamError::Malformed(
                "the platform answered with another user",
            ));
        }
        Ok(user)
    }

    /// `POST /users/search` filtered on `referrer_id` and campaign: every referral of
    /// `referrer_id`, each once, checked row by row, in the platform's order (which is not
    /// documented: sort them).
    ///
    /// # Errors
    /// Any [`UpstreamError`] after retries; [`UpstreamError::ScanLimit`] past the row limit.
    pub async fn referrals(&self, referrer_id: u64) -> Result<Referrals, UpstreamError> {
        let campaign = self.campaign_id;
        let body = filters(&[
            ("referrer_id", &referrer_id.to_string()),
            ("campaign_id", &campaign.to_string()),
        ]);
        let mut found = Referrals::default();
        let mut seen = HashSet::new();
        let walk = self
            .scan(&body, |user| {
                let ours = user.referrer_id == Some(referrer_id)
                    && user.campaign_id.is_none_or(|c| c == campaign);
                if !ours {
                    found.dropped += 1;
                } else if seen.insert(user.id) {
                    found.users.push(user);
                }
                ControlFlow::Continue(())
            })
            .await?;
        (found.rows, found.pages) = walk;
        if found.dropped > 0 {
            tracing::warn!(
                dropped = found.dropped,
                rows = found.rows,
                "the platform returned referrals of other referrers; they were dropped (filter not honoured?)"
            );
        }
        Ok(found)
    }

    /// Walks every page of a search, handing each user to `visit` until it says stop. Returns
    /// the rows and pages read.
    async fn scan(
        &self,
        body: &Value,
        mut visit: impl FnMut(PlatformUser) -> ControlFlow<()>,
    ) -> Result<(usize, usize), UpstreamError> {
        let mut pager = Pager::new(self.base.clone(), MAX_SCAN_ROWS);
        let mut url = self.page_url(1)?;
        let mut pages = 0;
        loop {
            let (_, value) = self.call(Method::POST, url, Some(body)).await?;
            let page = decode_page(&value)?;
            pages += 1;
            let next = pager.after(&page)?;
            for user in page.users {
                if visit(user).is_break() {
                    return Ok((pager.rows(), pages));
                }
            }
            url = match next {
                Next::Link(link) => link,
                Next::Page(number) => self.page_url(number)?,
                Next::Done(_) => return Ok((pager.rows(), pages)),
            };
        }
    }

    /// `users/search?page=N&per_page=250`.
    fn page_url(&self, page: u64) -> Result<Url, UpstreamError> {
        let mut url = self.url("users/search")?;
        url.query_pairs_mut()
            .append_pair("page", &page.to_string())
            .append_pair("per_page", &MAX_PER_PAGE.to_string());
        Ok(url)
    }

    fn url(&self, path: &str) -> Result<Url, UpstreamError> {
        self.base
            .join(path)
            .map_err(|_| UpstreamError::Malformed("the API URL cannot be joined"))
    }

    /// One logical call: budget slot, request, retries. Returns the success status and body.
    async fn call(
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
        let response = request.send().await.map_err(transport)?;
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

/// How long 429s are remembered for `/healthz` and the log.
const RATE_LIMIT_MEMORY: Duration = Duration::from_secs(60 * 60);

/// A search body: `{"filters": {"value": [{field, value, operator: "="}...], "operator": "AND"}}`,
/// every value a string, as the one public client sends them.
fn filters(conditions: &[(&str, &str)]) -> Value {
    let value: Vec<Value> = conditions
        .iter()
        .map(|(field, value)| json!({"field": field, "value": value, "operator": "="}))
        .collect();
    json!({"filters": {"value": value, "operator": "AND"}})
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

/// The route of a URL path, for logs (ids are not personal data, but keep lines groupable).
fn route_name(path: &str) -> &'static str {
    if path.ends_with("/users/search") {
        "/users/search"
    } else if path.ends_with("/users") {
        "/users"
    } else {
        "/users/{id}"
    }
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
    fn filter_values_are_strings() {
        let body = filters(&[("referrer_id", "42"), ("campaign_id", "7")]);
        assert_eq!(
            body,
            json!({"filters": {"value": [
                {"field": "referrer_id", "value": "42", "operator": "="},
                {"field": "campaign_id", "value": "7", "operator": "="}
            ], "operator": "AND"}})
        );
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
