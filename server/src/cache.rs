//! A time-limited cache where concurrent misses for one key share one fetch, and a failed
//! refresh can fall back to the last value (marked stale).
//!
//! Each key has a slot guarded by a fair (FIFO) async mutex: the first request for a key holds
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
//! The slots live in a bounded map (moka, least recently used evicted first, idle slots
//! dropped), so neither a crawl over many identities nor a large user base makes a request do
//! more than constant work.
//!
//! With several instances ([`Cache::with_shared`]) the values, their age and the remembered
//! failures live in Redis ([`crate::shared::cache`]), and single-flight spans the instances
//! through a lock with a fencing token. The local slots stay in front: they still queue this
//! instance's requests behind one (so one instance asks Redis once, not once per request), keep
//! the decoded value (sent again only when it changed), serve it without asking Redis for at most
//! [`LOCAL_FRESH`] after Redis confirmed it, and stand in, marked stale, when Redis is down.

use std::fmt::Display;
use std::hash::Hash;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::time::Instant;

use crate::shared::cache::{Entries, Lock};
use crate::shared::{Shared, Unavailable};

/// How long an idle slot (and the stale value in it) is kept after its TTL, to fall back on.
const KEEP_STALE_FOR: Duration = Duration::from_secs(60 * 60);

/// How long a value Redis confirmed is served from the local slot without asking again. An
/// invalidation (a webhook, a refresh on another instance) therefore reaches every instance
/// within this; and a user hammering one instance costs Redis one read per this.
pub const LOCAL_FRESH: Duration = Duration::from_millis(500);

/// The lease of a shared single-flight lock: a holder that crashed blocks the others at most
/// this long. The holder renews it every [`RENEW_EVERY`] while it fetches.
pub const LEASE: Duration = Duration::from_secs(3);

/// How often a holder renews its lease: three renewals fit in one, so one slow renewal (Redis
/// busy for a moment) does not lose the lock.
const RENEW_EVERY: Duration = Duration::from_secs(1);

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

/// How a cache user wants failures treated.
pub trait Policy<E> {
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
    /// The answer when the shared cache cannot be reached and this instance has no value of
    /// its own to fall back on. By default none: the fetch runs (its own limits, such as a
    /// shared budget that refuses while Redis is down, decide) and its value is not shared.
    fn unavailable(&self, why: &Unavailable) -> Option<E> {
        let _ = why;
        None
    }
}

struct Cooling<E> {
    until: Instant,
    stale_ok: bool,
    error: E,
}

struct Slot<V, E> {
    value: Option<(Arc<V>, Instant)>,
    cooling: Option<Cooling<E>>,
    /// Shared caches: the fence of the write that stored `value` in Redis (0: none).
    value_fence: u64,
    /// Shared caches: when Redis last confirmed `value`.
    checked: Option<Instant>,
}

type SharedSlot<V, E> = Arc<tokio::sync::Mutex<Slot<V, E>>>;

/// The cache.
pub struct Cache<K, V, E> {
    slots: moka::sync::Cache<K, SharedSlot<V, E>>,
    ttl: Duration,
    shared: Option<Entries>,
}

impl<K, V, E> Cache<K, V, E>
where
    K: Eq + Hash + Clone + Display + Send + Sync + 'static,
    V: Serialize + DeserializeOwned + Send + Sync + 'static,
    E: Clone + Send + Sync + 'static,
{
    /// Values are fresh for `ttl`; at most `capacity` keys are kept.
    pub fn new(ttl: Duration, capacity: u64) -> Self {
        Self {
            slots: moka::sync::Cache::builder()
                .max_capacity(capacity)
                .time_to_idle(ttl + KEEP_STALE_FOR)
                .build(),
            ttl,
            shared: None,
        }
    }

    /// Keeps values and failures in Redis under `namespace`, shared by every instance (see the
    /// module docs).
    #[must_use]
    pub fn with_shared(mut self, shared: Shared, namespace: &str) -> Self {
        self.shared = Some(Entries::new(shared, namespace));
        self
    }

    /// The fresh value of `key`, else the result of `fetch` (run at most once at a time per
    /// key). When `fetch` fails and the policy allows it, the last value is returned marked
    /// stale; when the policy asks for a cool-down, requests during it fail (or get the stale
    /// value) without fetching.
    ///
    /// # Errors
    /// `fetch`'s error, or the remembered one during its cool-down, when there is nothing to fall
    /// back on.
    pub async fn get_or_fetch<F>(
        &self,
        key: &K,
        fetch: F,
        policy: &impl Policy<E>,
    ) -> Result<Hit<V>, E>
    where
        F: Future<Output = Result<V, E>>,
    {
        let slot = self.slots.get_with_by_ref(key, || {
            Arc::new(tokio::sync::Mutex::new(Slot {
                value: None,
                cooling: None,
                value_fence: 0,
                checked: None,
            }))
        });
        let mut slot = slot.lock().await;
        if let Some(entries) = &self.shared {
            // Boxed: a session build is a large future, and the shared path holds it across
            // several awaits (moving it by value there overflowed a debug build's stack).
            let fetch = Box::pin(fetch);
            return Box::pin(self.shared_get(entries, &key.to_string(), &mut slot, fetch, policy))
                .await;
        }
        let now = Instant::now();
        if let Some((value, fetched_at)) = &slot.value
            && now.duration_since(*fetched_at) < self.ttl
        {
            return Ok(Hit {
                value: value.clone(),
                fetched_at: *fetched_at,
                stale: false,
            });
        }
        if let Some(cooling) = &slot.cooling
            && now < cooling.until
        {
            return match &slot.value {
                Some((value, fetched_at)) if cooling.stale_ok => Ok(Hit {
                    value: value.clone(),
                    fetched_at: *fetched_at,
                    stale: true,
                }),
                _ => Err(policy.cooling(&cooling.error, cooling.until - now)),
            };
        }
        match fetch.await {
            Ok(value) => {
                let value = Arc::new(value);
                let fetched_at = Instant::now();
                slot.value = Some((value.clone(), fetched_at));
                slot.cooling = None;
                Ok(Hit {
                    value,
                    fetched_at,
                    stale: false,
                })
            }
            Err(error) => {
                let stale_ok = policy.serve_stale(&error);
                let cool_down = policy.cool_down(&error);
                slot.cooling = cool_down.map(|d| Cooling {
                    until: Instant::now() + d,
                    stale_ok,
                    error: error.clone(),
                });
                match (&slot.value, cool_down) {
                    (Some((value, fetched_at)), _) if stale_ok => Ok(Hit {
                        value: value.clone(),
                        fetched_at: *fetched_at,
                        stale: true,
                    }),
                    (_, Some(d)) => Err(policy.first_answer(error, d)),
                    _ => Err(error),
                }
            }
        }
    }

    /// [`Cache::get_or_fetch`] through Redis, with `slot` (this instance's, locked) in front.
    async fn shared_get<F>(
        &self,
        entries: &Entries,
        key: &str,
        slot: &mut Slot<V, E>,
        fetch: F,
        policy: &impl Policy<E>,
    ) -> Result<Hit<V>, E>
    where
        F: Future<Output = Result<V, E>>,
    {
        let now = Instant::now();
        if let (Some((value, fetched_at)), Some(checked)) = (&slot.value, slot.checked)
            && slot.value_fence != 0
            && now.duration_since(checked) < LOCAL_FRESH
            && now.duration_since(*fetched_at) < self.ttl
        {
            return Ok(Hit {
                value: value.clone(),
                fetched_at: *fetched_at,
                stale: false,
            });
        }
        let fence = loop {
            let entry = match entries.read(key, slot.value_fence).await {
                Ok(entry) => entry,
                Err(why) => return offline(slot, policy, &why, fetch).await,
            };
            let now = Instant::now();
            slot.checked = Some(now);
            let fetched_at = now.checked_sub(entry.age).unwrap_or(now);
            match (&entry.value, entry.value_fence) {
                // Gone from Redis (invalidated, expired, or Redis restarted empty): the local
                // copy is no longer fresh, but may still stand in (stale) if the fetch fails.
                (_, 0) => slot.value_fence = 0,
                (Some(bytes), fence) => match serde_json::from_slice::<V>(bytes) {
                    Ok(value) => {
                        (slot.value, slot.value_fence) =
                            (Some((Arc::new(value), fetched_at)), fence)
                    }
                    // Written by another version of this backend: fetch and overwrite it.
                    Err(_) => (slot.value, slot.value_fence) = (None, 0),
                },
                // Unchanged: the local copy is the one in Redis.
                (None, _) => {}
            }
            if let Some((value, _)) = &slot.value
                && slot.value_fence != 0
                && entry.age < self.ttl
            {
                return Ok(Hit {
                    value: value.clone(),
                    fetched_at,
                    stale: false,
                });
            }
            if let Some(cooling) = &entry.cooling
                && let Some(error) = policy.decode(&cooling.error)
            {
                return match &slot.value {
                    Some((value, fetched_at)) if cooling.stale_ok => Ok(Hit {
                        value: value.clone(),
                        fetched_at: *fetched_at,
                        stale: true,
                    }),
                    _ => Err(policy.cooling(&error, cooling.remaining)),
                };
            }
            match entries.lock(key, entry.fence, LEASE).await {
                Ok(Lock::Taken(fence)) => break fence,
                Ok(Lock::Changed) => {}
                // Another instance (or a request of this one that gave up) is fetching: look
                // again shortly, never longer than its lease.
                Ok(Lock::Held(left)) => tokio::time::sleep(left.min(POLL_EVERY)).await,
                Err(why) => return offline(slot, policy, &why, fetch).await,
            }
        };
        let keep = self.ttl + KEEP_STALE_FOR;
        match renewing(entries, key, fence, fetch).await {
            Ok(value) => {
                let fetched_at = Instant::now();
                let stored = match serde_json::to_vec(&value) {
                    Ok(bytes) => entries.store_value(key, fence, &bytes, keep).await,
                    Err(_) => Ok(false),
                };
                let value = Arc::new(value);
                slot.checked = None;
                if stored == Ok(true) {
                    (slot.value, slot.value_fence) = (Some((value.clone(), fetched_at)), fence);
                    slot.checked = Some(fetched_at);
                }
                Ok(Hit {
                    value,
                    fetched_at,
                    stale: false,
                })
            }
            Err(error) => {
                let stale_ok = policy.serve_stale(&error);
                let cool_down = policy.cool_down(&error);
                let failure =
                    cool_down.and_then(|d| policy.encode(&error).map(|text| (d, stale_ok, text)));
                // Not written when Redis is down or a later write is there: either way the
                // answer below stands for this request.
                let _ = entries.store_failure(key, fence, failure, keep).await;
                slot.checked = None;
                match (&slot.value, cool_down) {
                    (Some((value, fetched_at)), _) if stale_ok => Ok(Hit {
                        value: value.clone(),
                        fetched_at: *fetched_at,
                        stale: true,
                    }),
                    (_, Some(d)) => Err(policy.first_answer(error, d)),
                    _ => Err(error),
                }
            }
        }
    }

    /// Drops `key`'s value and any remembered failure: the next request fetches anew. With a
    /// shared cache, on every instance (each sees it within [`LOCAL_FRESH`]), and a fetch
    /// already in flight cannot store what it read before.
    ///
    /// # Errors
    /// [`Unavailable`] when the shared cache cannot be told (this instance's copy is dropped
    /// all the same).
    pub async fn invalidate_everywhere(&self, key: &K) -> Result<(), Unavailable> {
        self.slots.invalidate(key);
        match &self.shared {
            Some(entries) => {
                entries
                    .invalidate(&key.to_string(), self.ttl + KEEP_STALE_FOR)
                    .await
            }
            None => Ok(()),
        }
    }

    /// Drops `key`'s value and any remembered failure: the next request fetches anew.
    pub fn invalidate(&self, key: &K) {
        self.slots.invalidate(key);
    }

    /// Keys currently held (approximate: evictions are applied in batches).
    pub fn len(&self) -> u64 {
        self.slots.entry_count()
    }

    /// Whether no key is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The answer when Redis cannot be reached: this instance's copy, stale; else the policy's
/// error; else what `fetch` gives (not shared).
async fn offline<V, E>(
    slot: &Slot<V, E>,
    policy: &impl Policy<E>,
    why: &Unavailable,
    fetch: impl Future<Output = Result<V, E>>,
) -> Result<Hit<V>, E> {
    if let Some((value, fetched_at)) = &slot.value {
        return Ok(Hit {
            value: value.clone(),
            fetched_at: *fetched_at,
            stale: true,
        });
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

/// Runs `work` while renewing `fence`'s lease on `key` (so the lock lasts as long as the fetch,
/// and no longer than one lease past a crash).
async fn renewing<T>(entries: &Entries, key: &str, fence: u64, work: impl Future<Output = T>) -> T {
    tokio::pin!(work);
    let mut renew = tokio::time::interval_at(Instant::now() + RENEW_EVERY, RENEW_EVERY);
    loop {
        tokio::select! {
            done = &mut work => return done,
            _ = renew.tick() => {
                // Lost or unreachable: go on; the fence still keeps a late write out.
                let _ = entries.renew(key, fence, LEASE).await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    /// Errors are strings; "busy" may be covered by stale data and cools down for 5 s,
    /// "refused" is remembered for 60 s.
    struct Test;

    impl Policy<&'static str> for Test {
        fn serve_stale(&self, error: &&'static str) -> bool {
            *error == "busy"
        }
        fn cool_down(&self, error: &&'static str) -> Option<Duration> {
            match *error {
                "busy" => Some(Duration::from_secs(5)),
                "refused" => Some(Duration::from_secs(60)),
                _ => None,
            }
        }
        fn cooling(&self, error: &&'static str, _: Duration) -> &'static str {
            match *error {
                "busy" => "cooling",
                other => other,
            }
        }
        fn first_answer(&self, error: &'static str, _: Duration) -> &'static str {
            match error {
                "refused" => "refused, remembered",
                other => other,
            }
        }
    }

    type TestCache<V> = Cache<&'static str, V, &'static str>;

    #[tokio::test(start_paused = true)]
    async fn concurrent_misses_share_one_fetch() {
        let cache = Arc::new(TestCache::<u32>::new(Duration::from_secs(60), 100));
        let fetches = Arc::new(AtomicU32::new(0));
        let mut tasks = Vec::new();
        for _ in 0..20 {
            let (cache, fetches) = (cache.clone(), fetches.clone());
            tasks.push(tokio::spawn(async move {
                let fetch = async {
                    fetches.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    Ok::<_, &str>(7)
                };
                *cache
                    .get_or_fetch(&"ada", fetch, &Test)
                    .await
                    .unwrap()
                    .value
            }));
        }
        for task in tasks {
            assert_eq!(task.await.unwrap(), 7);
        }
        assert_eq!(fetches.load(Ordering::SeqCst), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn values_expire_after_the_ttl() {
        let cache = TestCache::<u32>::new(Duration::from_secs(60), 100);
        let hit = cache
            .get_or_fetch(&"k", async { Ok::<_, &str>(1) }, &Test)
            .await
            .unwrap();
        assert_eq!(*hit.value, 1);
        tokio::time::advance(Duration::from_secs(59)).await;
        let hit = cache
            .get_or_fetch(&"k", async { Ok::<_, &str>(2) }, &Test)
            .await
            .unwrap();
        assert_eq!(*hit.value, 1, "still fresh");
        tokio::time::advance(Duration::from_secs(2)).await;
        let hit = cache
            .get_or_fetch(&"k", async { Ok::<_, &str>(3) }, &Test)
            .await
            .unwrap();
        assert_eq!(*hit.value, 3, "refetched after the TTL");
    }

    #[tokio::test(start_paused = true)]
    async fn a_failed_refresh_falls_back_to_the_stale_value_only_when_allowed() {
        let cache = TestCache::<u32>::new(Duration::from_secs(1), 100);
        cache
            .get_or_fetch(&"k", async { Ok::<_, &str>(1) }, &Test)
            .await
            .unwrap();
        tokio::time::advance(Duration::from_secs(2)).await;
        let hit = cache
            .get_or_fetch(&"k", async { Err("busy") }, &Test)
            .await
            .unwrap();
        assert!(hit.stale);
        assert_eq!(*hit.value, 1);
        let miss = cache
            .get_or_fetch(&"other", async { Err("busy") }, &Test)
            .await
            .unwrap_err();
        assert_eq!(miss, "busy", "nothing to fall back on");
        let denied = cache
            .get_or_fetch(&"third", async { Err("denied") }, &Test)
            .await
            .unwrap_err();
        assert_eq!(denied, "denied");
    }

    #[tokio::test(start_paused = true)]
    async fn a_not_now_failure_is_shared_for_its_cool_down() {
        let cache = TestCache::<u32>::new(Duration::from_secs(60), 100);
        let fetches = AtomicU32::new(0);
        let fetch = |result| {
            fetches.fetch_add(1, Ordering::SeqCst);
            async move { result }
        };
        assert_eq!(
            cache
                .get_or_fetch(&"k", fetch(Err("busy")), &Test)
                .await
                .unwrap_err(),
            "busy"
        );
        assert_eq!(
            cache
                .get_or_fetch(&"k", async { Ok(2) }, &Test)
                .await
                .unwrap_err(),
            "cooling"
        );
        tokio::time::advance(Duration::from_secs(5)).await;
        assert_eq!(
            *cache
                .get_or_fetch(&"k", fetch(Ok(3)), &Test)
                .await
                .unwrap()
                .value,
            3
        );
        assert_eq!(
            fetches.load(Ordering::SeqCst),
            2,
            "nothing fetched during the cool-down"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_refusal_is_remembered_so_repeats_cost_nothing() {
        let cache = TestCache::<u32>::new(Duration::from_secs(60), 100);
        let fetches = AtomicU32::new(0);
        for n in 0..30 {
            let result = cache
                .get_or_fetch(
                    &"k",
                    async {
                        fetches.fetch_add(1, Ordering::SeqCst);
                        Err("refused")
                    },
                    &Test,
                )
                .await;
            let expected = if n == 0 {
                "refused, remembered"
            } else {
                "refused"
            };
            assert_eq!(result.unwrap_err(), expected);
        }
        assert_eq!(fetches.load(Ordering::SeqCst), 1);
        tokio::time::advance(Duration::from_secs(61)).await;
        let hit = cache
            .get_or_fetch(&"k", async { Ok(5) }, &Test)
            .await
            .unwrap();
        assert_eq!(*hit.value, 5, "asked again once the refusal has run out");
    }

    #[tokio::test(start_paused = true)]
    async fn invalidating_a_key_makes_the_next_request_fetch() {
        let cache = TestCache::<u32>::new(Duration::from_secs(60), 100);
        cache
            .get_or_fetch(&"k", async { Ok(1) }, &Test)
            .await
            .unwrap();
        cache.invalidate(&"k");
        let hit = cache
            .get_or_fetch(&"k", async { Ok(2) }, &Test)
            .await
            .unwrap();
        assert_eq!(*hit.value, 2);
    }

    #[tokio::test(start_paused = true)]
    async fn the_cache_holds_at_most_its_capacity() {
        let cache = TestCache::<u32>::new(Duration::from_secs(60), 1_000);
        let keys: Vec<&'static str> = (0..5_000)
            .map(|i| &*Box::leak(format!("user-{i}").into_boxed_str()))
            .collect();
        for key in &keys {
            cache
                .get_or_fetch(key, async { Ok(1) }, &Test)
                .await
                .unwrap();
        }
        cache.slots.run_pending_tasks();
        assert!(cache.len() <= 1_000, "{}", cache.len());
    }
}
