//! Where cache entries live: the [`CacheStore`] and [`Invalidation`] traits, the entry this
//! instance holds in front of the store, and the store of one process ([`InProcessStore`]).
//!
//! The store is where an entry lives for every instance; each instance keeps its own copy of
//! it (an [`Entry`]: the value decoded, a remembered failure) and queues its requests for a key
//! behind one. In one process the copy *is* the entry, and the store has nothing to add. With
//! Redis ([`crate::shared::RedisCacheStore`]) the store brings the copy up to date, holds the
//! single-flight lock across instances, keeps what a fetch wrote, and drops what an
//! invalidation names on every instance.

use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use super::Policy;
use super::fresh::{Freshness, freshness};
use crate::seam::{BoxFuture, Unavailable};

/// One key's entry as this instance holds it.
#[derive(Debug)]
pub struct Entry<V, E> {
    /// The value, and when it was fetched (on this instance's clock).
    pub(crate) value: Option<(Arc<V>, Instant)>,
    /// A remembered failure.
    pub(crate) cooling: Option<Cooling<E>>,
    /// The store's version of `value`: 0 when the store no longer holds it (invalidated,
    /// expired, or Redis restarted empty), though it may still stand in, stale.
    pub(crate) version: u64,
    /// The store's mark of the last write it had when this copy was refreshed (value, failure
    /// or invalidation): a lock is taken only while it is still that.
    pub(crate) seen: u64,
    /// When the store last confirmed this copy (none: ask it).
    pub(crate) confirmed: Option<Instant>,
}

impl<V, E> Default for Entry<V, E> {
    fn default() -> Self {
        Self {
            value: None,
            cooling: None,
            version: 0,
            seen: 0,
            confirmed: None,
        }
    }
}

impl<V, E> Entry<V, E> {
    /// What this copy is good for at `now` under `ttl` ([`freshness`]).
    pub fn freshness(&self, ttl: Duration, now: Instant) -> Freshness {
        freshness(
            self.value
                .as_ref()
                .map(|(_, fetched_at)| now.saturating_duration_since(*fetched_at)),
            self.version != 0,
            ttl,
            self.cooling
                .as_ref()
                .map(|c| (c.until.saturating_duration_since(now), c.stale_ok)),
        )
    }
}

/// A remembered failure.
#[derive(Debug, Clone)]
pub struct Cooling<E> {
    /// Until when it stands.
    pub until: Instant,
    /// Whether the last value may be served instead.
    pub stale_ok: bool,
    /// The failure.
    pub error: E,
}

/// What [`CacheStore::lock`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lock {
    /// The caller holds the key's single-flight lock, with this fence.
    Taken(u64),
    /// Someone else (another instance) does, for at most this long.
    Held(Duration),
    /// The entry changed since the caller's copy was refreshed: refresh again.
    Changed,
}

/// Dropping a key's entry wherever the store keeps it, so that every instance fetches anew
/// (each within [`super::LOCAL_FRESH`]), and a fetch already in flight cannot store what it
/// read before.
pub trait Invalidation: Send + Sync {
    /// Drops `key`'s value and remembered failure.
    ///
    /// # Errors
    /// [`Unavailable`] when the store cannot be told.
    fn invalidate<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<(), Unavailable>>;
}

/// The entries of one cache, for every instance that shares the store. Called by
/// [`super::Cache`] with the key's copy locked.
pub trait CacheStore<V, E>: Invalidation {
    /// Brings `entry` up to date with the store: its value (decoded only when it changed), its
    /// age, whether the store still holds it, and a remembered failure (read with `policy`).
    ///
    /// # Errors
    /// [`Unavailable`] when the store cannot be read.
    fn refresh<'a>(
        &'a self,
        key: &'a str,
        entry: &'a mut Entry<V, E>,
        policy: &'a dyn Policy<E>,
    ) -> BoxFuture<'a, Result<(), Unavailable>>;

    /// Takes `key`'s single-flight lock, unless someone holds it or the entry changed since
    /// `entry` was refreshed.
    ///
    /// # Errors
    /// [`Unavailable`] when the store cannot decide.
    fn lock<'a>(
        &'a self,
        key: &'a str,
        entry: &'a Entry<V, E>,
    ) -> BoxFuture<'a, Result<Lock, Unavailable>>;

    /// Runs `fetch` while holding `lock` on `key` (renewing its lease where it has one).
    fn hold<'a>(
        &'a self,
        key: &'a str,
        lock: u64,
        fetch: BoxFuture<'a, Result<V, E>>,
    ) -> BoxFuture<'a, Result<V, E>>;

    /// Keeps `value`, fetched at `fetched_at` under `lock`, unless a later write or an
    /// invalidation is there, and releases the lock; `entry` then holds it.
    fn store_value<'a>(
        &'a self,
        key: &'a str,
        lock: u64,
        value: Arc<V>,
        fetched_at: Instant,
        entry: &'a mut Entry<V, E>,
    ) -> BoxFuture<'a, ()>;

    /// Keeps the failure `entry` now remembers (if `policy` can write it down) under `lock`,
    /// and releases the lock.
    fn store_failure<'a>(
        &'a self,
        key: &'a str,
        lock: u64,
        entry: &'a mut Entry<V, E>,
        policy: &'a dyn Policy<E>,
    ) -> BoxFuture<'a, ()>;
}

/// The store of one process: the copies are the entries. Single flight is the copy's own lock;
/// an invalidation drops the copy ([`super::Cache::invalidate`]), and a fetch in flight then
/// writes into a copy no one reads any more.
#[derive(Debug, Clone, Copy, Default)]
pub struct InProcessStore;

/// The version of every value the in-process store holds (0 is "none").
const HELD: u64 = 1;

impl Invalidation for InProcessStore {
    fn invalidate<'a>(&'a self, _key: &'a str) -> BoxFuture<'a, Result<(), Unavailable>> {
        Box::pin(async { Ok(()) })
    }
}

impl<V: Send + Sync, E: Send + Sync> CacheStore<V, E> for InProcessStore {
    fn refresh<'a>(
        &'a self,
        _key: &'a str,
        _entry: &'a mut Entry<V, E>,
        _policy: &'a dyn Policy<E>,
    ) -> BoxFuture<'a, Result<(), Unavailable>> {
        Box::pin(async { Ok(()) })
    }

    fn lock<'a>(
        &'a self,
        _key: &'a str,
        _entry: &'a Entry<V, E>,
    ) -> BoxFuture<'a, Result<Lock, Unavailable>> {
        Box::pin(async { Ok(Lock::Taken(HELD)) })
    }

    fn hold<'a>(
        &'a self,
        _key: &'a str,
        _lock: u64,
        fetch: BoxFuture<'a, Result<V, E>>,
    ) -> BoxFuture<'a, Result<V, E>> {
        fetch
    }

    fn store_value<'a>(
        &'a self,
        _key: &'a str,
        _lock: u64,
        value: Arc<V>,
        fetched_at: Instant,
        entry: &'a mut Entry<V, E>,
    ) -> BoxFuture<'a, ()> {
        entry.value = Some((value, fetched_at));
        entry.version = HELD;
        entry.cooling = None;
        Box::pin(async {})
    }

    fn store_failure<'a>(
        &'a self,
        _key: &'a str,
        _lock: u64,
        _entry: &'a mut Entry<V, E>,
        _policy: &'a dyn Policy<E>,
    ) -> BoxFuture<'a, ()> {
        Box::pin(async {})
    }
}
