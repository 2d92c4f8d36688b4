//! Where a limit's counts live: the [`LimitStore`] trait and its in-process implementation.

use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use governor::clock::Clock;
use governor::middleware::NoOpMiddleware;
use governor::state::keyed::DashMapStateStore;
use governor::{Quota, RateLimiter};

use super::Limit;
use crate::seam::{BoxFuture, Unavailable};

/// The counts of one [`Limit`], per key.
pub trait LimitStore: Send + Sync {
    /// Takes `n` cells of `key`'s allowance, all or none: `Ok(Ok(()))` when taken, `Ok(Err(wait))`
    /// when not there yet (`Duration::MAX` when more than the burst).
    ///
    /// # Errors
    /// [`Unavailable`] when the store cannot decide.
    fn take<'a>(
        &'a self,
        key: &'a str,
        n: u32,
    ) -> BoxFuture<'a, Result<Result<(), Duration>, Unavailable>>;
}

/// How many checks between sweeps of keys idle long enough to be full again (so a crawl over
/// many identities or addresses does not grow the map for ever).
const SWEEP_EVERY: u32 = 10_000;

/// A limit's counts in this process: governor's keyed GCRA, on tokio's clock (so tests can
/// pause and advance it; in production it is the monotonic clock).
pub struct InProcessLimits {
    limiter: RateLimiter<String, DashMapStateStore<String>, TokioClock, NoOpMiddleware<Duration>>,
    clock: TokioClock,
    checks: AtomicU32,
}

impl InProcessLimits {
    /// Counts for `limit`.
    pub fn new(limit: Limit) -> Self {
        let rate = NonZeroU32::new(limit.per_minute.max(1)).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(limit.burst.max(1)).unwrap_or(NonZeroU32::MIN);
        let clock = TokioClock::new();
        Self {
            limiter: RateLimiter::dashmap_with_clock(
                Quota::per_minute(rate).allow_burst(burst),
                clock.clone(),
            ),
            clock,
            checks: AtomicU32::new(0),
        }
    }

    /// [`LimitStore::take`], at once (it never waits and never fails).
    ///
    /// # Errors
    /// The wait, when the cells are not there yet.
    pub fn take_now(&self, key: &str, n: u32) -> Result<(), Duration> {
        if self.checks.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1 {
            self.limiter.retain_recent();
        }
        let n = NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN);
        match self.limiter.check_key_n(&key.to_owned(), n) {
            Ok(Ok(())) => Ok(()),
            Ok(Err(not_until)) => Err(not_until.wait_time_from(self.clock.now())),
            Err(_) => Err(Duration::MAX),
        }
    }
}

impl LimitStore for InProcessLimits {
    fn take<'a>(
        &'a self,
        key: &'a str,
        n: u32,
    ) -> BoxFuture<'a, Result<Result<(), Duration>, Unavailable>> {
        let decided = self.take_now(key, n);
        Box::pin(async move { Ok(decided) })
    }
}

/// Tokio's clock for governor: the time since the limiter was made.
#[derive(Debug, Clone)]
struct TokioClock {
    origin: tokio::time::Instant,
}

impl TokioClock {
    fn new() -> Self {
        Self {
            origin: tokio::time::Instant::now(),
        }
    }
}

impl Clock for TokioClock {
    type Instant = Duration;

    fn now(&self) -> Duration {
        self.origin.elapsed()
    }
}
