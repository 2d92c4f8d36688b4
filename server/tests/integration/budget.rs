//! The upstream budget under a burst: 300 distinct new users and 3,000 requests at once against
//! a budget of 60 calls per window, with the window compressed from 60 s to 2 s. Judged by the
//! sandbox's own log of arrival times: no window of that length ever holds more than 60 calls,
//! and every request got a session or a rate-limit answer.
//!
//! The server, the sandbox and the clients share one runtime on tokio's paused clock, so the
//! windows are the budget's and the sandbox's own time, not the machine's: no margin is needed
//! for a call granted at one instant and counted at another, however busy the machine is.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::sync::Arc;
use std::time::Duration;

use common::{call_times, sandbox, server_for, token};
use referrer_dashboard_server::Overrides;
use referrer_dashboard_server::budget::{Budget, Window};
use tokio::sync::Semaphore;

const LIMIT: usize = 60;
const WINDOW: Duration = Duration::from_secs(2);
const USERS: usize = 300;
const REQUESTS: usize = 3_000;
/// Requests in flight at once: every user's first request together, so the budget's queue
/// (three windows) overflows and some are answered `rate_limit` (with fewer, on a clock that
/// only moves when every task waits, each would find room).
const CONCURRENCY: usize = USERS;

#[tokio::test(start_paused = true)]
async fn a_burst_never_exceeds_the_budget_in_any_window() {
    let sandbox = sandbox().await;
    // Queue up to three windows: enough that several windows are used, bounded so the test ends.
    let budget = Budget::new(
        Window::new(LIMIT as u32, WINDOW, Duration::ZERO),
        3 * WINDOW,
    );
    let base = server_for(
        &sandbox,
        // New users at any rate: this test is about the budget, not the rate of new identities.
        &[
            "--requests-per-min",
            "1000000",
            "--new-users-per-min",
            "1000000",
        ],
        Overrides {
            budget: Some(budget),
            // 300 connections at once from loopback, over the default cap per address: this
            // test is about the budget (connections.rs tests the cap).
            limits: referrer_dashboard_server::router::Limits {
                max_connections_per_address: 0,
                ..Default::default()
            },
            ..Overrides::default()
        },
    )
    .await;
    let client = common::http();
    let slots = Arc::new(Semaphore::new(CONCURRENCY));
    let tokens: Vec<String> = (0..USERS)
        .map(|i| token(&format!("burst-{i}"), &format!("burst-{i}@example.org")))
        .collect();
    let mut tasks = Vec::with_capacity(REQUESTS);
    for n in 0..REQUESTS {
        // Interleaved, so every user is asked for within the first 300 requests.
        let user = n % USERS;
        let token = tokens[user].clone();
        let (client, slots, url) = (
            client.clone(),
            slots.clone(),
            format!("{base}/api/referral-dashboard"),
        );
        tasks.push(tokio::spawn(async move {
            let _slot = slots.acquire_owned().await.unwrap();
            let response = client.get(url).bearer_auth(token).send().await.unwrap();
            let status = response.status().as_u16();
            let retry_after = response.headers().get("retry-after").is_some();
            let body: serde_json::Value = response.json().await.unwrap();
            (user, status, retry_after, body)
        }));
    }
    let (mut sessions, mut limited) = (0, 0);
    let mut served = std::collections::BTreeSet::new();
    for task in tasks {
        let (user, status, retry_after, body) = task.await.unwrap();
        match status {
            200 => {
                assert_eq!(body["version"], 1);
                sessions += 1;
                served.insert(user);
            }
            429 => {
                assert_eq!(body["error"]["type"], "rate_limit");
                assert!(retry_after, "a 429 says when to come back");
                limited += 1;
            }
            other => panic!("request answered {other}: {body}"),
        }
    }
    assert_eq!(sessions + limited, REQUESTS);

    let mut times = call_times(&sandbox).await;
    times.sort_by(f64::total_cmp);
    let window_ms = WINDOW.as_secs_f64() * 1000.0;
    let busiest = times
        .iter()
        .enumerate()
        .map(|(i, &start)| {
            times[i..]
                .iter()
                .take_while(|&&t| t < start + window_ms)
                .count()
        })
        .max()
        .unwrap_or(0);
    eprintln!(
        "{sessions} sessions, {limited} rate-limited, {} upstream calls, busiest {window_ms} ms window: {busiest}",
        times.len()
    );
    assert!(
        busiest <= LIMIT,
        "{busiest} calls in one window, budget {LIMIT}"
    );
    assert!(
        times.len() > 2 * LIMIT,
        "the burst used several windows ({} calls)",
        times.len()
    );
    assert!(sessions > 0 && limited > 0);
    // Builds reserve their first calls up front, so no call is spent on a half-done build: a new
    // user costs exactly two (search, create).
    assert_eq!(
        times.len(),
        2 * served.len(),
        "{} calls for {} users served",
        times.len(),
        served.len()
    );
}
