//! Cache entries in Redis ([`CacheStore`], [`Invalidation`]), with a single-flight lock that has
//! a fencing token.
//!
//! One file over the ~400 lines the server keeps to (issue 22), on purpose: the entry's layout,
//! its lock and its fence are one protocol, and its Lua scripts and their callers are read
//! together.
//!
//! An entry is a hash: the value (JSON) with the Redis time it was stored at, the fence of the
//! write that stored it, and a remembered failure (until when, whether the old value may stand
//! in, the error as text). It lives for the TTL plus an hour, for the stale fallback.
//!
//! Single-flight across instances: whoever finds the entry missing or old takes the entry's lock,
//! `SET NX` with a short lease and a fencing token from one ever-increasing counter. Everyone
//! else waits for the entry to change. The holder renews the lease while it fetches, so a holder
//! that crashed blocks the others for at most one lease. A write is accepted only with a fence
//! above the entry's, so a holder whose lease ran out (paused, partitioned) cannot overwrite what
//! a later holder stored, and an invalidation (which takes a fence of its own) turns away values
//! fetched before it.

use std::sync::Arc;
use std::time::Duration;

use redis::Script;
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::time::Instant;

use super::scripts::{INVALIDATE, LOCK, READ, RENEW, STORE};
use super::{Redis, keys};
use crate::cache::fresh::Freshness;
use crate::cache::{
    CacheStore, Cooling, Entry, Invalidation, KEEP_STALE_FOR, LOCAL_FRESH, Lock, Policy,
};
use crate::seam::{BoxFuture, Unavailable};

/// The lease of a single-flight lock: a holder that crashed blocks the others at most this
/// long. The holder renews it every second while it fetches.
pub const LEASE: Duration = Duration::from_secs(3);

/// How often a holder renews its lease: three renewals fit in one, so one slow renewal (Redis
/// busy for a moment) does not lose the lock.
const RENEW_EVERY: Duration = Duration::from_secs(1);

/// An entry as Redis holds it, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    /// The fence of the last write (value, failure or invalidation); 0 when none.
    pub fence: u64,
    /// The fence of the write that stored the value; 0 when there is no value.
    pub value_fence: u64,
    /// The value, when it differs from the one the caller holds.
    pub value: Option<Vec<u8>>,
    /// How old the value is.
    pub age: Duration,
    /// A remembered failure still standing.
    pub cooling: Option<StoredFailure>,
    /// Whether someone holds the lock.
    pub locked: bool,
}

/// A remembered failure, as Redis holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFailure {
    /// How long it still stands.
    pub remaining: Duration,
    /// Whether the last value may be served instead.
    pub stale_ok: bool,
    /// The error, as the cache's policy wrote it.
    pub error: String,
}

struct Scripts {
    read: Script,
    lock: Script,
    renew: Script,
    store: Script,
    invalidate: Script,
}

/// One cache's entries in Redis (one cache name, see [`keys`]).
#[derive(Clone)]
pub struct RedisCacheStore {
    redis: Redis,
    name: String,
    ttl: Duration,
    scripts: Arc<Scripts>,
}

impl std::fmt::Debug for RedisCacheStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisCacheStore")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis())
        .unwrap_or(u64::MAX)
        .max(1)
}

fn from_millis(ms: i64) -> Duration {
    Duration::from_millis(ms.max(0).unsigned_abs())
}

impl RedisCacheStore {
    /// The entries of the cache called `name` (e.g. `c1:session`), whose values are fresh for
    /// `ttl` (entries are kept an hour longer, for the stale fallback).
    pub fn new(redis: Redis, name: &str, ttl: Duration) -> Self {
        Self {
            redis,
            name: name.to_owned(),
            ttl,
            scripts: Arc::new(Scripts {
                read: Script::new(READ),
                lock: Script::new(LOCK),
                renew: Script::new(RENEW),
                store: Script::new(STORE),
                invalidate: Script::new(INVALIDATE),
            }),
        }
    }

    /// How long an entry is kept after a write.
    fn keep(&self) -> Duration {
        self.ttl + KEEP_STALE_FOR
    }

    fn keys(&self, key: &str) -> (String, String) {
        let entry = keys::cache_entry(&self.name, key);
        let lock = keys::cache_lock(&entry);
        (entry, lock)
    }

    /// Reads `key`'s entry; the value is sent only when its fence is not `known`.
    ///
    /// # Errors
    /// [`Unavailable`] when Redis cannot be read.
    pub async fn read(&self, key: &str, known: u64) -> Result<Stored, Unavailable> {
        let (entry, lock) = self.keys(key);
        let mut invocation = self.scripts.read.prepare_invoke();
        invocation.key(entry).key(lock).arg(known);
        type Answer = (i64, i64, i64, i64, i64, i64, String, Vec<u8>, i64);
        let (now, fence, value_fence, at, cool_until, stale_ok, error, value, lease): Answer =
            self.redis.run(&invocation).await?;
        Ok(Stored {
            fence: fence.max(0).unsigned_abs(),
            value_fence: value_fence.max(0).unsigned_abs(),
            value: (!value.is_empty()).then_some(value),
            age: from_millis(now - at),
            cooling: (cool_until > now).then(|| StoredFailure {
                remaining: from_millis(cool_until - now),
                stale_ok: stale_ok == 1,
                error,
            }),
            locked: lease > 0,
        })
    }

    /// Takes `key`'s lock for `lease`, unless someone holds it or the entry moved past `seen`.
    ///
    /// # Errors
    /// [`Unavailable`] when Redis cannot decide.
    pub async fn take_lock(
        &self,
        key: &str,
        seen: u64,
        lease: Duration,
    ) -> Result<Lock, Unavailable> {
        let (entry, lock) = self.keys(key);
        let mut invocation = self.scripts.lock.prepare_invoke();
        invocation
            .key(lock)
            .key(keys::FENCE)
            .key(entry)
            .arg(millis(lease))
            .arg(seen);
        let answer: (i64, i64) = self.redis.run(&invocation).await?;
        Ok(match answer {
            (1, fence) => Lock::Taken(fence.max(0).unsigned_abs()),
            (0, left) => Lock::Held(from_millis(left)),
            _ => Lock::Changed,
        })
    }

    /// Extends the lease of `fence` on `key`'s lock; false when it is no longer held.
    ///
    /// # Errors
    /// [`Unavailable`] when Redis cannot be reached.
    pub async fn renew(&self, key: &str, fence: u64, lease: Duration) -> Result<bool, Unavailable> {
        let (_, lock) = self.keys(key);
        let mut invocation = self.scripts.renew.prepare_invoke();
        invocation.key(lock).arg(fence).arg(millis(lease));
        Ok(self.redis.run::<i64>(&invocation).await? == 1)
    }

    /// Stores `value` under `fence` (unless a later write is there), and releases the lock;
    /// true when written.
    ///
    /// # Errors
    /// [`Unavailable`] when Redis cannot be reached.
    pub async fn write_value(
        &self,
        key: &str,
        fence: u64,
        value: &[u8],
    ) -> Result<bool, Unavailable> {
        let (entry, lock) = self.keys(key);
        let mut invocation = self.scripts.store.prepare_invoke();
        invocation
            .key(entry)
            .key(lock)
            .arg(fence)
            .arg(millis(self.keep()))
            .arg("v")
            .arg(value);
        Ok(self.redis.run::<i64>(&invocation).await? == 1)
    }

    /// Remembers a failure under `fence` for `cool_down` (`error` as the policy wrote it), and
    /// releases the lock; with no failure to remember, only releases it.
    ///
    /// # Errors
    /// [`Unavailable`] when Redis cannot be reached.
    pub async fn write_failure(
        &self,
        key: &str,
        fence: u64,
        failure: Option<(Duration, bool, String)>,
    ) -> Result<bool, Unavailable> {
        let Some((cool_down, stale_ok, error)) = failure else {
            self.release(key, fence).await?;
            return Ok(false);
        };
        let (entry, lock) = self.keys(key);
        let mut invocation = self.scripts.store.prepare_invoke();
        invocation
            .key(entry)
            .key(lock)
            .arg(fence)
            .arg(millis(self.keep()))
            .arg("f")
            .arg(millis(cool_down))
            .arg(u8::from(stale_ok))
            .arg(error);
        Ok(self.redis.run::<i64>(&invocation).await? == 1)
    }

    /// Releases `fence`'s lock on `key` (if still held).
    async fn release(&self, key: &str, fence: u64) -> Result<(), Unavailable> {
        let (_, lock) = self.keys(key);
        // A renewal to a 1 ms lease: gone at once, and only if still ours.
        let mut invocation = self.scripts.renew.prepare_invoke();
        invocation.key(lock).arg(fence).arg(1);
        self.redis.run::<i64>(&invocation).await.map(drop)
    }

    /// Drops `key`'s value and failure for every instance, and turns away fetches in flight.
    async fn drop_entry(&self, key: &str) -> Result<(), Unavailable> {
        let (entry, _) = self.keys(key);
        let mut invocation = self.scripts.invalidate.prepare_invoke();
        invocation
            .key(entry)
            .key(keys::FENCE)
            .arg(millis(self.keep()));
        self.redis.run::<i64>(&invocation).await.map(drop)
    }

    /// [`CacheStore::refresh`].
    async fn refresh_entry<V: DeserializeOwned, E>(
        &self,
        key: &str,
        entry: &mut Entry<V, E>,
        policy: &dyn Policy<E>,
    ) -> Result<(), Unavailable> {
        let now = Instant::now();
        let confirmed = entry
            .confirmed
            .is_some_and(|at| now.saturating_duration_since(at) < LOCAL_FRESH);
        if confirmed && entry.freshness(self.ttl, now) == Freshness::Fresh {
            // Redis said so less than LOCAL_FRESH ago: no need to ask again.
            return Ok(());
        }
        let stored = self.read(key, entry.version).await?;
        let now = Instant::now();
        entry.confirmed = Some(now);
        entry.seen = stored.fence;
        let fetched_at = now.checked_sub(stored.age).unwrap_or(now);
        match (stored.value, stored.value_fence) {
            // Gone from Redis (invalidated, expired, or Redis restarted empty): the copy is no
            // longer fresh, but may still stand in (stale) if the fetch fails.
            (_, 0) => entry.version = 0,
            (Some(bytes), fence) => match serde_json::from_slice::<V>(&bytes) {
                Ok(value) => {
                    entry.value = Some((Arc::new(value), fetched_at));
                    entry.version = fence;
                }
                // Written by another version of this backend: fetch and overwrite it.
                Err(_) => (entry.value, entry.version) = (None, 0),
            },
            // Unchanged: the copy is the one in Redis, as old as Redis says.
            (None, _) => {
                if let Some((_, at)) = &mut entry.value {
                    *at = fetched_at;
                }
            }
        }
        entry.cooling = stored.cooling.and_then(|failure| {
            Some(Cooling {
                until: now + failure.remaining,
                stale_ok: failure.stale_ok,
                error: policy.decode(&failure.error)?,
            })
        });
        Ok(())
    }
}

impl Invalidation for RedisCacheStore {
    fn invalidate<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<(), Unavailable>> {
        Box::pin(self.drop_entry(key))
    }
}

impl<V, E> CacheStore<V, E> for RedisCacheStore
where
    V: Serialize + DeserializeOwned + Send + Sync + 'static,
    E: Send + Sync + 'static,
{
    fn refresh<'a>(
        &'a self,
        key: &'a str,
        entry: &'a mut Entry<V, E>,
        policy: &'a dyn Policy<E>,
    ) -> BoxFuture<'a, Result<(), Unavailable>> {
        Box::pin(self.refresh_entry(key, entry, policy))
    }

    fn lock<'a>(
        &'a self,
        key: &'a str,
        entry: &'a Entry<V, E>,
    ) -> BoxFuture<'a, Result<Lock, Unavailable>> {
        Box::pin(self.take_lock(key, entry.seen, LEASE))
    }

    /// Renews the lease every second while `fetch` runs (so the lock lasts as long as
    /// the fetch, and no longer than one lease past a crash).
    fn hold<'a>(
        &'a self,
        key: &'a str,
        lock: u64,
        fetch: BoxFuture<'a, Result<V, E>>,
    ) -> BoxFuture<'a, Result<V, E>> {
        Box::pin(async move {
            tokio::pin!(fetch);
            let mut renew = tokio::time::interval_at(Instant::now() + RENEW_EVERY, RENEW_EVERY);
            loop {
                tokio::select! {
                    done = &mut fetch => return done,
                    _ = renew.tick() => {
                        // Lost or unreachable: go on; the fence still keeps a late write out.
                        let _ = self.renew(key, lock, LEASE).await;
                    }
                }
            }
        })
    }

    fn store_value<'a>(
        &'a self,
        key: &'a str,
        lock: u64,
        value: Arc<V>,
        fetched_at: Instant,
        entry: &'a mut Entry<V, E>,
    ) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            let stored = match serde_json::to_vec(&*value) {
                Ok(bytes) => self.write_value(key, lock, &bytes).await,
                Err(_) => Ok(false),
            };
            entry.confirmed = None;
            if stored == Ok(true) {
                entry.value = Some((value, fetched_at));
                entry.version = lock;
                entry.cooling = None;
                entry.confirmed = Some(fetched_at);
            }
        })
    }

    fn store_failure<'a>(
        &'a self,
        key: &'a str,
        lock: u64,
        entry: &'a mut Entry<V, E>,
        policy: &'a dyn Policy<E>,
    ) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            let now = Instant::now();
            let failure = entry.cooling.as_ref().and_then(|cooling| {
                let text = policy.encode(&cooling.error)?;
                Some((
                    cooling.until.saturating_duration_since(now),
                    cooling.stale_ok,
                    text,
                ))
            });
            // Not written when Redis is down or a later write is there: the next request reads
            // what Redis holds.
            let _ = self.write_failure(key, lock, failure).await;
            entry.confirmed = None;
        })
    }
}
