//! Request limits on the endpoint.
//!
//! - [`IdentityLimit`]: per identity. The cache already protects the platform from a user who
//!   reloads a lot; this protects the server's own time (token checks, cache lookups, page
//!   assembly) from one identity flooding it.
//! - [`AddressLimit`]: requests that prove no identity, per client address, so guessing tokens
//!   or flooding with garbage is slowed down before it costs anything.
//! - [`NewUserLimit`]: identities seen for the first time, across everyone: their search and
//!   create calls cannot take the budget returning users need for their refreshes.
//!
//! A token bucket (governor's GCRA) is the right shape for all three: short bursts, such as
//! paging quickly through "Show more" or a few users signing up at once, are fine; a sustained
//! flood is not.
//!
//! With several instances each limit is shared through Redis ([`crate::shared::gcra`], the same
//! algorithm as a script): `admit` asks Redis, and falls back to this instance's own limiter when
//! Redis cannot be reached (the limits protect this server's time; the upstream budget, which
//! protects the platform, refuses instead).

use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use std::net::IpAddr;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultDirectRateLimiter, DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::personal::digest;
use crate::shared::Shared;
use crate::shared::gcra::Gcra;

/// Asks `shared` for one cell of `key`; `None` when Redis cannot decide.
async fn shared_check(shared: Option<&Gcra>, key: &str) -> Option<Result<(), Duration>> {
    shared?.take(key, 1).await.ok()
}

/// How many checks between sweeps of identities that have been idle long enough to be full.
const SWEEP_EVERY: u32 = 10_000;

/// Requests per identity and minute, with a burst of half that.
pub struct IdentityLimit {
    limiter: DefaultKeyedRateLimiter<String>,
    clock: DefaultClock,
    checks: AtomicU32,
    per_minute: u32,
    shared: Option<Gcra>,
}

impl IdentityLimit {
    /// `per_minute` requests per identity (at least 1), bursts of up to half as many.
    pub fn per_minute(per_minute: u32) -> Self {
        let rate = NonZeroU32::new(per_minute.max(1)).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new((per_minute / 2).max(1)).unwrap_or(NonZeroU32::MIN);
        Self {
            limiter: RateLimiter::keyed(Quota::per_minute(rate).allow_burst(burst)),
            clock: DefaultClock::default(),
            checks: AtomicU32::new(0),
            per_minute: rate.get(),
            shared: None,
        }
    }

    /// Counts requests across every instance that shares `shared`.
    #[must_use]
    pub fn with_shared(mut self, shared: Shared) -> Self {
        let burst = (self.per_minute / 2).max(1);
        self.shared = Some(Gcra::new(shared, "identity", self.per_minute, burst));
        self
    }

    /// [`IdentityLimit::check`], across every instance when shared.
    ///
    /// # Errors
    /// The wait, when this identity is over its limit.
    pub async fn admit(&self, identity: &str) -> Result<(), Duration> {
        match shared_check(self.shared.as_ref(), &digest(identity)).await {
            Some(decided) => decided,
            None => self.check(identity),
        }
    }

    /// Admits one request for `identity`, or says how long until one would be admitted.
    ///
    /// # Errors
    /// The wait, when this identity is over its limit.
    pub fn check(&self, identity: &str) -> Result<(), Duration> {
        if self.checks.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1 {
            self.limiter.retain_recent();
        }
        self.limiter
            .check_key(&identity.to_owned())
            .map_err(|not_until| not_until.wait_time_from(self.clock.now()))
    }
}

/// Unauthenticated requests per client address and minute (a page that lost its session makes
/// a few; a flood makes thousands).
pub const UNAUTHENTICATED_PER_MIN: u32 = 30;

/// Requests that prove no identity, per client address.
pub struct AddressLimit {
    limiter: DefaultKeyedRateLimiter<IpAddr>,
    clock: DefaultClock,
    checks: AtomicU32,
    per_minute: u32,
    shared: Option<Gcra>,
}

impl AddressLimit {
    /// `per_minute` per address, all of them at once at most.
    pub fn per_minute(per_minute: u32) -> Self {
        let rate = NonZeroU32::new(per_minute.max(1)).unwrap_or(NonZeroU32::MIN);
        Self {
            limiter: RateLimiter::keyed(Quota::per_minute(rate)),
            clock: DefaultClock::default(),
            checks: AtomicU32::new(0),
            per_minute: rate.get(),
            shared: None,
        }
    }

    /// Counts requests across every instance that shares `shared`.
    #[must_use]
    pub fn with_shared(self, shared: Shared) -> Self {
        self.with_shared_as(shared, "address")
    }

    /// [`AddressLimit::with_shared`] under a name of its own, for a second limit per address
    /// (the webhook's) that must not share the first one's counts.
    #[must_use]
    pub fn with_shared_as(mut self, shared: Shared, name: &str) -> Self {
        self.shared = Some(Gcra::new(shared, name, self.per_minute, self.per_minute));
        self
    }

    /// [`AddressLimit::check`], across every instance when shared.
    ///
    /// # Errors
    /// The wait, when the address is over its limit.
    pub async fn admit(&self, address: IpAddr) -> Result<(), Duration> {
        match shared_check(self.shared.as_ref(), &address.to_string()).await {
            Some(decided) => decided,
            None => self.check(address),
        }
    }

    /// Counts one unauthenticated request from `address`.
    ///
    /// # Errors
    /// The wait, when the address is over its limit.
    pub fn check(&self, address: IpAddr) -> Result<(), Duration> {
        if self.checks.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1 {
            self.limiter.retain_recent();
        }
        self.limiter
            .check_key(&address)
            .map_err(|not_until| not_until.wait_time_from(self.clock.now()))
    }
}

/// Identities seen for the first time, across all users.
pub struct NewUserLimit {
    limiter: DefaultDirectRateLimiter,
    clock: DefaultClock,
    per_minute: u32,
    shared: Option<Gcra>,
}

impl NewUserLimit {
    /// `per_minute` new identities a minute, as many at once.
    pub fn per_minute(per_minute: u32) -> Self {
        let rate = NonZeroU32::new(per_minute.max(1)).unwrap_or(NonZeroU32::MIN);
        Self {
            limiter: RateLimiter::direct(Quota::per_minute(rate)),
            clock: DefaultClock::default(),
            per_minute: rate.get(),
            shared: None,
        }
    }

    /// Counts new identities across every instance that shares `shared`.
    #[must_use]
    pub fn with_shared(mut self, shared: Shared) -> Self {
        self.shared = Some(Gcra::new(
            shared,
            "new-users",
            self.per_minute,
            self.per_minute,
        ));
        self
    }

    /// [`NewUserLimit::check`], across every instance when shared.
    ///
    /// # Errors
    /// The wait, when the rate is spent.
    pub async fn admit(&self) -> Result<(), Duration> {
        match shared_check(self.shared.as_ref(), "all").await {
            Some(decided) => decided,
            None => self.check(),
        }
    }

    /// Admits one new identity.
    ///
    /// # Errors
    /// The wait, when the rate is spent.
    pub fn check(&self) -> Result<(), Duration> {
        self.limiter
            .check()
            .map_err(|not_until| not_until.wait_time_from(self.clock.now()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_passes_then_the_identity_waits_while_others_do_not() {
        let limit = IdentityLimit::per_minute(60);
        for _ in 0..30 {
            limit.check("ada").unwrap();
        }
        let wait = limit.check("ada").unwrap_err();
        assert!(
            wait > Duration::ZERO && wait <= Duration::from_secs(1),
            "{wait:?}"
        );
        limit.check("grace").unwrap();
    }

    #[test]
    fn unauthenticated_requests_are_limited_per_address() {
        let limit = AddressLimit::per_minute(3);
        let (a, b): (IpAddr, IpAddr) = ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        for _ in 0..3 {
            limit.check(a).unwrap();
        }
        assert!(limit.check(a).is_err());
        limit.check(b).unwrap();
    }

    #[test]
    fn new_identities_share_one_rate() {
        let limit = NewUserLimit::per_minute(2);
        limit.check().unwrap();
        limit.check().unwrap();
        let wait = limit.check().unwrap_err();
        assert!(
            wait > Duration::ZERO && wait <= Duration::from_secs(30),
            "{wait:?}"
        );
    }
}
