//! A time-limited cache where concurrent misses for one key share one fetch, and a failed
//! refresh can fall back to the last value (marked stale).
//!
//! Each key has an entry guarded by a fair (FIFO) async mutex: the first request for a key holds
//! it while fetching, later ones queue behind it and find the fresh value when they get their
//! turn. So N concurrent requests for one user cost one upstream fetch, and requests for
//! different users never wait for each other.
//!
//! Failures are remembered too, for as long as the [`Policy`] says: a "not now" (the budget is
//! spent, the platform asked us to slow down) for a few seconds, a refusal that will not change
//! by asking again (a validation error, an account that belongs to someone else) for a minute.
//! Requests in that time get the same error without calling upstream, so a user whose requests
//! always fail cannot spend the budget every other user shares.
//!
//! The entries live in a bounded map (moka, least recently used evicted first, idle entries
//! dropped), so neither a crawl over many identities nor a large user base makes a request do
//! more than constant work.
//!
//! # Layout
//! - this module: [`Cache`], the per-instance front (entries, queueing, the answers);
//! - [`fresh`]: the decisions, pure (fresh, cooling or expired; what a failed fetch answers);
//! - [`store`]: the [`CacheStore`] and [`Invalidation`] traits, and the store of one process.
//!
//! With several instances the store is Redis ([`crate::shared::RedisCacheStore`]): values, their
//! age and remembered failures live there, single-flight spans the instances through a lock with
//! a fencing token, and each instance's entry is a copy in front of it (one request per instance
//! asks Redis, a value is decoded only when it changed, a copy Redis confirmed is served for at
//! most [`LOCAL_FRESH`] without asking again, and stands in, marked stale, when Redis is down).

pub mod fresh;
pub mod store;

use std::fmt::Display;
use std::hash::Hash;
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use crate::seam::{BoxFuture, Unavailable};
use fresh::{Failed, Freshness, after_failure};
pub use store::{CacheStore, Cooling, Entry, InProcessStore, Invalidation, Lock};

/// How long an idle entry (and the stale value in it) is kept after its TTL, to fall back on.
pub const KEEP_STALE_FOR: Duration = Duration::from_secs(60 * 60);

/// How long a copy the shared store confirmed may be served without asking it again. An
/// invalidation (a webhook, a refresh on another instance) therefore reaches every instance
/// within this; and a user hammering one instance costs Redis one read per this.
pub const LOCAL_FRESH: Duration = Duration::from_millis(500);

/// How often a request waiting for another instance's fetch looks whether it has landed: short
/// next to a fetch (tens to hundreds of ms), long next to a Redis read (well under 1 ms).
const POLL_EVERY: Duration = Duration::from_millis(25);

/// What [`Cache::get_or_fetch`] returned.
#[derive(Debug)]
pub struct Hit<V> {
    /// The value.
    pub value: Arc<V>,
    /// When it was fetched.
    pub fetched_at: Instant,
    /// True when the fetch failed and this is the last value from before.
    pub stale: bool,
}

impl<V> Hit<V> {
    fn of((value, fetched_at): &(Arc<V>, Instant), stale: bool) -> Self {
        Self {
            value: value.clone(),
            fetched_at: *fetched_at,
            stale,
        }
    }
}

/// How a cache user wants failures treated.
pub trait Policy<E>: Send + Sync {
    /// Whether the last value may be served (stale) instead of this error.
    fn serve_stale(&self, error: &E) -> bool;
    /// How long requests for the same key should get this failure without fetching again.
    fn cool_down(&self, error: &E) -> Option<Duration>;
    /// The error for a request answered from a remembered `error` with `remaining` to go.
    fn cooling(&self, error: &E, remaining: Duration) -> E;
    /// The answer to the request whose fetch failed with `error`, now remembered for
    /// `cool_down`: by default the error itself.
    fn first_answer(&self, error: E, cool_down: Duration) -> E {
        let _ = cool_down;
        error
    }
    /// A remembered failure as text other instances can read back ([`Policy::decode`]); by
    /// default none, and the failure is not shared (the next instance fetches again).
    fn encode(&self, error: &E) -> Option<String> {
        let _ = error;
        None
    }
    /// A failure [`Policy::encode`] wrote.
    fn decode(&self, text: &str) -> Option<E> {
        let _ = text;
        None
    }
    /// The answer when the shared store cannot be reached and this instance has no value of
    /// its own to fall back on. By default none: the fetch runs (its own limits, such as a
    /// shared budget that refuses while Redis is down, decide) and its value is not shared.
    fn unavailable(&self, why: &Unavailable) -> Option<E> {
        let _ = why;
        None
    }
}

/// One key's entry, locked while a request works on it (the queue for that key).
type Locked<V, E> = Arc<tokio::sync::Mutex<Entry<V, E>>>;

/// The cache.
pub struct Cache<K, V, E> {
    copies: moka::sync::Cache<K, Locked<V, E>>,
    ttl: Duration,
    store: Arc<dyn CacheStore<V, E>>,
}

impl<K, V, E> Cache<K, V, E>
where
    K: Eq + Hash + Clone + Display + Send + Sync + 'static,
    V: Send + Sync + 'static,
    E: Clone + Send + Sync + 'static,
{
    /// A cache of this process: values are fresh for `ttl`; at most `capacity` keys are kept.
    pub fn new(ttl: Duration, capacity: u64) -> Self {
        Self::over(Arc::new(InProcessStore), ttl, capacity)
    }

    /// A cache whose entries live in `store` (see [`crate::backing::Backing::cache`]).
    pub fn over(store: Arc<dyn CacheStore<V, E>>, ttl: Duration, capacity: u64) -> Self {
        Self {
            copies: moka::sync::Cache::builder()
                .max_capacity(capacity)
                .time_to_idle(ttl + KEEP_STALE_FOR)
                .build(),
            ttl,
            store,
        }
    }

    /// The fresh value of `key`, else the result of `fetch` (run at most once at a time per
    /// key, across every instance the store serves). When `fetch` fails and the policy allows
    /// it, the last value is returned marked stale; when the policy asks for a cool-down,
    /// requests during it fail (or get the stale value) without fetching.
    ///
    /// # Errors
    /// `fetch`'s error, or the remembered one during its cool-down, when there is nothing to fall
    /// back on.
    pub async fn get_or_fetch<F>(
        &self,
        key: &K,
        fetch: F,
        policy: &dyn Policy<E>,
    ) -> Result<Hit<V>, E>
    where
        F: Future<Output = Result<V, E>> + Send,
    {
        let copy = self
            .copies
            .get_with_by_ref(key, || Arc::new(tokio::sync::Mutex::new(Entry::default())));
        let mut entry = copy.lock().await;
        let name = key.to_string();
        // Boxed: a session build is a large future, held across several awaits below (moving it
        // by value there overflowed a debug build's stack).
        let fetch: BoxFuture<'_, Result<V, E>> = Box::pin(fetch);
        Box::pin(self.answer(&name, &mut entry, fetch, policy)).await
    }

    /// [`Cache::get_or_fetch`] with `key`'s entry locked.
    async fn answer<'a>(
        &'a self,
        key: &'a str,
        entry: &'a mut Entry<V, E>,
        fetch: BoxFuture<'a, Result<V, E>>,
        policy: &'a dyn Policy<E>,
    ) -> Result<Hit<V>, E> {
        let lock = loop {
            if let Err(why) = self.store.refresh(key, entry, policy).await {
                return offline(entry, policy, &why, fetch).await;
            }
            match entry.freshness(self.ttl, Instant::now()) {
                Freshness::Fresh => {
                    if let Some(value) = &entry.value {
                        crate::telemetry::metrics::cache("hit");
                        return Ok(Hit::of(value, false));
                    }
                }
                Freshness::Cooling {
                    remaining,
                    stale_ok,
                } => {
                    if stale_ok && let Some(value) = &entry.value {
                        crate::telemetry::metrics::cache("stale");
                        return Ok(Hit::of(value, true));
                    }
                    if let Some(cooling) = &entry.cooling {
                        return Err(policy.cooling(&cooling.error, remaining));
                    }
                }
                Freshness::Expired => {}
            }
            match self.store.lock(key, entry).await {
                Ok(Lock::Taken(lock)) => break lock,
                Ok(Lock::Changed) => {}
                // Another instance (or a request of this one that gave up) is fetching: look
                // again shortly, never longer than its lease.
                Ok(Lock::Held(left)) => tokio::time::sleep(left.min(POLL_EVERY)).await,
                Err(why) => return offline(entry, policy, &why, fetch).await,
            }
        };
        crate::telemetry::metrics::cache("miss");
        match self.store.hold(key, lock, fetch).await {
            Ok(value) => {
                let value = Arc::new(value);
                let fetched_at = Instant::now();
                self.store
                    .store_value(key, lock, value.clone(), fetched_at, entry)
                    .await;
                Ok(Hit {
                    value,
                    fetched_at,
                    stale: false,
                })
            }
            Err(error) => {
                let stale_ok = policy.serve_stale(&error);
                let cool_down = policy.cool_down(&error);
                entry.cooling = cool_down.map(|remember| Cooling {
                    until: Instant::now() + remember,
                    stale_ok,
                    error: error.clone(),
                });
                // Not written when the store cannot be reached or a later write is there:
                // either way the answer below stands for this request.
                self.store.store_failure(key, lock, entry, policy).await;
                match (
                    after_failure(entry.value.is_some(), stale_ok, cool_down),
                    &entry.value,
                ) {
                    (Failed::Stale, Some(value)) => {
                        Ok(crate::telemetry::metrics::stale(Hit::of(value, true)))
                    }
                    (Failed::Remembered(remember), _) => Err(policy.first_answer(error, remember)),
                    _ => Err(error),
                }
            }
        }
    }

    /// Drops `key`'s value and any remembered failure: the next request fetches anew, on every
    /// instance the store serves (each within [`LOCAL_FRESH`]), and a fetch already in flight
    /// cannot store what it read before.
    ///
    /// # Errors
    /// [`Unavailable`] when the store cannot be told (this instance's copy is dropped all the
    /// same).
    pub async fn invalidate(&self, key: &K) -> Result<(), Unavailable> {
        self.copies.invalidate(key);
        self.store.invalidate(&key.to_string()).await
    }

    /// Keys currently held (approximate: evictions are applied in batches).
    pub fn len(&self) -> u64 {
        self.copies.entry_count()
    }

    /// Whether no key is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The answer when the store cannot be reached: this instance's copy, stale; else the policy's
/// error; else what `fetch` gives (not shared).
async fn offline<V, E>(
    entry: &Entry<V, E>,
    policy: &dyn Policy<E>,
    why: &Unavailable,
    fetch: BoxFuture<'_, Result<V, E>>,
) -> Result<Hit<V>, E> {
    if let Some(value) = &entry.value {
        return Ok(crate::telemetry::metrics::stale(Hit::of(value, true)));
    }
    if let Some(error) = policy.unavailable(why) {
        return Err(error);
    }
    Ok(Hit {
        value: Arc::new(fetch.await?),
        fetched_at: Instant::now(),
        stale: false,
    })
}

#[cfg(test)]
mod tests;
