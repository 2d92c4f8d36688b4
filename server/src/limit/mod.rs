//! Keyed rate limits: one [`Limiter`] type for every limit the server keeps.
//!
//! - **per identity** ([`identity`]): the cache already protects the platform from a user who
//!   reloads a lot; this protects the server's own time (token checks, cache lookups, page
//!   assembly) from one identity flooding it;
//! - **per address, for requests that prove no identity** ([`unauthenticated`]): guessing tokens
//!   or flooding with garbage is slowed down before it costs anything;
//! - **new identities, across everyone** ([`new_users`]): their search and create calls cannot
//!   take the budget returning users need for their refreshes;
//! - **each subject's share of the upstream budget** ([`crate::budget::allowance`]);
//! - **webhook calls per address** ([`crate::webhook::calls`]).
//!
//! A token bucket (GCRA, the algorithm governor uses) is the right shape for all of them: short
//! bursts, such as paging quickly through "Show more" or a few users signing up at once, are
//! fine; a sustained flood is not. A [`Limit`] says what differs: its name, rate, burst, and what
//! to do when its backing cannot be reached ([`WhenUnavailable`]). Where the counts live is the
//! [`LimitStore`]'s business: this process ([`InProcessLimits`]) or Redis, shared by every
//! instance ([`crate::shared::RedisLimits`]).

mod store;

use std::sync::Arc;
use std::time::Duration;

pub use store::{InProcessLimits, LimitStore};

/// One limit: what it is called, how fast cells come back, how many may be taken at once, and
/// what to do when its backing is unavailable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    /// Its name, in logs and in its Redis keys (see [`crate::shared::keys`]).
    pub name: &'static str,
    /// Cells that come back a minute (at least 1).
    pub per_minute: u32,
    /// The most cells that can be taken at once (at least 1).
    pub burst: u32,
    /// What a check does when the backing cannot say.
    pub when_unavailable: WhenUnavailable,
}

/// What a [`Limiter`] does when its backing (Redis) cannot be reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WhenUnavailable {
    /// Count on this instance alone: for limits that protect this server's own time, which it
    /// can still protect by itself.
    CountHere,
    /// Refuse: for limits that protect the platform, where an instance cannot know what the
    /// others have spent.
    Refuse,
}

/// Requests per identity and minute, with a burst of half that.
pub fn identity(per_minute: u32) -> Limit {
    Limit {
        name: "identity",
        per_minute,
        burst: (per_minute / 2).max(1),
        when_unavailable: WhenUnavailable::CountHere,
    }
}

/// Unauthenticated requests per client address and minute (a page that lost its session makes
/// a few; a flood makes thousands).
pub const UNAUTHENTICATED_PER_MIN: u32 = 30;

/// Requests that prove no identity, per client address: [`UNAUTHENTICATED_PER_MIN`], all of them
/// at once at most.
pub fn unauthenticated() -> Limit {
    Limit {
        name: "address",
        per_minute: UNAUTHENTICATED_PER_MIN,
        burst: UNAUTHENTICATED_PER_MIN,
        when_unavailable: WhenUnavailable::CountHere,
    }
}

/// Identities seen for the first time, across all users (one key), as many at once as a minute
/// allows.
pub fn new_users(per_minute: u32) -> Limit {
    Limit {
        name: "new-users",
        per_minute,
        burst: per_minute,
        when_unavailable: WhenUnavailable::CountHere,
    }
}

/// The one key of a limit that counts everyone together ([`new_users`]).
pub const EVERYONE: &str = "all";

/// Why a [`Limiter`] said no.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denied {
    /// The cells are not there yet: wait this long (`Duration::MAX` when they can never be
    /// taken at once, being more than the burst).
    Wait(Duration),
    /// The backing could not be asked, and the limit refuses then ([`WhenUnavailable::Refuse`]).
    Unavailable,
}

/// A [`Limit`] kept by a [`LimitStore`].
pub struct Limiter {
    limit: Limit,
    store: Arc<dyn LimitStore>,
    /// This instance's own counts, for [`WhenUnavailable::CountHere`] while the store cannot be
    /// asked (empty, and unused, while it can).
    here: Option<InProcessLimits>,
}

impl std::fmt::Debug for Limiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Limiter")
            .field("limit", &self.limit)
            .finish_non_exhaustive()
    }
}

impl Limiter {
    /// `limit` counted in this process.
    pub fn new(limit: Limit) -> Self {
        Self::over(limit, Arc::new(InProcessLimits::new(limit)))
    }

    /// `limit` counted by `store` (made for this limit: see [`crate::backing::Backing::limiter`]).
    pub fn over(limit: Limit, store: Arc<dyn LimitStore>) -> Self {
        let here = (limit.when_unavailable == WhenUnavailable::CountHere)
            .then(|| InProcessLimits::new(limit));
        Self { limit, store, here }
    }

    /// The limit kept.
    pub fn limit(&self) -> Limit {
        self.limit
    }

    /// Admits one request for `key`.
    ///
    /// # Errors
    /// [`Denied`] when `key` is over the limit, or the backing cannot say and the limit refuses.
    pub async fn admit(&self, key: &str) -> Result<(), Denied> {
        self.take(key, 1).await
    }

    /// Takes `n` cells from `key`'s allowance, all or none.
    ///
    /// # Errors
    /// [`Denied`] when they are not there, or the backing cannot say and the limit refuses.
    pub async fn take(&self, key: &str, n: u32) -> Result<(), Denied> {
        let decided = match self.store.take(key, n).await {
            Ok(decided) => decided,
            Err(_) => match &self.here {
                Some(here) => here.take_now(key, n),
                None => return Err(Denied::Unavailable),
            },
        };
        decided.map_err(Denied::Wait)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_burst_passes_then_the_identity_waits_while_others_do_not() {
        let limit = Limiter::new(identity(60));
        for _ in 0..30 {
            limit.admit("ada").await.unwrap();
        }
        let Err(Denied::Wait(wait)) = limit.admit("ada").await else {
            panic!("the 31st is refused")
        };
        assert!(
            wait > Duration::ZERO && wait <= Duration::from_secs(1),
            "{wait:?}"
        );
        limit.admit("grace").await.unwrap();
        // One cell comes back each second of (tokio's) time.
        tokio::time::advance(wait).await;
        limit.admit("ada").await.unwrap();
    }

    #[tokio::test(start_paused = true)]
    async fn unauthenticated_requests_are_limited_per_address() {
        let limit = Limiter::new(Limit {
            per_minute: 3,
            burst: 3,
            ..unauthenticated()
        });
        for _ in 0..3 {
            limit.admit("10.0.0.1").await.unwrap();
        }
        assert!(limit.admit("10.0.0.1").await.is_err());
        limit.admit("10.0.0.2").await.unwrap();
    }

    #[tokio::test(start_paused = true)]
    async fn new_identities_share_one_rate() {
        let limit = Limiter::new(new_users(2));
        limit.admit(EVERYONE).await.unwrap();
        limit.admit(EVERYONE).await.unwrap();
        let Err(Denied::Wait(wait)) = limit.admit(EVERYONE).await else {
            panic!("the third is refused")
        };
        assert!(
            wait > Duration::ZERO && wait <= Duration::from_secs(30),
            "{wait:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn more_than_the_burst_at_once_is_never_allowed() {
        let limit = Limiter::new(new_users(4));
        assert_eq!(limit.take("k", 5).await, Err(Denied::Wait(Duration::MAX)));
        limit.take("k", 4).await.unwrap();
    }
}
