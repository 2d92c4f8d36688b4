//! The budget holds when Redis loses its state, whoever calls first (issue 23, item 3).
//!
//! Two instances share a real `redis-server` (started by the test): A spends the whole budget,
//! then the log is lost, and the first to ask is B, which never reserved before. Before, B
//! started a fresh window and the platform saw twice the budget in a second. Now whoever asks
//! first finds the log gone and pauses everyone for one window, and both instances report that
//! pause the same way, with the reason.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::sync::Arc;
use std::time::Duration;

use common::engines::Redis;
use referrer_dashboard_server::backing::Backing;
use referrer_dashboard_server::budget::{CallLog, Reserved, Window};

const BUDGET: u32 = 20;
const MINUTE: Duration = Duration::from_secs(60);

/// Two instances (each its own connection and log) on `server`.
async fn two_instances(server: &Redis) -> (Arc<dyn CallLog>, Arc<dyn CallLog>) {
    let window = || Window::new(BUDGET, MINUTE, Duration::ZERO);
    let a = Backing::connect(Some(&server.url())).await.unwrap();
    let b = Backing::connect(Some(&server.url())).await.unwrap();
    (a.call_log(window()), b.call_log(window()))
}

/// Runs a plain Redis command on `server`, as an operator (or an eviction) would.
async fn redis_command(server: &Redis, args: &[&str]) {
    let client = redis::Client::open(server.url()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let mut cmd = redis::cmd(args[0]);
    for arg in &args[1..] {
        cmd.arg(*arg);
    }
    let _: redis::Value = cmd.query_async(&mut conn).await.unwrap();
}

/// A spends the whole budget at once.
async fn spend_all(a: &Arc<dyn CallLog>) {
    match a.reserve(BUDGET as usize, Duration::ZERO).await.unwrap() {
        Reserved::Slots(slots) => assert_eq!(slots.len(), BUDGET as usize),
        other => panic!("A's budget: {other:?}"),
    }
}

/// B, which never reserved, asks first after the loss: paused a window; A is too; both report
/// the same pause, as a lost log.
async fn the_first_caller_pauses_everyone(a: &Arc<dyn CallLog>, b: &Arc<dyn CallLog>) {
    for (name, log) in [("B (never reserved)", b), ("A", a)] {
        match log.reserve(1, Duration::from_secs(5)).await.unwrap() {
            Reserved::Lost(wait) => assert!(
                wait > Duration::from_secs(55) && wait <= MINUTE,
                "{name}: {wait:?}"
            ),
            other => panic!("{name} was not paused after the loss: {other:?}"),
        }
    }
    for (name, log) in [("A", a), ("B", b)] {
        let pause = log.pause().await.unwrap().expect("a pause is reported");
        assert!(pause.lost, "{name}: {pause:?}");
        assert!(pause.left > Duration::from_secs(55), "{name}: {pause:?}");
    }
}

/// Before: 40 calls in 0.1 s with a budget of 20.
#[tokio::test]
async fn after_flushall_an_instance_that_never_reserved_pauses_everyone_one_window() {
    let server = Redis::start();
    let (a, b) = two_instances(&server).await;
    spend_all(&a).await;
    redis_command(&server, &["FLUSHALL"]).await;
    the_first_caller_pauses_everyone(&a, &b).await;
}

/// What `volatile-*` eviction or a lagging replica leaves: the logs gone, the marker kept.
#[tokio::test]
async fn with_the_logs_gone_and_the_marker_kept_the_first_caller_pauses_everyone() {
    let server = Redis::start();
    let (a, b) = two_instances(&server).await;
    spend_all(&a).await;
    redis_command(&server, &["DEL", "rd:budget:slots", "rd:budget:grants"]).await;
    the_first_caller_pauses_everyone(&a, &b).await;
}

/// Neither a new Redis nor a log that expired after a quiet spell is a lost one.
#[tokio::test]
async fn a_new_redis_and_a_log_idle_past_its_window_are_not_taken_for_lost() {
    let server = Redis::start();
    let (a, b) = two_instances(&server).await;
    assert!(matches!(
        b.reserve(1, Duration::ZERO).await.unwrap(),
        Reserved::Slots(_)
    ));
    assert_eq!(a.pause().await.unwrap(), None);
    // A short window, idle until its log expires (a window, the wait asked for, and a second).
    let short = Window::new(BUDGET, Duration::from_millis(100), Duration::ZERO);
    let backing = Backing::connect(Some(&server.url())).await.unwrap();
    redis_command(&server, &["FLUSHALL"]).await;
    redis_command(&server, &["SET", "rd:budget:marker", "0"]).await;
    let log = backing.call_log(short);
    assert!(matches!(
        log.reserve(1, Duration::ZERO).await.unwrap(),
        Reserved::Slots(_)
    ));
    tokio::time::sleep(Duration::from_millis(1_300)).await;
    match log.reserve(1, Duration::ZERO).await.unwrap() {
        Reserved::Slots(_) => {}
        other => panic!("an idle log is not a lost one: {other:?}"),
    }
}
