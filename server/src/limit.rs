//! The per-identity request limit on the endpoint.
//!
//! The cache already protects the platform from a user who reloads a lot; this protects the
//! server's own time (token checks, cache lookups, page assembly) from one identity flooding
//! it. A token bucket per identity (governor's GCRA) is the right shape here: short bursts, such
//! as paging quickly through "Show more", are fine; a sustained flood is not.

use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// How many checks between sweeps of identities that have been idle long enough to be full.
const SWEEP_EVERY: u32 = 10_000;

/// Requests per identity and minute, with a burst of half that.
pub struct IdentityLimit {
    limiter: DefaultKeyedRateLimiter<String>,
    clock: DefaultClock,
    checks: AtomicU32,
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
}
