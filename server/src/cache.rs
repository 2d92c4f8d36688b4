//! A time-limited cache where concurrent misses for one key share one fetch, and a failed
//! refresh can fall back to the last value (marked stale).
//!
//! Each key has a slot guarded by a fair (FIFO) async mutex: the first request for a key holds
//! it while fetching, later ones queue behind it and find the fresh value when they get their
//! turn. So N concurrent requests for one user cost one upstream fetch, and requests for
//! different users never wait for each other. A failure that says "not now" (the budget is
//! spent, the platform asked us to slow down) is shared the same way: the requests queued
//! behind it get the same answer for the cool-down instead of each trying again.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

/// Slots are swept when the map grows past this many keys: enough for a large user base's
/// active minute, small enough that a crawl over many identities cannot grow memory unbounded.
const SWEEP_ABOVE: usize = 50_000;

/// How long a stale value is kept to fall back on after its TTL.
const KEEP_STALE_FOR: Duration = Duration::from_secs(60 * 60);

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
    /// The error for a request that arrives during a cool-down with `remaining` left.
    fn cooling(&self, remaining: Duration) -> E;
}

struct Slot<V> {
    value: Option<(Arc<V>, Instant)>,
    /// Until when fetching is pointless, and whether the last value may cover for it.
    cooling: Option<(Instant, bool)>,
}

/// The cache.
pub struct Cache<K, V> {
    slots: Mutex<HashMap<K, Arc<tokio::sync::Mutex<Slot<V>>>>>,
    ttl: Duration,
}

impl<K: Eq + Hash + Clone, V> Cache<K, V> {
    /// Values are fresh for `ttl`.
    pub fn new(ttl: Duration) -> Self {
        Self {
            slots: Mutex::new(HashMap::new()),
            ttl,
        }
    }

    /// The fresh value of `key`, else the result of `fetch` (run at most once at a time per
    /// key). When `fetch` fails and the policy allows it, the last value is returned marked
    /// stale; when the policy asks for a cool-down, requests during it fail (or get the stale
    /// value) without fetching.
    ///
    /// # Errors
    /// `fetch`'s error, or the policy's cool-down error, when there is nothing to fall back on.
    pub async fn get_or_fetch<E, F>(
        &self,
        key: &K,
        fetch: F,
        policy: &impl Policy<E>,
    ) -> Result<Hit<V>, E>
    where
        F: Future<Output = Result<V, E>>,
    {
        let slot = self.slot(key);
        let mut slot = slot.lock().await;
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
        if let Some((until, stale_ok)) = slot.cooling
            && now < until
        {
            return match &slot.value {
                Some((value, fetched_at)) if stale_ok => Ok(Hit {
                    value: value.clone(),
                    fetched_at: *fetched_at,
                    stale: true,
                }),
                _ => Err(policy.cooling(until - now)),
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
                slot.cooling = policy
                    .cool_down(&error)
                    .map(|d| (Instant::now() + d, stale_ok));
                match &slot.value {
                    Some((value, fetched_at)) if stale_ok => Ok(Hit {
                        value: value.clone(),
                        fetched_at: *fetched_at,
                        stale: true,
                    }),
                    _ => Err(error),
                }
            }
        }
    }

    fn slot(&self, key: &K) -> Arc<tokio::sync::Mutex<Slot<V>>> {
        // Plain data behind the lock; a panic elsewhere cannot leave it inconsistent.
        let mut slots = self.slots.lock().unwrap_or_else(PoisonError::into_inner);
        if slots.len() > SWEEP_ABOVE {
            let now = Instant::now();
            let keep = self.ttl + KEEP_STALE_FOR;
            slots.retain(|_, slot| match slot.try_lock() {
                // Busy slots are in use; keep them.
                Err(_) => true,
                Ok(slot) => slot
                    .value
                    .as_ref()
                    .is_some_and(|(_, at)| now.duration_since(*at) < keep),
            });
        }
        slots
            .entry(key.clone())
            .or_insert_with(|| {
                Arc::new(tokio::sync::Mutex::new(Slot {
                    value: None,
                    cooling: None,
                }))
            })
            .clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    /// Errors are strings; "busy" may be covered by stale data and cools down for 5 s.
    struct Test;

    impl Policy<&'static str> for Test {
        fn serve_stale(&self, error: &&'static str) -> bool {
            *error == "busy"
        }
        fn cool_down(&self, error: &&'static str) -> Option<Duration> {
            (*error == "busy").then_some(Duration::from_secs(5))
        }
        fn cooling(&self, _: Duration) -> &'static str {
            "cooling"
        }
    }

    #[tokio::test(start_paused = true)]
    async fn concurrent_misses_share_one_fetch() {
        let cache = Arc::new(Cache::<&str, u32>::new(Duration::from_secs(60)));
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
        let cache = Cache::<&str, u32>::new(Duration::from_secs(60));
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
        let cache = Cache::<&str, u32>::new(Duration::from_secs(1));
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
        let cache = Cache::<&str, u32>::new(Duration::from_secs(60));
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
}
