//! The one choice between one process and several instances, made where the application is
//! built ([`crate::app`]): a [`Backing`] makes every shared facility's store, and the code that
//! uses a facility never asks which backing it has.
//!
//! | facility | trait | in this process | in Redis |
//! |---|---|---|---|
//! | the budget's sliding log of calls | [`CallLog`] | [`InProcessLog`] | [`RedisCallLog`] |
//! | keyed rate limits | [`LimitStore`] | [`InProcessLimits`] | [`RedisLimits`] |
//! | cache entries | [`CacheStore`] | [`InProcessStore`] | [`RedisCacheStore`] |
//! | invalidation | [`crate::cache::Invalidation`] | [`InProcessStore`] | [`RedisCacheStore`] |
//!
//! `server/tests/integration/backing_contract.rs` runs one contract per trait against both.

use std::fmt::Display;
use std::hash::Hash;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::budget::{CallLog, InProcessLog, Window};
use crate::cache::{Cache, CacheStore, InProcessStore};
use crate::limit::{InProcessLimits, Limit, LimitStore, Limiter};
use crate::seam::Unavailable;
use crate::shared::{Redis, RedisCacheStore, RedisCallLog, RedisLimits};

/// Where the shared facilities keep their state (cheap to clone).
#[derive(Debug, Clone, Default)]
pub enum Backing {
    /// In this process: one instance, nothing to share.
    #[default]
    InProcess,
    /// In Redis, shared by every instance that uses it (`DASHBOARD_REDIS_URL`).
    Redis(Redis),
}

impl Backing {
    /// Redis at `url` when there is one (checked to answer), else this process.
    ///
    /// # Errors
    /// [`Unavailable`] when Redis cannot be reached at start.
    pub async fn connect(url: Option<&str>) -> Result<Self, Unavailable> {
        Ok(match url {
            Some(url) => {
                let redis = Redis::connect(url).await?;
                // A new Redis is not a lost budget log (see `shared::call_log`).
                crate::shared::call_log::mark(&redis).await?;
                Self::Redis(redis)
            }
            None => Self::InProcess,
        })
    }

    /// The budget's log of calls for `window`.
    pub fn call_log(&self, window: Window) -> Arc<dyn CallLog> {
        match self {
            Self::InProcess => Arc::new(InProcessLog::new(window)),
            Self::Redis(redis) => Arc::new(RedisCallLog::new(redis.clone(), &window)),
        }
    }

    /// A limiter for `limit`.
    pub fn limiter(&self, limit: Limit) -> Limiter {
        let store: Arc<dyn LimitStore> = match self {
            Self::InProcess => Arc::new(InProcessLimits::new(limit)),
            Self::Redis(redis) => Arc::new(RedisLimits::new(redis.clone(), limit)),
        };
        Limiter::over(limit, store)
    }

    /// The cache called `name` (see [`crate::shared::keys`]): values fresh for `ttl`, at most
    /// `capacity` keys held by this instance.
    pub fn cache<K, V, E>(&self, name: &str, ttl: Duration, capacity: u64) -> Cache<K, V, E>
    where
        K: Eq + Hash + Clone + Display + Send + Sync + 'static,
        V: Serialize + DeserializeOwned + Send + Sync + 'static,
        E: Clone + Send + Sync + 'static,
    {
        Cache::over(self.cache_store(name, ttl), ttl, capacity)
    }

    /// The entries of the cache called `name`, whose values are fresh for `ttl`.
    fn cache_store<V, E>(&self, name: &str, ttl: Duration) -> Arc<dyn CacheStore<V, E>>
    where
        V: Serialize + DeserializeOwned + Send + Sync + 'static,
        E: Send + Sync + 'static,
    {
        match self {
            Self::InProcess => Arc::new(InProcessStore),
            Self::Redis(redis) => Arc::new(RedisCacheStore::new(redis.clone(), name, ttl)),
        }
    }

    /// What a health check reports: `None` when every facility is in this process (nothing to
    /// reach), else whether Redis answers now (asked each time, so a recovery is seen too).
    pub async fn check(&self) -> Option<Result<(), Unavailable>> {
        match self {
            Self::InProcess => None,
            Self::Redis(redis) => Some(redis.ping().await),
        }
    }
}
