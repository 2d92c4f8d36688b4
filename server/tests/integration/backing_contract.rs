//! One contract per shared facility, run against both backings: this process, and a real Redis
//! (as `store_contract.rs` runs the mapping store's against SQLite and PostgreSQL). What several
//! instances see of each other through Redis is `shared_state.rs`'s; here, what every backing
//! promises to the one code that uses it.
//!
//! - the budget's call log ([`CallLog`]): reservations all or none, refused past the wait asked
//!   for, grants held to the limit, a pause holds every reservation back;
//! - the keyed limiter ([`referrer_dashboard_server::limit::LimitStore`], through a
//!   [`Limiter`]): a burst, then a wait; keys apart; all or none; never more than the burst;
//! - the cache store ([`referrer_dashboard_server::cache::CacheStore`], through a [`Cache`]):
//!   fresh values served without fetching, one fetch for concurrent misses, remembered refusals,
//!   the stale fallback;
//! - invalidation ([`referrer_dashboard_server::cache::Invalidation`]): the next request
//!   fetches anew, and a fetch in flight cannot store what it read before.
//!
//! Time: nothing here waits for time to pass (Redis decides on its own clock): windows and
//! rates are long next to a test, and expiry is exercised with a TTL of zero.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use common::engines::Redis;
use referrer_dashboard_server::backing::Backing;
use referrer_dashboard_server::budget::{CallLog, Granted, Reserved, Window};
use referrer_dashboard_server::cache::{Cache, Policy};
use referrer_dashboard_server::limit::{Denied, Limit, Limiter, WhenUnavailable};
use tokio::sync::oneshot;
use tokio::time::Instant;

const MINUTE: Duration = Duration::from_secs(60);

/// A Redis of the test's own, as a backing.
async fn redis() -> (Redis, Backing) {
    let server = Redis::start();
    let backing = Backing::connect(Some(&server.url())).await.unwrap();
    (server, backing)
}

// The call log.

/// Two calls a minute.
fn log(backing: &Backing) -> Arc<dyn CallLog> {
    backing.call_log(Window::new(2, MINUTE, Duration::ZERO))
}

/// The start times of a reservation, or a panic naming what came instead.
fn slots(reserved: Reserved) -> Vec<Instant> {
    match reserved {
        Reserved::Slots(slots) => slots,
        other => panic!("expected slots, got {other:?}"),
    }
}

/// The wait of a refused reservation.
fn refused(reserved: Reserved) -> Duration {
    match reserved {
        Reserved::Refused(wait) => wait,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

async fn call_log_reserves_all_or_none_and_refuses_past_the_wait(log: Arc<dyn CallLog>) {
    let started = Instant::now();
    // Three calls would need a second window: refused whole, with the wait until the last.
    let wait = refused(log.reserve(3, Duration::ZERO).await.unwrap());
    assert!(wait > Duration::from_secs(55) && wait <= MINUTE, "{wait:?}");
    // The refusal reserved nothing: both calls of the window are still there, now.
    let now = slots(log.reserve(2, Duration::ZERO).await.unwrap());
    assert_eq!(now.len(), 2);
    assert!(now.iter().all(|at| *at <= Instant::now()), "{now:?}");
    // A third waits for the window, and is refused when asked to wait less.
    let wait = refused(log.reserve(1, Duration::from_secs(5)).await.unwrap());
    assert!(wait > Duration::from_secs(55), "{wait:?}");
    assert!(log.wait_estimate() > Duration::from_secs(55));
    let later = slots(log.reserve(1, 2 * MINUTE).await.unwrap());
    assert!(later[0] >= started + Duration::from_secs(55), "{later:?}");
}

async fn call_log_grants_no_more_than_the_limit(log: Arc<dyn CallLog>) {
    slots(log.reserve(2, Duration::ZERO).await.unwrap());
    assert_eq!(log.grant().await.unwrap(), Granted::Now);
    assert_eq!(log.grant().await.unwrap(), Granted::Now);
    match log.grant().await.unwrap() {
        Granted::Wait(until) => assert!(
            until >= Instant::now() + Duration::from_secs(55),
            "{until:?}"
        ),
        other => panic!("a third grant in the window: {other:?}"),
    }
}

async fn call_log_pause_holds_every_reservation_back(log: Arc<dyn CallLog>) {
    assert_eq!(log.paused_for(), None);
    log.pause_for(Duration::from_secs(30)).await.unwrap();
    let wait = refused(log.reserve(1, Duration::from_secs(5)).await.unwrap());
    assert!(
        wait > Duration::from_secs(25) && wait <= Duration::from_secs(30),
        "{wait:?}"
    );
    let paused = log.paused_for().unwrap();
    assert!(paused > Duration::from_secs(25), "{paused:?}");
    // A shorter pause never shortens a longer one.
    log.pause_for(Duration::from_secs(1)).await.unwrap();
    let wait = refused(log.reserve(1, Duration::from_secs(5)).await.unwrap());
    assert!(wait > Duration::from_secs(25), "{wait:?}");
}

#[tokio::test]
async fn in_process_keeps_the_call_log_contract() {
    let backing = Backing::InProcess;
    call_log_reserves_all_or_none_and_refuses_past_the_wait(log(&backing)).await;
    call_log_grants_no_more_than_the_limit(log(&backing)).await;
    call_log_pause_holds_every_reservation_back(log(&backing)).await;
}

#[tokio::test]
async fn redis_keeps_the_call_log_contract() {
    // One Redis each: the log is one per key, and each part starts from an empty one.
    for part in 0..3 {
        let (_server, backing) = redis().await;
        let log = log(&backing);
        match part {
            0 => call_log_reserves_all_or_none_and_refuses_past_the_wait(log).await,
            1 => call_log_grants_no_more_than_the_limit(log).await,
            _ => call_log_pause_holds_every_reservation_back(log).await,
        }
    }
}

// The keyed limiter.

/// Three at once, then one a minute.
fn limiter(backing: &Backing) -> Limiter {
    backing.limiter(Limit {
        name: "contract",
        per_minute: 1,
        burst: 3,
        when_unavailable: WhenUnavailable::Refuse,
    })
}

async fn limiter_contract(limit: Limiter) {
    // A burst passes, then the key waits (about a minute for the next cell).
    limit.take("ada", 2).await.unwrap();
    limit.admit("ada").await.unwrap();
    match limit.admit("ada").await {
        Err(Denied::Wait(wait)) => {
            assert!(wait > Duration::from_secs(50) && wait <= MINUTE, "{wait:?}")
        }
        other => panic!("the fourth in a burst of three: {other:?}"),
    }
    // Keys are apart.
    limit.admit("grace").await.unwrap();
    // All or none: two are refused where one is left, and the one is still there.
    limit.take("linus", 2).await.unwrap();
    assert!(matches!(limit.take("linus", 2).await, Err(Denied::Wait(_))));
    limit.take("linus", 1).await.unwrap();
    // More than the burst at once: never.
    assert_eq!(
        limit.take("mallory", 4).await,
        Err(Denied::Wait(Duration::MAX))
    );
    limit.take("mallory", 3).await.unwrap();
}

#[tokio::test]
async fn in_process_keeps_the_limiter_contract() {
    limiter_contract(limiter(&Backing::InProcess)).await;
}

#[tokio::test]
async fn redis_keeps_the_limiter_contract() {
    let (_server, backing) = redis().await;
    limiter_contract(limiter(&backing)).await;
}

// The cache store and invalidation.

/// Values are numbers, errors are words: "busy" may be covered by the last value, "refused" is
/// remembered for a minute; both can be written down for other instances.
struct Words;

impl Policy<String> for Words {
    fn serve_stale(&self, error: &String) -> bool {
        error == "busy"
    }
    fn cool_down(&self, error: &String) -> Option<Duration> {
        (error == "refused").then_some(MINUTE)
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
}

type Numbers = Cache<String, u32, String>;

/// A fetch that counts itself and answers `result`.
async fn counted(fetches: &AtomicU32, result: Result<u32, String>) -> Result<u32, String> {
    fetches.fetch_add(1, Ordering::SeqCst);
    result
}

async fn cache_contract(backing: &Backing) {
    let cache: Arc<Numbers> = Arc::new(backing.cache("contract", MINUTE, 100));
    let fetches = AtomicU32::new(0);
    let key = |k: &str| k.to_owned();
    // A fetched value is served while fresh, without fetching again.
    let first = cache
        .get_or_fetch(&key("ada"), counted(&fetches, Ok(1)), &Words)
        .await
        .unwrap();
    assert_eq!((*first.value, first.stale), (1, false));
    let again = cache
        .get_or_fetch(&key("ada"), counted(&fetches, Ok(2)), &Words)
        .await
        .unwrap();
    assert_eq!((*again.value, again.stale), (1, false));
    assert_eq!(fetches.load(Ordering::SeqCst), 1);
    // Concurrent misses share one fetch.
    let shared = Arc::new(AtomicU32::new(0));
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let (cache, shared) = (cache.clone(), shared.clone());
            tokio::spawn(async move {
                let fetch = async move {
                    shared.fetch_add(1, Ordering::SeqCst);
                    tokio::task::yield_now().await;
                    Ok(7)
                };
                *cache
                    .get_or_fetch(&"grace".to_owned(), fetch, &Words)
                    .await
                    .unwrap()
                    .value
            })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.unwrap(), 7);
    }
    assert_eq!(shared.load(Ordering::SeqCst), 1, "one fetch for twenty");
    // A refusal is remembered: answered again without fetching.
    let refused = cache
        .get_or_fetch(
            &key("mallory"),
            counted(&fetches, Err("refused".into())),
            &Words,
        )
        .await
        .unwrap_err();
    assert_eq!(refused, "refused");
    let remembered = cache
        .get_or_fetch(&key("mallory"), counted(&fetches, Ok(3)), &Words)
        .await
        .unwrap_err();
    assert_eq!(remembered, "refused, remembered");
    assert_eq!(fetches.load(Ordering::SeqCst), 2);
    // A failure the policy covers is answered with the last value, stale; one it does not,
    // or with no value to fall back on, is answered as it is. (A TTL of zero: every value has
    // expired by the next request.)
    let expired: Numbers = backing.cache("contract-expired", Duration::ZERO, 100);
    expired
        .get_or_fetch(&key("ada"), counted(&fetches, Ok(5)), &Words)
        .await
        .unwrap();
    let stale = expired
        .get_or_fetch(&key("ada"), counted(&fetches, Err("busy".into())), &Words)
        .await
        .unwrap();
    assert_eq!((*stale.value, stale.stale), (5, true));
    let down = expired
        .get_or_fetch(&key("ada"), counted(&fetches, Err("down".into())), &Words)
        .await
        .unwrap_err();
    assert_eq!(down, "down");
    let nothing = expired
        .get_or_fetch(&key("grace"), counted(&fetches, Err("busy".into())), &Words)
        .await
        .unwrap_err();
    assert_eq!(nothing, "busy");
}

async fn invalidation_contract(backing: &Backing) {
    let cache: Arc<Numbers> = Arc::new(backing.cache("contract-invalidation", MINUTE, 100));
    let fetches = AtomicU32::new(0);
    let ada = "ada".to_owned();
    cache
        .get_or_fetch(&ada, counted(&fetches, Ok(1)), &Words)
        .await
        .unwrap();
    // After an invalidation the next request fetches anew.
    cache.invalidate(&ada).await.unwrap();
    let hit = cache
        .get_or_fetch(&ada, counted(&fetches, Ok(2)), &Words)
        .await
        .unwrap();
    assert_eq!(*hit.value, 2);
    assert_eq!(fetches.load(Ordering::SeqCst), 2);
    // A fetch in flight when an invalidation comes answers its own request, but what it read
    // before the invalidation is not kept: the next request fetches again.
    let grace = "grace".to_owned();
    let (started, fetching) = oneshot::channel();
    let (finish, finished) = oneshot::channel::<()>();
    let in_flight = {
        let (cache, grace) = (cache.clone(), grace.clone());
        tokio::spawn(async move {
            let fetch = async move {
                started.send(()).unwrap();
                finished.await.unwrap();
                Ok(3)
            };
            *cache
                .get_or_fetch(&grace, fetch, &Words)
                .await
                .unwrap()
                .value
        })
    };
    fetching.await.unwrap();
    cache.invalidate(&grace).await.unwrap();
    finish.send(()).unwrap();
    assert_eq!(in_flight.await.unwrap(), 3);
    let after = cache
        .get_or_fetch(&grace, counted(&fetches, Ok(4)), &Words)
        .await
        .unwrap();
    assert_eq!(
        *after.value, 4,
        "the value read before the invalidation was kept"
    );
}

#[tokio::test]
async fn in_process_keeps_the_cache_store_contract() {
    cache_contract(&Backing::InProcess).await;
}

#[tokio::test]
async fn redis_keeps_the_cache_store_contract() {
    let (_server, backing) = redis().await;
    cache_contract(&backing).await;
}

#[tokio::test]
async fn in_process_keeps_the_invalidation_contract() {
    invalidation_contract(&Backing::InProcess).await;
}

#[tokio::test]
async fn redis_keeps_the_invalidation_contract() {
    let (_server, backing) = redis().await;
    invalidation_contract(&backing).await;
}
