//! The pieces shared through a real Redis, each used as several instances would use them: one
//! connection per "instance", one Redis. The budget's window and pause, the per-subject
//! allowance, the request limits, and the cache's single-flight lock with its fencing token.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use common::engines::Redis;
use referrer_dashboard_server::backing::Backing;
use referrer_dashboard_server::budget::{self, Budget, Reason, Window};
use referrer_dashboard_server::cache::{Cache, Lock, Policy};
use referrer_dashboard_server::limit::{self, Denied};
use referrer_dashboard_server::seam::Unavailable;
use referrer_dashboard_server::shared::RedisCacheStore;
use referrer_dashboard_server::shared::cache::LEASE;

/// `n` connections to `redis`, as `n` instances would have.
async fn instances(redis: &Redis, n: usize) -> Vec<Backing> {
    let mut all = Vec::new();
    for _ in 0..n {
        all.push(Backing::connect(Some(&redis.url())).await.unwrap());
    }
    all
}

/// The Redis connection of an instance.
fn redis_of(backing: &Backing) -> referrer_dashboard_server::shared::Redis {
    match backing {
        Backing::Redis(redis) => redis.clone(),
        Backing::InProcess => panic!("connected to Redis"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_instances_sharing_a_budget_never_exceed_it_in_any_window() {
    const LIMIT: u32 = 20;
    let span = Duration::from_secs(1);
    let redis = Redis::start();
    let budgets: Vec<Arc<Budget>> = instances(&redis, 3)
        .await
        .into_iter()
        .map(|backing| {
            // The margin covers the time between Redis granting a call and this test noting it.
            let window = Window::new(LIMIT, span, Duration::from_millis(100));
            Arc::new(Budget::over(
                backing.call_log(window),
                Duration::from_secs(3),
            ))
        })
        .collect();
    let started = Instant::now();
    let tasks: Vec<_> = (0..90)
        .map(|i| {
            let budget = budgets[i % 3].clone();
            tokio::spawn(async move {
                budget.acquire().await.ok()?;
                Some(started.elapsed().as_secs_f64() * 1000.0)
            })
        })
        .collect();
    let mut granted = Vec::new();
    let mut refused = 0;
    for task in tasks {
        match task.await.unwrap() {
            Some(at) => granted.push(at),
            None => refused += 1,
        }
    }
    let busiest = common::fleet::busiest_window(granted.clone(), 1000.0);
    assert!(busiest <= LIMIT as usize, "{busiest} grants in one window");
    // Three seconds of queueing hold about three windows' worth; the rest are refused at once.
    assert!(
        granted.len() >= 2 * LIMIT as usize,
        "{} granted",
        granted.len()
    );
    assert!(refused > 0, "the queue limit refused some");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_on_one_instance_pauses_them_all() {
    let redis = Redis::start();
    let shared = instances(&redis, 2).await;
    let budget = |backing: &Backing| {
        Budget::over(
            backing.call_log(Window::new(100, Duration::from_secs(60), Duration::ZERO)),
            Duration::from_millis(200),
        )
    };
    let (a, b) = (budget(&shared[0]), budget(&shared[1]));
    b.acquire().await.unwrap();
    a.pause_for(Duration::from_secs(30)).await;
    // B is refused at once: the pause is in Redis when A's call returns.
    let refused = b.prepaid(1, async {}).await.unwrap_err();
    assert_eq!(refused.reason, Reason::Window);
    assert!(refused.retry_after > Duration::from_secs(25), "{refused:?}");
    assert!(b.paused_for().is_some(), "B reports the pause it met");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subjects_allowance_is_shared_by_every_instance() {
    let redis = Redis::start();
    let shared = instances(&redis, 2).await;
    let budget = |backing: &Backing| {
        Budget::over(
            backing.call_log(Window::new(1000, Duration::from_secs(60), Duration::ZERO)),
            Duration::from_secs(5),
        )
        .with_allowance(backing.limiter(budget::allowance(4)))
    };
    let (a, b) = (budget(&shared[0]), budget(&shared[1]));
    a.on_behalf_of("greedy", a.prepaid(2, async {}))
        .await
        .unwrap();
    b.on_behalf_of("greedy", b.prepaid(2, async {}))
        .await
        .unwrap();
    let refused = a.on_behalf_of("greedy", a.acquire()).await.unwrap_err();
    assert_eq!(refused.reason, Reason::Allowance);
    b.on_behalf_of("modest", b.prepaid(2, async {}))
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_identitys_request_limit_counts_on_every_instance() {
    let redis = Redis::start();
    let shared = instances(&redis, 2).await;
    // 4 a minute, bursts of 2.
    let a = shared[0].limiter(limit::identity(4));
    let b = shared[1].limiter(limit::identity(4));
    a.admit("ada").await.unwrap();
    b.admit("ada").await.unwrap();
    let Err(Denied::Wait(wait)) = a.admit("ada").await else {
        panic!("the third request in the burst's time is refused")
    };
    assert!(
        wait > Duration::ZERO && wait <= Duration::from_secs(15),
        "{wait:?}"
    );
    b.admit("grace").await.unwrap();
}

/// A cache policy for values that are numbers and errors that are words.
struct Words;

impl Policy<String> for Words {
    fn serve_stale(&self, _: &String) -> bool {
        true
    }
    fn cool_down(&self, error: &String) -> Option<Duration> {
        (error == "refused").then_some(Duration::from_secs(60))
    }
    fn cooling(&self, error: &String, _: Duration) -> String {
        format!("{error}, remembered")
    }
    fn encode(&self, error: &String) -> Option<String> {
        Some(error.clone())
    }
    fn decode(&self, text: &str) -> Option<String> {
        Some(text.to_owned())
    }
    fn unavailable(&self, _: &Unavailable) -> Option<String> {
        Some("unavailable".into())
    }
}

const TTL: Duration = Duration::from_secs(60);

fn cache(backing: &Backing) -> Arc<Cache<String, u32, String>> {
    Arc::new(backing.cache("test", TTL, 100))
}

/// The test cache's entries in Redis, driven by hand (as a holder that crashed or stalled).
fn entries(backing: &Backing) -> RedisCacheStore {
    RedisCacheStore::new(redis_of(backing), "test", TTL)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_misses_on_three_instances_share_one_fetch() {
    let redis = Redis::start();
    let caches: Vec<_> = instances(&redis, 3).await.iter().map(cache).collect();
    let fetches = Arc::new(AtomicU32::new(0));
    let tasks: Vec<_> = (0..30)
        .map(|i| {
            let (cache, fetches) = (caches[i % 3].clone(), fetches.clone());
            tokio::spawn(async move {
                let fetch = async {
                    fetches.fetch_add(1, Ordering::SeqCst);
                    // A fetch takes a while: the others arrive while it runs.
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    Ok(7)
                };
                *cache
                    .get_or_fetch(&"ada".to_owned(), fetch, &Words)
                    .await
                    .unwrap()
                    .value
            })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.unwrap(), 7);
    }
    assert_eq!(fetches.load(Ordering::SeqCst), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refusal_remembered_on_one_instance_is_answered_by_the_others() {
    let redis = Redis::start();
    let caches: Vec<_> = instances(&redis, 2).await.iter().map(cache).collect();
    let key = "mallory".to_owned();
    let first = caches[0]
        .get_or_fetch(&key, async { Err("refused".to_owned()) }, &Words)
        .await
        .unwrap_err();
    assert_eq!(first, "refused");
    let fetched = AtomicU32::new(0);
    let second = caches[1]
        .get_or_fetch(
            &key,
            async {
                fetched.fetch_add(1, Ordering::SeqCst);
                Ok(1)
            },
            &Words,
        )
        .await
        .unwrap_err();
    assert_eq!(second, "refused, remembered");
    assert_eq!(fetched.load(Ordering::SeqCst), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crashed_lock_holder_blocks_the_others_no_longer_than_its_lease() {
    let redis = Redis::start();
    let shared = instances(&redis, 1).await.remove(0);
    let entries = entries(&shared);
    // A holder takes the lock and dies: it never renews, stores or releases.
    let taken = entries.take_lock("grace", 0, LEASE).await.unwrap();
    assert!(matches!(taken, Lock::Taken(_)), "{taken:?}");
    let started = Instant::now();
    let hit = cache(&shared)
        .get_or_fetch(&"grace".to_owned(), async { Ok(3) }, &Words)
        .await
        .unwrap();
    let waited = started.elapsed();
    assert_eq!(*hit.value, 3);
    assert!(waited <= LEASE + Duration::from_secs(1), "{waited:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_holder_whose_lease_ran_out_cannot_overwrite_a_newer_value() {
    let redis = Redis::start();
    let shared = instances(&redis, 1).await.remove(0);
    let entries = entries(&shared);
    let Lock::Taken(late) = entries
        .take_lock("k", 0, Duration::from_millis(50))
        .await
        .unwrap()
    else {
        panic!("the first lock is free")
    };
    // Its lease runs out (it stalled); another takes the lock and stores a value.
    let newer = loop {
        match entries.take_lock("k", 0, LEASE).await.unwrap() {
            Lock::Taken(fence) => break fence,
            Lock::Held(left) => tokio::time::sleep(left).await,
            Lock::Changed => panic!("nothing was written"),
        }
    };
    assert!(newer > late);
    assert!(entries.write_value("k", newer, b"2").await.unwrap());
    // The stalled holder wakes up and tries to store what it read before.
    assert!(!entries.write_value("k", late, b"1").await.unwrap());
    let entry = entries.read("k", 0).await.unwrap();
    assert_eq!(entry.value.as_deref(), Some(&b"2"[..]));
    assert_eq!(entry.value_fence, newer);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalidation_reaches_every_instance_and_turns_away_a_fetch_in_flight() {
    let redis = Redis::start();
    let shared = instances(&redis, 2).await;
    let (a, b) = (cache(&shared[0]), cache(&shared[1]));
    let key = "ada".to_owned();
    a.get_or_fetch(&key, async { Ok(1) }, &Words).await.unwrap();
    assert_eq!(
        *b.get_or_fetch(&key, async { Ok(99) }, &Words)
            .await
            .unwrap()
            .value,
        1,
        "B reads A's value"
    );
    // A fetch in flight on another instance (it holds the lock) when the invalidation comes.
    let entries = entries(&shared[0]);
    a.invalidate(&key).await.unwrap();
    let Lock::Taken(in_flight) = entries
        .take_lock(&key, entries.read(&key, 0).await.unwrap().fence, LEASE)
        .await
        .unwrap()
    else {
        panic!("the lock is free after the invalidation")
    };
    a.invalidate(&key).await.unwrap();
    assert!(
        !entries.write_value(&key, in_flight, b"1").await.unwrap(),
        "what was read before the invalidation is not stored"
    );
    // B's local copy is confirmed with Redis within LOCAL_FRESH: poll until B fetches anew.
    let deadline = Instant::now() + Duration::from_secs(2);
    loop {
        let hit = b.get_or_fetch(&key, async { Ok(2) }, &Words).await.unwrap();
        if *hit.value == 2 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "B still serves the invalidated value"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
