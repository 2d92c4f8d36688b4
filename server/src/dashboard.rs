//! Building a user's dashboard session from the platform: create-or-fetch the referrer, read
//! their counters, and list their referrals newest first.
//!
//! Upstream call counts (the frugality contract):
//! - returning user (mapping stored): `GET /users/{id}` + one referrals search = 2, or 1
//!   when they have no referrals;
//! - new user already on the platform: search + `GET` + referrals search = 3;
//! - new user not on the platform: search + create = 2 (a user created this instant has no
//!   counts and no referrals, so nothing else is read);
//! - creation race (422, someone created them meanwhile): search + create + search + `GET` = 4,
//!   plus a referrals search only if that user somehow already has referrals.
//!
//! Referrals: the API lists a referrer's referrals oldest first in pages of up to 250. The
//! newest-first list is that order reversed: position `i` of `total` is the API's position
//! `total - 1 - i`. The first session page is cut from the API's last page only (so it costs
//! one call even when that page is short); cursors carry `(offset, total)` so later pages map
//! to fixed API positions even as new referrals arrive.

use std::sync::Arc;
use std::time::Duration;

use time::OffsetDateTime;
use tokio::time::Instant;

use crate::budget::Budget;
use crate::cache::{Cache, Hit, Policy};
use crate::error::Error;
use crate::identity::Identity;
use crate::limit::IdentityLimit;
use crate::session::{
    self, Cursor, CursorKey, PageBody, ReferrerBody, SessionBody, ShareBody, StatsBody,
};
use crate::store::{Mapping, Store};
use crate::upstream::{Client, MAX_PER_PAGE, PlatformUser, SearchPage, UpstreamError};

/// Referrals per API page requested: the maximum, so listings cost the fewest calls.
const PER_PAGE: u64 = MAX_PER_PAGE as u64;

/// The most building one session may take before the last good one is served instead: under
/// the endpoint's own deadline ([`crate::api::DEADLINE`]), so there is time left to answer.
const BUILD_DEADLINE: Duration = Duration::from_secs(11);

/// A stale session asks the widget to come back after at least this long.
const STALE_RETRY: Duration = Duration::from_secs(5);

/// The longest a user's requests share a "not now" failure before one tries again.
const MAX_COOL_DOWN: Duration = Duration::from_secs(10);

/// How the caches treat failures.
struct Failures;

impl Policy<Error> for Failures {
    /// The last good data may stand in when the platform is busy, slow or down; refusals (bad
    /// key, validation) are never papered over.
    fn serve_stale(&self, error: &Error) -> bool {
        matches!(
            error,
            Error::Timeout
                | Error::RateLimited { .. }
                | Error::Upstream(
                    UpstreamError::Budget { .. }
                        | UpstreamError::RateLimited { .. }
                        | UpstreamError::Timeout
                        | UpstreamError::Transport
                        | UpstreamError::Malformed(_)
                        | UpstreamError::Status(500..=599)
                )
        )
    }

    /// Budget and platform rate limits say "not now": the requests queued behind one should not
    /// each spend calls finding that out again.
    fn cool_down(&self, error: &Error) -> Option<Duration> {
        match error {
            Error::RateLimited { retry_after }
            | Error::Upstream(UpstreamError::Budget { retry_after }) => {
                Some((*retry_after).min(MAX_COOL_DOWN))
            }
            Error::Upstream(UpstreamError::RateLimited { retry_after }) => {
                Some(retry_after.unwrap_or(STALE_RETRY).min(MAX_COOL_DOWN))
            }
            _ => None,
        }
    }

    fn cooling(&self, remaining: Duration) -> Error {
        Error::RateLimited {
            retry_after: remaining,
        }
    }
}

/// Calls a session build needs at the least (search and create, or user and referrals),
/// reserved before it starts so that it never spends the first and is refused the second.
const MIN_BUILD_CALLS: usize = 2;

/// The referrer as the platform knows them.
enum Referrer {
    /// Read with analytics.
    Existing(PlatformUser),
    /// Created just now: no counts, no referrals yet.
    Created(PlatformUser),
}

/// The session builder, with its caches.
pub struct Dashboard {
    upstream: Client,
    store: Store,
    ttl: Duration,
    cursors: CursorKey,
    budget: Arc<Budget>,
    limit: IdentityLimit,
    /// Whole sessions by subject.
    sessions: Cache<String, SessionBody>,
    /// API pages of referrals by (referrer, page).
    pages: Cache<(u64, u64), SearchPage>,
}

/// What a [`Dashboard`] is built from.
pub struct Parts {
    /// The platform client.
    pub upstream: Client,
    /// The budget the client draws on (to estimate waits for stale answers).
    pub budget: Arc<Budget>,
    /// The user mapping.
    pub store: Store,
    /// Session lifetime and cache TTL.
    pub ttl: Duration,
    /// Signs cursors.
    pub cursors: CursorKey,
    /// Requests per identity per minute.
    pub requests_per_min: u32,
}

impl Dashboard {
    /// A session builder from its parts.
    pub fn new(parts: Parts) -> Self {
        Self {
            upstream: parts.upstream,
            store: parts.store,
            ttl: parts.ttl,
            cursors: parts.cursors,
            budget: parts.budget,
            limit: IdentityLimit::per_minute(parts.requests_per_min),
            sessions: Cache::new(parts.ttl),
            pages: Cache::new(parts.ttl),
        }
    }

    /// Session lifetime.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// The session for `who`: from the cache while fresh (one upstream fetch however many
    /// requests arrive together), else built anew; when that fails because the platform is busy
    /// or down, the last good session marked stale.
    ///
    /// # Errors
    /// [`Error::RateLimited`] when `who` asks too often; upstream and storage failures when
    /// there is nothing to fall back on.
    pub async fn session(&self, who: &Identity) -> Result<SessionBody, Error> {
        self.admit(who)?;
        let build = async {
            match tokio::time::timeout(BUILD_DEADLINE, self.build(who)).await {
                Ok(result) => result,
                Err(_) => Err(Error::Timeout),
            }
        };
        let hit = self
            .sessions
            .get_or_fetch(&who.subject, build, &Failures)
            .await?;
        Ok(self.serve(&hit))
    }

    fn admit(&self, who: &Identity) -> Result<(), Error> {
        self.limit
            .check(&who.subject)
            .map_err(|retry_after| Error::RateLimited { retry_after })
    }

    /// A cached session as served: valid until its data's TTL ends, or, when stale, until the
    /// budget is expected to have room again.
    fn serve(&self, hit: &Hit<SessionBody>) -> SessionBody {
        let mut body = (*hit.value).clone();
        let valid_for = if hit.stale {
            self.budget.wait_estimate().max(STALE_RETRY)
        } else {
            self.ttl
                .saturating_sub(Instant::now().duration_since(hit.fetched_at))
        };
        body.expires_at = expires_in(valid_for);
        body.stale = hit.stale;
        body
    }

    /// Builds the whole session from the platform, with its first calls reserved up front.
    async fn build(&self, who: &Identity) -> Result<SessionBody, Error> {
        self.budget
            .prepaid(MIN_BUILD_CALLS, self.build_now(who))
            .await?
    }

    async fn build_now(&self, who: &Identity) -> Result<SessionBody, Error> {
        let (user, stats) = match self.referrer(who).await? {
            Referrer::Created(user) => {
                let stats = StatsBody {
                    reach: user.reach.unwrap_or(0),
                    ..StatsBody::default()
                };
                (user, stats)
            }
            Referrer::Existing(user) => {
                let analytics = user.analytics.unwrap_or_default();
                let stats = StatsBody {
                    reach: analytics.reach.max(user.reach.unwrap_or(0)),
                    referrals: analytics.referrals,
                    qualified: analytics.qualified_referrals,
                };
                (user, stats)
            }
        };
        let link = user.url.clone().ok_or(UpstreamError::Malformed(
            "the referrer has no referral link",
        ))?;
        let referrals = if stats.referrals == 0 {
            PageBody::default()
        } else {
            self.first_page(who, user.id, stats.referrals).await?
        };
        let share =
            (user.share_text.is_some() || user.share_subject.is_some()).then(|| ShareBody {
                message: user.share_text.clone(),
                subject: user.share_subject.clone(),
            });
        Ok(SessionBody {
            version: session::VERSION,
            expires_at: expires_in(self.ttl),
            referrer: Some(ReferrerBody {
                name: who.name.clone().or_else(|| user.first_name.clone()),
                link,
                code: user.code.clone(),
            }),
            stats: Some(stats),
            referrals,
            share,
            stale: false,
        })
    }

    /// The page of referrals a cursor points at.
    ///
    /// # Errors
    /// [`Error::BadCursor`] for a cursor not issued to `who`; upstream failures.
    pub async fn page(&self, who: &Identity, cursor: &str) -> Result<SessionBody, Error> {
        self.admit(who)?;
        let cursor = self
            .cursors
            .verify(&who.subject, cursor)
            .ok_or(Error::BadCursor)?;
        let (referrals, stale) = self.page_at(who, cursor).await?;
        Ok(SessionBody {
            version: session::VERSION,
            expires_at: expires_in(self.ttl),
            referrer: None,
            stats: None,
            referrals,
            share: None,
            stale,
        })
    }

    /// Create-or-fetch (see the module docs for what each path costs).
    async fn referrer(&self, who: &Identity) -> Result<Referrer, Error> {
        let campaign = self.upstream.campaign_id();
        if let Some(mapping) = self.store.get(&who.subject, campaign).await? {
            match self.upstream.user_with_analytics(mapping.platform_id).await {
                Ok(mut user) => {
                    user.url = user.url.or(mapping.link);
                    return Ok(Referrer::Existing(user));
                }
                Err(UpstreamError::NotFound) => {
                    tracing::warn!(
                        "stored referrer no longer exists upstream; looking them up again"
                    );
                    self.store.delete(&who.subject, campaign).await?;
                }
                Err(error) => return Err(error.into()),
            }
        }
        if let Some(found) = self.upstream.find_by_email(&who.email).await? {
            return self.adopt(who, found.id).await;
        }
        let first_name = who
            .name
            .as_deref()
            .and_then(|n| n.split_whitespace().next())
            .unwrap_or("Friend");
        match self.upstream.create(first_name, &who.email).await {
            Ok(created) => {
                self.remember(who, &created).await?;
                Ok(Referrer::Created(created))
            }
            Err(UpstreamError::Unprocessable { fields }) => {
                // Created by someone else between our search and our create: search again.
                tracing::info!(?fields, "create was refused; searching again");
                let found = self
                    .upstream
                    .find_by_email(&who.email)
                    .await?
                    .ok_or(UpstreamError::Unprocessable { fields })?;
                self.adopt(who, found.id).await
            }
            Err(error) => Err(error.into()),
        }
    }

    /// Remembers an existing platform user and reads their counters.
    async fn adopt(&self, who: &Identity, platform_id: u64) -> Result<Referrer, Error> {
        let user = self.upstream.user_with_analytics(platform_id).await?;
        self.remember(who, &user).await?;
        Ok(Referrer::Existing(user))
    }

    async fn remember(&self, who: &Identity, user: &PlatformUser) -> Result<(), Error> {
        let mapping = Mapping {
            platform_id: user.id,
            code: user.code.clone(),
            link: user.url.clone(),
        };
        self.store
            .put(&who.subject, self.upstream.campaign_id(), &mapping)
            .await?;
        Ok(())
    }

    /// The newest referrals: the API's last page, reversed.
    async fn first_page(
        &self,
        who: &Identity,
        referrer_id: u64,
        count: u64,
    ) -> Result<PageBody, Error> {
        let guess = count.div_ceil(PER_PAGE).max(1);
        let mut page = self.fetch(referrer_id, guess).await?.value;
        if u64::from(page.last_page) != guess {
            // The counters and the list disagree (deleted referrals, say): read the real last page.
            page = self
                .fetch(referrer_id, u64::from(page.last_page))
                .await?
                .value;
        }
        let last = u64::from(page.last_page);
        let total = page
            .total
            .unwrap_or((last - 1) * PER_PAGE + page.users.len() as u64);
        let items: Vec<_> = page
            .users
            .iter()
            .rev()
            .take(session::PAGE_SIZE)
            .map(session::referral)
            .collect();
        let offset = items.len() as u64;
        Ok(PageBody {
            next: (offset < total).then(|| {
                self.cursors.sign(
                    &who.subject,
                    Cursor {
                        referrer_id,
                        offset,
                        total,
                    },
                )
            }),
            items,
        })
    }

    /// Positions `offset..offset + PAGE_SIZE` of the newest-first list of `total`, and whether
    /// any of it came from stale data.
    async fn page_at(&self, who: &Identity, cursor: Cursor) -> Result<(PageBody, bool), Error> {
        let Cursor {
            referrer_id,
            offset,
            total,
        } = cursor;
        if offset >= total {
            return Ok((PageBody::default(), false));
        }
        let mut stale = false;
        // API positions (oldest first) of this page, highest first.
        let high = total - 1 - offset;
        let low = high.saturating_sub(session::PAGE_SIZE as u64 - 1);
        let mut items = Vec::with_capacity(session::PAGE_SIZE);
        for api_page in (low / PER_PAGE + 1..=high / PER_PAGE + 1).rev() {
            let hit = self.fetch(referrer_id, api_page).await?;
            stale |= hit.stale;
            let page = hit.value;
            let first_position = (api_page - 1) * PER_PAGE;
            for (index, user) in page.users.iter().enumerate().rev() {
                let position = first_position + index as u64;
                if (low..=high).contains(&position) {
                    items.push(session::referral(user));
                }
            }
        }
        let next_offset = offset + (high - low + 1);
        let next = (next_offset < total).then(|| {
            let cursor = Cursor {
                referrer_id,
                offset: next_offset,
                total,
            };
            self.cursors.sign(&who.subject, cursor)
        });
        Ok((PageBody { items, next }, stale))
    }

    /// One API page of referrals, through the page cache.
    async fn fetch(&self, referrer_id: u64, page: u64) -> Result<Hit<SearchPage>, Error> {
        let fetch = async {
            let number = u32::try_from(page).unwrap_or(u32::MAX);
            Ok(self
                .upstream
                .referrals(referrer_id, number, MAX_PER_PAGE)
                .await?)
        };
        self.pages
            .get_or_fetch(&(referrer_id, page), fetch, &Failures)
            .await
    }
}

/// RFC 3339 for `now + duration`.
fn expires_in(duration: Duration) -> String {
    session::rfc3339(OffsetDateTime::now_utc() + duration).unwrap_or_default()
}
