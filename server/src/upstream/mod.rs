//! The Referral Factory API v2 client: the only module that sees the API key.
//!
//! One file over the ~400 lines the server keeps to (issue 22), on purpose: it is the client's
//! whole surface, every call the backend makes to the platform and what each assumes, read in
//! one place (decoding, errors, transport, paging, retries and rewards are its submodules).
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
//!
//! # Layout
//! - this module: [`Client`] and the calls a dashboard needs (search by email, create, read with
//!   analytics, list referrals), each answer checked;
//! - `http`: one logical call (a budget slot per attempt, the key, retries, a 429 pausing
//!   everyone) and the platform's statuses read into [`UpstreamError`]s;
//! - `key`: [`ApiKey`]; `error`: [`UpstreamError`]; `retry`: backoff and `Retry-After`;
//! - [`decode`]: answers read without trusting their shape; [`paging`]: following whatever
//!   paging an answer offers.

pub mod decode;
mod error;
mod http;
mod key;
pub mod paging;
mod retry;
pub mod rewards;

use std::collections::{HashSet, VecDeque};
use std::fmt;
use std::ops::ControlFlow;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use url::Url;

use crate::budget::Budget;
use crate::dates::parse_date;
use crate::personal::email_key;

pub use decode::{
    Analytics, PlatformUser, SearchPage, decode_list, decode_page, decode_response, decode_user,
    envelope, error_fields, text, uint,
};
pub use error::UpstreamError;
pub use key::ApiKey;
use paging::{Next, Pager};
pub use retry::{DEFAULT_RETRY_AFTER, MAX_RETRY_AFTER, retry_after, retry_delay};

/// Per-attempt timeout: the API normally answers in under a second but has been seen to
/// stall for 25 s; waiting that long would outlast the widget's own 15 s patience.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(8);

/// Largest `per_page` the API accepts.
pub const MAX_PER_PAGE: u32 = 250;

/// What a `POST /users` gave.
#[derive(Debug, Clone, PartialEq)]
pub enum Created {
    /// A user created by this call.
    New(PlatformUser),
    /// A user that existed before (the platform answered the create with it).
    Existing(PlatformUser),
}

/// How much earlier than our create an account answered with `201 Created` may say it signed
/// up and still count as made by it: the platform's clock and ours differ by a little (and
/// `signed_up_at` is in whole seconds). An account older than this existed before the call,
/// whatever the status says.
const CLOCK_SKEW: time::Duration = time::Duration::seconds(5);

/// Whether an answer to a create can only mean "made by this call": `201 Created`, not a lead,
/// and no `signed_up_at` (when given) before the call was sent. A `200` (an upsert handing back
/// what existed) never is: the linking rules of existing accounts apply to it (SPEC §6).
fn made_by_this_call(status: u16, user: &PlatformUser, sent: time::OffsetDateTime) -> bool {
    status == StatusCode::CREATED.as_u16()
        && user.referrer_id.is_none()
        && user
            .signed_up_at
            .as_deref()
            .is_none_or(|at| parse_date(at).is_some_and(|at| at >= sent - CLOCK_SKEW))
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
        let sent = time::OffsetDateTime::now_utc();
        let (status, value) = self.call(Method::POST, url, Some(&body)).await?;
        let user = decode_user(envelope(&value))
            .ok_or(UpstreamError::Malformed("created user has no id"))?;
        if user.email.as_deref().map(email_key) != Some(email_key(email)) {
            // Not the account asked for: never link it to this identity.
            return Err(UpstreamError::Malformed(
                "the created user has another email",
            ));
        }
        Ok(if made_by_this_call(status, &user, sent) {
            Created::New(user)
        } else {
            // An upsert's answer, a lead someone referred, or an account that signed up before
            // this call: it existed, so the linking rules of existing accounts apply.
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

    /// Walks every page of a user search, handing each user to `visit` until it says stop.
    /// Returns the rows and pages read.
    async fn scan(
        &self,
        body: &Value,
        visit: impl FnMut(PlatformUser) -> ControlFlow<()>,
    ) -> Result<(usize, usize), UpstreamError> {
        let list = List {
            method: Method::POST,
            path: "users/search",
            body: Some(body),
        };
        self.walk(&list, decode_user, |u| u.id, visit).await
    }

    /// Walks every page of any list (`GET` or search), decoding each row with `decode` (rows it
    /// cannot read are skipped) and handing it to `visit` until it says stop. Returns the rows
    /// and pages read.
    pub(crate) async fn walk<T>(
        &self,
        list: &List<'_>,
        decode: impl Fn(&Value) -> Option<T>,
        id: impl Fn(&T) -> u64,
        mut visit: impl FnMut(T) -> ControlFlow<()>,
    ) -> Result<(usize, usize), UpstreamError> {
        let mut pager = Pager::new(self.base.clone(), MAX_SCAN_ROWS);
        let mut url = self.page_url(list.path, 1)?;
        let mut pages = 0;
        loop {
            let (_, value) = self.call(list.method.clone(), url, list.body).await?;
            let (rows, page) = decode_list(&value)?;
            let items: Vec<T> = rows.iter().filter_map(&decode).collect();
            pages += 1;
            let next = pager.after_ids(&page, items.iter().map(&id).collect())?;
            for item in items {
                if visit(item).is_break() {
                    return Ok((pager.rows(), pages));
                }
            }
            url = match next {
                Next::Link(link) => link,
                Next::Page(number) => self.page_url(list.path, number)?,
                Next::Done(_) => return Ok((pager.rows(), pages)),
            };
        }
    }

    /// `{path}?page=N&per_page=250`.
    fn page_url(&self, path: &str, page: u64) -> Result<Url, UpstreamError> {
        let mut url = self.url(path)?;
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
}

/// A list to walk through: `GET path` or `POST path` with a search body.
pub(crate) struct List<'a> {
    /// `GET` for a list, `POST` for a search.
    pub method: Method,
    /// Relative to the API base (`users/search`, `rewards/due/amount/search`).
    pub path: &'a str,
    /// The search body.
    pub body: Option<&'a Value>,
}

/// A search body: `{"filters": {"value": [{field, value, operator: "="}...], "operator": "AND"}}`,
/// every value a string, as the one public client sends them.
pub(crate) fn filters(conditions: &[(&str, &str)]) -> Value {
    let value: Vec<Value> = conditions
        .iter()
        .map(|(field, value)| json!({"field": field, "value": value, "operator": "="}))
        .collect();
    json!({"filters": {"value": value, "operator": "AND"}})
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
