//! Building a user's dashboard session from the platform: create-or-fetch the referrer, read
//! their counters, and list their referrals newest first ([`SessionBuilder`]).
//!
//! Linking (SPEC §6): a subject keeps the platform user it was first mapped to. A platform user
//! this backend did not create for the subject (found by email, or answered to a create as an
//! account that was already there) is linked only when the identity says `email_verified`, and
//! never when it already belongs to another subject, with one exception: a link made on an
//! unverified email passes to the first subject that proves the email, and the subject it was
//! made for is refused from then on (its cached session is dropped, and no session is served to
//! a subject without a link). Refusals are 403 and carry no upstream data: the referrer is not
//! even read before the link is allowed.
//!
//! Referrals: nothing public says in which order the platform lists them, so the whole list is
//! read (every page, up to [`crate::upstream::MAX_SCAN_ROWS`] rows), sorted here newest first
//! by `signed_up_at` then id, and cached: the first session page and every "Show more" page are
//! taken from it, so paging costs no call. Cursors carry `(offset, total)`: referrals that
//! arrive later sort to the top and shift the list by the difference in length, so later pages
//! stay where the user left off.
//!
//! Upstream call counts, where `p` is the pages of a referrer's list (one per 250 referrals
//! where the platform honours `per_page`, one per 25 where it does not; never fewer than one,
//! whatever the counts say):
//! - returning user (mapping stored): `GET /users/{id}` + `p` searches;
//! - new user already on the platform: email search + `GET` + `p`;
//! - new user not on the platform: search + create = 2 (a user created this instant cannot have
//!   referrals yet, so nothing else is read);
//! - creation race (a duplicate answer): search + create + search + `GET` + `p`.
//!
//! With `DASHBOARD_REWARDS` on, the referrer's rewards are read beside the referral list (2
//! calls per reward metric in use, none for a user created this instant) and the campaign and
//! reward definitions once an hour for the whole account (see `rewards`).
//!
//! # Layout
//! - this module: [`SessionBuilder`] and what it is made of ([`Components`]);
//! - `build`: a whole session, through the session cache, within a deadline;
//! - `linking`: create-or-fetch and the linking rules;
//! - `referrals`: the referral list and its pages;
//! - `rewards`: what the referrer has earned and the program's state, never at the cost of the
//!   rest of the session;
//! - `forget`: dropping what is cached for a referrer a webhook names;
//! - `policy`: how the caches treat failures (stale, remembered, shared);
//! - `names`: the first name sent to the platform.

mod build;
mod forget;
mod linking;
mod names;
mod policy;
mod referrals;
mod rewards;

use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use crate::backing::Backing;
use crate::budget::Budget;
use crate::cache::Cache;
use crate::error::Error;
use crate::limit::{self, Limiter};
use crate::session::{CursorKey, SessionBody};
use crate::store::Store;
use crate::upstream::Client;

pub use forget::Referred;
pub use names::first_name;
pub use policy::REMEMBER_REFUSAL;
pub use referrals::ReferralList;
use rewards::RewardCaches;
pub use rewards::{ACCOUNT_TTL, DEADLINE as REWARDS_DEADLINE};

/// Most sessions kept: about 4 KB each, so at most some 400 MB however many users come.
const MAX_CACHED_SESSIONS: u64 = 100_000;

/// Most referral lists kept. A list is up to 20,000 referrals (a few MB); most are short.
const MAX_CACHED_LISTS: u64 = 10_000;

/// Builds dashboard sessions and pages for host users, with its caches and limits: what the
/// session endpoint ([`crate::api`]) and the webhook ([`crate::webhook`]) call.
pub struct SessionBuilder {
    upstream: Client,
    store: Store,
    ttl: Duration,
    cache_ttl: Duration,
    cursors: CursorKey,
    budget: Arc<Budget>,
    backing: Backing,
    limit: Limiter,
    new_users: Limiter,
    /// Whole sessions by subject.
    sessions: Cache<String, SessionBody, Error>,
    /// Each referrer's whole list of referrals, newest first, by platform id.
    lists: Arc<Cache<u64, ReferralList, Error>>,
    /// The rewards' caches; `None` with `DASHBOARD_REWARDS=off`.
    rewards: Option<RewardCaches>,
    /// Sessions that went out without their rewards or program state.
    rewards_dropped: AtomicU64,
}

/// What a [`SessionBuilder`] is made of.
pub struct Components {
    /// The platform client.
    pub upstream: Client,
    /// The budget the client draws on (to estimate waits for stale answers).
    pub budget: Arc<Budget>,
    /// The user mapping.
    pub store: Store,
    /// Where caches and limits keep their state (this process, or Redis for every instance).
    pub backing: Backing,
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
    /// Read rewards and the campaign's state (`DASHBOARD_REWARDS`).
    pub rewards: bool,
}

impl SessionBuilder {
    /// A session builder from its components.
    pub fn new(parts: Components) -> Self {
        // Per campaign: a session or list of one campaign is never served for another.
        let campaign = parts.upstream.campaign_id();
        let backing = parts.backing;
        let account_ttl = parts.cache_ttl.max(ACCOUNT_TTL);
        let rewards = parts.rewards.then(|| RewardCaches {
            campaign: Arc::new(backing.cache(&format!("c{campaign}:campaign"), account_ttl, 1)),
            definitions: Arc::new(backing.cache(
                &format!("c{campaign}:rewarddefs"),
                account_ttl,
                1,
            )),
            referrers: Arc::new(backing.cache(
                &format!("c{campaign}:rewards"),
                parts.cache_ttl,
                MAX_CACHED_LISTS,
            )),
        });
        Self {
            rewards,
            rewards_dropped: AtomicU64::new(0),
            limit: backing.limiter(limit::identity(parts.requests_per_min)),
            new_users: backing.limiter(limit::new_users(parts.new_users_per_min)),
            sessions: backing.cache(
                &format!("c{campaign}:session"),
                parts.cache_ttl,
                MAX_CACHED_SESSIONS,
            ),
            lists: Arc::new(backing.cache(
                &format!("c{campaign}:list"),
                parts.cache_ttl,
                MAX_CACHED_LISTS,
            )),
            upstream: parts.upstream,
            store: parts.store,
            ttl: parts.ttl,
            cache_ttl: parts.cache_ttl,
            cursors: parts.cursors,
            budget: parts.budget,
            backing,
        }
    }

    /// Where caches and limits keep their state: for the session endpoint's and the webhook's
    /// own limits, and for `/healthz`.
    pub fn backing(&self) -> &Backing {
        &self.backing
    }

    /// Which mapping store is in use (`sqlite` or `postgres`).
    pub fn store_engine(&self) -> &'static str {
        self.store.engine()
    }

    /// Whether the mapping store answers now (for `/readyz`).
    ///
    /// # Errors
    /// The store's error when it cannot be queried.
    pub async fn store_reachable(&self) -> Result<(), crate::store::StoreError> {
        self.store.ping().await
    }

    /// Session lifetime.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// How the platform has treated us lately (for `/healthz`).
    pub fn upstream_health(&self) -> crate::upstream::Health {
        self.upstream.health()
    }

    /// The pause the upstream budget is under on every instance that shares it, if any.
    pub async fn budget_pause(&self) -> Option<crate::budget::Pause> {
        self.budget.pause().await
    }
}
