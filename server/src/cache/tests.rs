//! The cache of one process: single flight, expiry, the stale fallback, remembered failures,
//! invalidation and its bound, on tokio's paused clock.

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
    cache.invalidate(&"k").await.unwrap();
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
    cache.copies.run_pending_tasks();
    assert!(cache.len() <= 1_000, "{}", cache.len());
}
