//! Building a user's dashboard session from the platform: create-or-fetch the referrer, read
//! their counters, and list their referrals newest first.
//!
//! Linking (SPEC §6): a subject keeps the platform user it was first mapped to. A platform user
//! this backend did not create for the subject (found by email, or answered to a create as an
//! account that was already there) is linked only when the identity says `email_verified`, and
//! never when it already belongs to another subject. Refusals are 403 and carry no upstream
//! data: the referrer is not even read before the link is allowed.
//!
//! Referrals: nothing public says in which order the platform lists them, so the whole list is
//! read (every page, up to [`crate::upstream::MAX_SCAN_ROWS`] rows), sorted here newest first
//! by `signed_up_at` then id, and cached for the session lifetime: the first session page and
//! every "Show more" page are cut from it, so paging costs no call. Cursors carry
//! `(offset, total)`: referrals that arrive later sort to the top and shift the list by the
//! difference in length, so later pages stay where the user left off.
//!
//! Upstream call counts, where `p` is the pages of a referrer's list (one per 250 referrals
//! where the platform honours `per_page`, one per 25 where it does not; never fewer than one,
//! whatever the counts say):
//! - returning user (mapping stored): `GET /users/{id}` + `p` searches;
//! - new user already on the platform: email search + `GET` + `p`;
//! - new user not on the platform: search + create = 2 (a user created this instant cannot have
//!   referrals yet, so nothing else is read);
//! - creation race (a duplicate answer): search + create + search + `GET` + `p`.

use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use crate::budget::Budget;
use crate::cache::{Cache, Hit, Policy};
use crate::dates::{expires_in, unix_now};
use crate::error::Error;
use crate::identity::Identity;
use crate::limit::{IdentityLimit, NewUserLimit};
use crate::personal::{email_hash, subject_hash};
use crate::session::{
    self, Cursor, CursorKey, PageBody, ReferrerBody, SessionBody, ShareBody, StatsBody,
};
use crate::shared::{Shared, Unavailable};
use crate::store::{Claim, Lookup, Mapping, MappingStore, Store};
use crate::upstream::{Client, Created, PlatformUser, UpstreamError};

/// The most building one session may take before the last good one is served instead: under
/// the endpoint's own deadline ([`crate::api::DEADLINE`]), so there is time left to answer.
const BUILD_DEADLINE: Duration = Duration::from_secs(11);

/// A stale session asks the widget to come back after at least this long.
const STALE_RETRY: Duration = Duration::from_secs(5);

/// The longest a user's requests share a "not now" failure before one tries again.
const MAX_COOL_DOWN: Duration = Duration::from_secs(10);

/// How long a refusal that asking again will not change is remembered for the subject: its
/// repeats get the same answer and cost no upstream call.
pub const REMEMBER_REFUSAL: Duration = Duration::from_secs(60);

/// How the caches treat failures.
struct Failures;

impl Policy<Error> for Failures {
    /// The last good data may stand in when the platform is busy, slow or down, or the database
    /// is (PostgreSQL unreachable); refusals (bad key, validation) are never papered over.
    fn serve_stale(&self, error: &Error) -> bool {
        transient(error) || matches!(error, Error::Store(_))
    }

    /// Budget and platform rate limits say "not now": the requests queued behind one should not
    /// each spend calls finding that out again. Refusals that asking again will not change are
    /// remembered for a minute, so one failing user cannot spend everyone's budget.
    fn cool_down(&self, error: &Error) -> Option<Duration> {
        match error {
            Error::RateLimited { retry_after }
            | Error::Upstream(UpstreamError::RateLimited { retry_after }) => {
                Some((*retry_after).min(MAX_COOL_DOWN))
            }
            Error::Upstream(UpstreamError::Budget(exhausted)) => {
                Some(exhausted.retry_after.min(MAX_COOL_DOWN))
            }
            error if !transient(error) && !matches!(error, Error::Store(_) | Error::Conflict) => {
                Some(REMEMBER_REFUSAL)
            }
            _ => None,
        }
    }

    /// A remembered refusal says from the first answer on how long it stands.
    fn first_answer(&self, error: Error, cool_down: Duration) -> Error {
        if transient(&error) {
            error
        } else {
            Error::Again {
                error: Box::new(error),
                retry_after: cool_down,
            }
        }
    }

    fn encode(&self, error: &Error) -> Option<String> {
        error.encode()
    }

    fn decode(&self, text: &str) -> Option<Error> {
        Error::decode(text, &[UNVERIFIED, TAKEN])
    }

    /// No build while Redis is down: it could not be single-flight, and the budget would refuse
    /// its calls anyway.
    fn unavailable(&self, why: &Unavailable) -> Option<Error> {
        tracing::debug!(%why, "no local copy to answer with while shared state is unreachable");
        Some(Error::Unavailable)
    }

    fn cooling(&self, error: &Error, remaining: Duration) -> Error {
        match error {
            Error::RateLimited { .. }
            | Error::Upstream(UpstreamError::RateLimited { .. } | UpstreamError::Budget(_)) => {
                Error::RateLimited {
                    retry_after: remaining,
                }
            }
            other => Error::Again {
                error: Box::new(other.clone()),
                retry_after: remaining,
            },
        }
    }
}

/// Failures that pass by themselves: the platform busy, slow, down or garbled, our budget spent,
/// shared state unreachable.
fn transient(error: &Error) -> bool {
    matches!(
        error,
        Error::Timeout
            | Error::Unavailable
            | Error::RateLimited { .. }
            | Error::Upstream(
                UpstreamError::Budget(_)
                    | UpstreamError::RateLimited { .. }
                    | UpstreamError::Timeout
                    | UpstreamError::Transport
                    | UpstreamError::Malformed(_)
                    | UpstreamError::Status(500..=599)
            )
    )
}

/// Refusal when an existing platform account would be linked on an unverified email.
const UNVERIFIED: &str = "a referral account already exists for this email; the email must be \
     verified (email_verified) before it can be linked";

/// Refusal when the platform account is linked to another subject.
const TAKEN: &str = "this referral account belongs to another user";

/// Longest first name sent upstream: the platform validates names, and a 300-character "name"
/// refused with 422 would otherwise fail the same way on every request.
const MAX_FIRST_NAME_CHARS: usize = 50;

/// The first name sent when the identity has no usable name.
const FALLBACK_FIRST_NAME: &str = "Friend";

/// The referrer's first name as the platform will accept it: the first word of the identity's
/// name, without control characters, at most [`MAX_FIRST_NAME_CHARS`], never empty, never an
/// email.
pub fn first_name(name: Option<&str>) -> String {
    let word: String = name
        .and_then(|n| n.split_whitespace().next())
        .filter(|w| !w.contains('@'))
        .unwrap_or_default()
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_FIRST_NAME_CHARS)
        .collect();
    if word.is_empty() {
        FALLBACK_FIRST_NAME.to_owned()
    } else {
        word
    }
}

/// How a platform user came to be linked.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Origin {
    /// Created by this backend for this subject.
    Created,
    /// Found (by email, or answered to a create): it existed before.
    Found,
}

/// Calls a session build needs at the least (search and create, or user and referrals),
/// reserved before it starts so that it never spends the first and is refused the second.
const MIN_BUILD_CALLS: usize = 2;

/// How a webhook names a referrer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Referred {
    /// Their platform id.
    Id(u64),
    /// Their referral code.
    Code(String),
    /// Their email.
    Email(String),
}

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
    cache_ttl: Duration,
    cursors: CursorKey,
    budget: Arc<Budget>,
    limit: IdentityLimit,
    new_users: NewUserLimit,
    /// Whole sessions by subject.
    sessions: Cache<String, SessionBody, Error>,
    /// Each referrer's whole list of referrals, newest first, by platform id.
    lists: Arc<Cache<u64, ReferralList, Error>>,
    /// Redis, when several instances share state.
    shared: Option<Shared>,
}

/// A referrer's referrals as sessions show them: newest first, names masked.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ReferralList {
    /// Every referral, newest first.
    pub items: Vec<session::ReferralBody>,
    /// How many of them are qualified.
    pub qualified: u64,
}

/// Most sessions kept: about 4 KB each, so at most some 400 MB however many users come.
const MAX_CACHED_SESSIONS: u64 = 100_000;

/// Most referral lists kept. A list is up to 20,000 referrals (a few MB); most are short.
const MAX_CACHED_LISTS: u64 = 10_000;

/// How long a cursor stays valid, in session lifetimes: long enough to page through a list
/// while reading it, short enough that a leaked cursor soon stops working.
const CURSOR_LIFETIMES: u32 = 10;

/// What a [`Dashboard`] is built from.
pub struct Parts {
    /// The platform client.
    pub upstream: Client,
    /// The budget the client draws on (to estimate waits for stale answers).
    pub budget: Arc<Budget>,
    /// The user mapping.
    pub store: Store,
    /// Session lifetime (`expires_at`).
    pub ttl: Duration,
    /// How long upstream data is cached: the session lifetime, or longer where webhooks drop
    /// what changed (see [`crate::webhook`]).
    pub cache_ttl: Duration,
    /// Signs cursors.
    pub cursors: CursorKey,
    /// Requests per identity per minute.
    pub requests_per_min: u32,
    /// New identities (search and create) per minute.
    pub new_users_per_min: u32,
    /// Redis shared by several instances: caches and limits go there (the budget in
    /// [`Parts::budget`] is made shared by its owner, see [`Budget::with_shared`]).
    pub shared: Option<Shared>,
}

impl Dashboard {
    /// A session builder from its parts.
    pub fn new(parts: Parts) -> Self {
        let mut limit = IdentityLimit::per_minute(parts.requests_per_min);
        let mut new_users = NewUserLimit::per_minute(parts.new_users_per_min);
        let mut sessions = Cache::new(parts.cache_ttl, MAX_CACHED_SESSIONS);
        let mut lists = Cache::new(parts.cache_ttl, MAX_CACHED_LISTS);
        if let Some(shared) = &parts.shared {
            // Per campaign: a session or list of one campaign is never served for another.
            let campaign = parts.upstream.campaign_id();
            limit = limit.with_shared(shared.clone());
            new_users = new_users.with_shared(shared.clone());
            sessions = sessions.with_shared(shared.clone(), &format!("c{campaign}:session"));
            lists = lists.with_shared(shared.clone(), &format!("c{campaign}:list"));
        }
        Self {
            upstream: parts.upstream,
            store: parts.store,
            ttl: parts.ttl,
            cache_ttl: parts.cache_ttl,
            cursors: parts.cursors,
            budget: parts.budget,
            limit,
            new_users,
            sessions,
            lists: Arc::new(lists),
            shared: parts.shared,
        }
    }

    /// Redis, when several instances share state.
    pub fn shared(&self) -> Option<&Shared> {
        self.shared.as_ref()
    }

    /// Which mapping store is in use (`sqlite` or `postgres`).
    pub fn store_engine(&self) -> &'static str {
        self.store.engine()
    }

    /// Drops `subject`'s cached session and referral list, so their next request is built
    /// afresh. With Redis, on every instance (within [`crate::cache::LOCAL_FRESH`]), and a
    /// build in flight cannot store what it read before this.
    ///
    /// # Errors
    /// [`Error::Store`] when the mapping cannot be read; [`Error::Unavailable`] when Redis
    /// cannot be told (this instance's copies are dropped all the same).
    pub async fn invalidate(&self, subject: &str) -> Result<(), Error> {
        let sessions = self
            .sessions
            .invalidate_everywhere(&subject.to_owned())
            .await;
        let mapping = self.store.get(subject, self.upstream.campaign_id()).await?;
        if let Some(mapping) = mapping {
            self.lists
                .invalidate_everywhere(&mapping.platform_id)
                .await
                .map_err(|_| Error::Unavailable)?;
        }
        sessions.map_err(|_| Error::Unavailable)
    }

    /// Drops the cached data of the referrer a webhook names (see [`crate::webhook`]): their
    /// referral list and, when a subject is linked to them, that subject's session; on every
    /// instance with Redis. Returns whether the referrer is known here (linked to a subject).
    ///
    /// # Errors
    /// [`Error::Store`] when the mapping cannot be read; [`Error::Unavailable`] when Redis
    /// cannot be told (this instance's copies are dropped all the same).
    pub async fn invalidate_referrer(&self, referrer: &Referred) -> Result<bool, Error> {
        let campaign = self.upstream.campaign_id();
        let (platform_id, subject) = match referrer {
            Referred::Id(id) => (Some(*id), self.store.owner(campaign, *id).await?),
            Referred::Code(code) => {
                let found = self
                    .store
                    .find(campaign, &Lookup::Code(code.clone()))
                    .await?;
                (
                    found.as_ref().map(|l| l.platform_id),
                    found.map(|l| l.subject),
                )
            }
            Referred::Email(email) => {
                let lookup = Lookup::EmailHash(email_hash(email));
                let found = self.store.find(campaign, &lookup).await?;
                (
                    found.as_ref().map(|l| l.platform_id),
                    found.map(|l| l.subject),
                )
            }
        };
        let mut unavailable = false;
        if let Some(id) = platform_id {
            unavailable |= self.lists.invalidate_everywhere(&id).await.is_err();
        }
        let known = subject.is_some();
        if let Some(subject) = subject {
            unavailable |= self.sessions.invalidate_everywhere(&subject).await.is_err();
        }
        if unavailable {
            return Err(Error::Unavailable);
        }
        Ok(known)
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
        self.admit(who).await?;
        let build = async {
            let build = self.budget.on_behalf_of(&who.subject, self.build(who));
            match tokio::time::timeout(BUILD_DEADLINE, build).await {
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

    async fn admit(&self, who: &Identity) -> Result<(), Error> {
        self.limit
            .admit(&who.subject)
            .await
            .map_err(|retry_after| Error::RateLimited { retry_after })
    }

    /// A cached session as served: valid for a session lifetime, but not past the end of its
    /// data's time in the cache; when stale, until the budget is expected to have room again.
    fn serve(&self, hit: &Hit<SessionBody>) -> SessionBody {
        let mut body = (*hit.value).clone();
        let valid_for = if hit.stale {
            self.budget.wait_estimate().max(STALE_RETRY)
        } else {
            let left = self
                .cache_ttl
                .saturating_sub(Instant::now().duration_since(hit.fetched_at));
            self.ttl.min(left)
        };
        body.expires_at = expires_in(valid_for);
        // Also stale when it was built on a referral list kept from before a failure.
        body.stale |= hit.stale;
        body
    }

    /// Builds the whole session from the platform, with its first calls reserved up front.
    async fn build(&self, who: &Identity) -> Result<SessionBody, Error> {
        let mapping = self
            .store
            .get(&who.subject, self.upstream.campaign_id())
            .await?;
        if mapping.is_none() {
            // A new identity: its own rate, checked before any slot is reserved, so a flood of
            // them cannot take the calls returning users need.
            self.admit_new_user().await?;
        }
        self.budget
            .prepaid(MIN_BUILD_CALLS, self.build_now(who, mapping))
            .await?
    }

    async fn admit_new_user(&self) -> Result<(), Error> {
        self.new_users
            .admit()
            .await
            .map_err(|retry_after| Error::RateLimited { retry_after })
    }

    async fn build_now(
        &self,
        who: &Identity,
        mapping: Option<Mapping>,
    ) -> Result<SessionBody, Error> {
        let (user, referrals, stats, stale) = match self.referrer(who, mapping).await? {
            Referrer::Created(user) => {
                let stats = StatsBody {
                    reach: user.reach.unwrap_or(0),
                    ..StatsBody::default()
                };
                (user, PageBody::default(), stats, false)
            }
            Referrer::Existing(user) => {
                // Always read: a count of 0 may be wrong, or missing.
                let list = self.list(user.id).await?;
                let stats = match user.analytics {
                    Some(analytics) => StatsBody {
                        reach: analytics.reach.max(user.reach.unwrap_or(0)),
                        referrals: analytics.referrals,
                        qualified: analytics.qualified_referrals,
                    },
                    None => {
                        tracing::warn!(
                            user_id = user.id,
                            reach_known = user.reach.is_some(),
                            "no analytics in the answer; referrals and qualified counted from the list"
                        );
                        StatsBody {
                            reach: user.reach.unwrap_or(0),
                            referrals: list.value.items.len() as u64,
                            qualified: list.value.qualified,
                        }
                    }
                };
                let cursor = Cursor {
                    referrer_id: user.id,
                    offset: 0,
                    total: list.value.items.len() as u64,
                    expires: self.cursor_expiry(),
                };
                let page = self.cut(who, &list.value, cursor);
                (user, page, stats, list.stale)
            }
        };
        let link = user.url.clone().ok_or(UpstreamError::Malformed(
            "the referrer has no referral link",
        ))?;
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
            stale,
        })
    }

    /// The page of referrals a cursor points at.
    ///
    /// # Errors
    /// [`Error::BadCursor`] for a cursor not issued to `who`, expired, or issued for a platform
    /// user `who` is no longer mapped to; upstream failures.
    pub async fn page(&self, who: &Identity, cursor: &str) -> Result<SessionBody, Error> {
        self.admit(who).await?;
        let cursor = self
            .cursors
            .verify(&who.subject, cursor, unix_now())
            .ok_or(Error::BadCursor)?;
        let mapped = self
            .store
            .get(&who.subject, self.upstream.campaign_id())
            .await?
            .map(|m| m.platform_id);
        if mapped != Some(cursor.referrer_id) {
            return Err(Error::BadCursor);
        }
        let (referrals, stale) = self
            .budget
            .on_behalf_of(&who.subject, self.page_at(who, cursor))
            .await?;
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
    async fn referrer(&self, who: &Identity, mapping: Option<Mapping>) -> Result<Referrer, Error> {
        let campaign = self.upstream.campaign_id();
        if let Some(mapping) = mapping {
            match self.upstream.user_with_analytics(mapping.platform_id).await {
                Ok(mut user) => {
                    self.keep_current(who, &mapping, &user).await?;
                    user.url = user.url.or(mapping.link);
                    return Ok(Referrer::Existing(user));
                }
                Err(UpstreamError::NotFound) => {
                    tracing::warn!(
                        subject = %subject_hash(&who.subject),
                        "stored referrer no longer exists upstream; looking them up again"
                    );
                    self.store.delete(&who.subject, campaign).await?;
                    // Looked up again like a new identity, at that rate.
                    self.admit_new_user().await?;
                }
                Err(error) => return Err(error.into()),
            }
        }
        let email = who.email_key();
        if let Some(found) = self.upstream.find_by_email(&email).await? {
            return self.adopt(who, &found).await;
        }
        match self
            .upstream
            .create(&first_name(who.name.as_deref()), &email)
            .await
        {
            Ok(Created::New(created)) => {
                self.link(who, &created, Origin::Created).await?;
                Ok(Referrer::Created(created))
            }
            Ok(Created::Existing(existing)) => self.adopt(who, &existing).await,
            Err(UpstreamError::Duplicate(status)) => {
                // Created by someone else between our search and our create: search again.
                tracing::info!(status, "create was refused as a duplicate; searching again");
                let found =
                    self.upstream
                        .find_by_email(&email)
                        .await?
                        .ok_or(UpstreamError::Malformed(
                            "a create was refused as a duplicate, but no user has the email",
                        ))?;
                self.adopt(who, &found).await
            }
            Err(error) => Err(error.into()),
        }
    }

    /// Refreshes a stored mapping whose code or email (hashed) is out of date, so a webhook that
    /// names the referrer by either finds them. A write only when something changed.
    async fn keep_current(
        &self,
        who: &Identity,
        mapping: &Mapping,
        user: &PlatformUser,
    ) -> Result<(), Error> {
        let hash = email_hash(&who.email);
        let code = user.code.clone().or_else(|| mapping.code.clone());
        if mapping.email_hash.as_deref() == Some(hash.as_str()) && mapping.code == code {
            return Ok(());
        }
        let fresher = Mapping {
            code,
            link: user.url.clone().or_else(|| mapping.link.clone()),
            email_hash: Some(hash),
            ..mapping.clone()
        };
        self.store
            .claim(&who.subject, self.upstream.campaign_id(), &fresher)
            .await?;
        Ok(())
    }

    /// Links an existing platform user (if allowed), then reads their counters.
    async fn adopt(&self, who: &Identity, found: &PlatformUser) -> Result<Referrer, Error> {
        self.link(who, found, Origin::Found).await?;
        let user = self.upstream.user_with_analytics(found.id).await?;
        Ok(Referrer::Existing(user))
    }

    /// Maps `who` to `user` if the linking rules allow it (see the module docs).
    async fn link(&self, who: &Identity, user: &PlatformUser, origin: Origin) -> Result<(), Error> {
        let campaign = self.upstream.campaign_id();
        if let Some(owner) = self.store.owner(campaign, user.id).await?
            && owner != who.subject
        {
            return Err(taken(who, &owner));
        }
        if origin == Origin::Found && !who.email_verified {
            tracing::info!(
                subject = %subject_hash(&who.subject),
                "refused to link an existing referral account on an unverified email"
            );
            return Err(Error::Forbidden(UNVERIFIED));
        }
        let mapping = Mapping {
            platform_id: user.id,
            code: user.code.clone(),
            link: user.url.clone(),
            email_hash: Some(email_hash(&who.email)),
        };
        match self.store.claim(&who.subject, campaign, &mapping).await? {
            Claim::Stored => Ok(()),
            Claim::TakenBy(owner) => Err(taken(who, &owner)),
            Claim::SubjectTaken(_) => Err(Error::Conflict),
        }
    }

    /// The referrals at `cursor` in the list as it is now, and whether that list is stale.
    async fn page_at(&self, who: &Identity, cursor: Cursor) -> Result<(PageBody, bool), Error> {
        let hit = self.list(cursor.referrer_id).await?;
        let page = self.cut(
            who,
            &hit.value,
            Cursor {
                expires: self.cursor_expiry(),
                ..cursor
            },
        );
        Ok((page, hit.stale))
    }

    /// One session page of `list` at `cursor`. Referrals that arrived since the cursor was
    /// issued sort to the top, so the list is shifted by how much it grew.
    fn cut(&self, who: &Identity, list: &ReferralList, cursor: Cursor) -> PageBody {
        let len = list.items.len() as u64;
        let start = cursor.offset + len.saturating_sub(cursor.total);
        let items: Vec<_> = list
            .items
            .iter()
            .skip(usize::try_from(start).unwrap_or(usize::MAX))
            .take(session::PAGE_SIZE)
            .cloned()
            .collect();
        let end = start + items.len() as u64;
        let next = (end < len).then(|| {
            self.cursors.sign(
                &who.subject,
                Cursor {
                    offset: cursor.offset + items.len() as u64,
                    ..cursor
                },
            )
        });
        PageBody { items, next }
    }

    /// A referrer's whole list, through the list cache (one read of every page when missing).
    ///
    /// The read runs in a task of its own: a long list on a slow platform may take longer than
    /// a request may wait, and when the request gives up the read goes on and fills the cache,
    /// so the next request finds it (instead of every attempt spending calls and starting over).
    async fn list(&self, referrer_id: u64) -> Result<Hit<ReferralList>, Error> {
        let (lists, upstream) = (self.lists.clone(), self.upstream.clone());
        let carried = Budget::carry();
        let read = tokio::spawn(carried.scope(async move {
            lists
                .get_or_fetch(&referrer_id, read_list(&upstream, referrer_id), &Failures)
                .await
        }));
        read.await.map_err(|_| Error::Timeout)?
    }

    /// How the platform has treated us lately (for `/healthz`).
    pub fn upstream_health(&self) -> crate::upstream::Health {
        self.upstream.health()
    }
}

impl Dashboard {
    /// When a cursor issued now stops working (Unix seconds).
    fn cursor_expiry(&self) -> u64 {
        unix_now() + (self.ttl * CURSOR_LIFETIMES).as_secs()
    }
}

/// Reads a referrer's whole list from the platform and sorts it newest first.
async fn read_list(upstream: &Client, referrer_id: u64) -> Result<ReferralList, Error> {
    let found = upstream.referrals(referrer_id).await?;
    tracing::debug!(
        referrals = found.users.len(),
        rows = found.rows,
        pages = found.pages,
        "read a referral list"
    );
    let qualified = found
        .users
        .iter()
        .filter(|u| u.qualified_at.is_some())
        .count() as u64;
    Ok(ReferralList {
        items: session::newest_first(found.users),
        qualified,
    })
}

/// The refusal for a platform user linked to another subject, logged with both subjects'
/// hashes (never an email).
fn taken(who: &Identity, owner: &str) -> Error {
    tracing::warn!(
        subject = %subject_hash(&who.subject),
        owner = %subject_hash(owner),
        "a second user resolved to a referral account that belongs to another; refused"
    );
    Error::Forbidden(TAKEN)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_names_are_shaped_to_what_the_platform_accepts() {
        assert_eq!(first_name(Some("  Ada Lovelace ")), "Ada");
        assert_eq!(first_name(None), FALLBACK_FIRST_NAME);
        assert_eq!(first_name(Some("   ")), FALLBACK_FIRST_NAME);
        assert_eq!(first_name(Some("ada@example.com")), FALLBACK_FIRST_NAME);
        assert_eq!(first_name(Some("A\u{0}da")), "Ada");
        let long = "x".repeat(300);
        assert_eq!(
            first_name(Some(&long)).chars().count(),
            MAX_FIRST_NAME_CHARS
        );
        let accents = "É".repeat(80);
        assert_eq!(
            first_name(Some(&accents)).chars().count(),
            MAX_FIRST_NAME_CHARS
        );
    }

    #[test]
    fn refusals_are_remembered_and_transient_failures_are_not() {
        let policy = Failures;
        for refusal in [
            Error::Forbidden(TAKEN),
            Error::Upstream(UpstreamError::Unprocessable {
                status: 422,
                fields: vec!["first_name".into()],
            }),
            Error::Upstream(UpstreamError::Unauthorized),
            Error::Upstream(UpstreamError::Status(400)),
        ] {
            assert_eq!(
                policy.cool_down(&refusal),
                Some(REMEMBER_REFUSAL),
                "{refusal}"
            );
            assert!(!policy.serve_stale(&refusal));
            assert!(matches!(
                policy.cooling(&refusal, Duration::from_secs(3)),
                Error::Again { .. }
            ));
        }
        for passing in [
            Error::Upstream(UpstreamError::Status(503)),
            Error::Upstream(UpstreamError::Transport),
            Error::Timeout,
        ] {
            assert_eq!(policy.cool_down(&passing), None, "{passing}");
            assert!(policy.serve_stale(&passing));
        }
    }
}
