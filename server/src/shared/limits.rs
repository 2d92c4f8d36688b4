//! Rate limits shared by every instance ([`LimitStore`]): GCRA (the algorithm governor uses in
//! process) as one Lua script, so a limit of 60 a minute is 60 a minute across the deployment.
//!
//! A key stores its theoretical arrival time (TAT, Redis milliseconds). Taking `n` cells moves it
//! `n` emission intervals on; that is allowed when the new TAT is at most `burst` intervals ahead
//! of now. The key expires when it would be full again, so idle identities cost no memory.

use std::sync::Arc;
use std::time::Duration;

use redis::Script;

use super::scripts::TAKE;
use super::{Redis, keys};
use crate::limit::{Limit, LimitStore};
use crate::seam::{BoxFuture, Unavailable};

/// A [`Limit`]'s counts in Redis, shared by every instance.
#[derive(Clone)]
pub struct RedisLimits {
    redis: Redis,
    script: Arc<Script>,
    name: &'static str,
    interval_ms: f64,
    burst: u32,
}

impl std::fmt::Debug for RedisLimits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisLimits")
            .field("name", &self.name)
            .field("burst", &self.burst)
            .finish_non_exhaustive()
    }
}

impl RedisLimits {
    /// The counts of `limit`, under its name ([`keys::limit`]).
    pub fn new(redis: Redis, limit: Limit) -> Self {
        Self {
            redis,
            script: Arc::new(Script::new(TAKE)),
            name: limit.name,
            interval_ms: 60_000.0 / f64::from(limit.per_minute.max(1)),
            burst: limit.burst.max(1),
        }
    }
}

impl LimitStore for RedisLimits {
    fn take<'a>(
        &'a self,
        key: &'a str,
        n: u32,
    ) -> BoxFuture<'a, Result<Result<(), Duration>, Unavailable>> {
        Box::pin(async move {
            let mut invocation = self.script.prepare_invoke();
            invocation
                .key(keys::limit(self.name, key))
                .arg(self.interval_ms)
                .arg(self.burst)
                .arg(n);
            let answer: i64 = self.redis.run(&invocation).await?;
            Ok(match answer {
                0 => Ok(()),
                wait if wait > 0 => Err(Duration::from_millis(wait.unsigned_abs())),
                _ => Err(Duration::MAX),
            })
        })
    }
}
