//! The session cache at scale: the cost of a hit and of a miss (insert, with eviction once
//! full) with 1,000 and with 100,000 cached users. `cargo xtask bench` runs it; so does
//! `cargo bench -p referrer-dashboard-server --bench cache`.
//!
//! What it shows: a request's cache work does not grow with the number of users (the cache
//! before this one swept its whole map on every insert past 50,000 keys).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::time::{Duration, Instant};

use referrer_dashboard_server::cache::{Cache, Policy};

struct Never;

impl Policy<()> for Never {
    fn serve_stale(&self, (): &()) -> bool {
        false
    }
    fn cool_down(&self, (): &()) -> Option<Duration> {
        None
    }
    fn cooling(&self, (): &(), _: Duration) {}
}

/// A value the size of a typical session body.
fn session() -> Vec<u8> {
    vec![7; 4 * 1024]
}

async fn measure(users: usize, capacity: u64) -> (f64, f64) {
    let cache = Cache::<String, Vec<u8>, ()>::new(Duration::from_secs(3600), capacity);
    let keys: Vec<String> = (0..users).map(|i| format!("subject-{i}")).collect();
    for key in &keys {
        cache
            .get_or_fetch(key, async { Ok(session()) }, &Never)
            .await
            .unwrap();
    }
    // Hits: every key once more, in a scrambled order.
    let rounds = 200_000;
    let started = Instant::now();
    for i in 0..rounds {
        let key = &keys[(i * 7_919) % users];
        cache
            .get_or_fetch(key, async { Ok(session()) }, &Never)
            .await
            .unwrap();
    }
    let hit = started.elapsed().as_nanos() as f64 / rounds as f64;
    // Misses: new users arriving into a full cache.
    let misses = 50_000;
    let started = Instant::now();
    for i in 0..misses {
        let key = format!("newcomer-{i}");
        cache
            .get_or_fetch(&key, async { Ok(session()) }, &Never)
            .await
            .unwrap();
    }
    let miss = started.elapsed().as_nanos() as f64 / misses as f64;
    (hit, miss)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    println!("| cached users | hit (µs) | miss + insert, evicting (µs) |");
    println!("|---:|---:|---:|");
    for users in [1_000usize, 100_000] {
        // The capacity of the session cache: full at 100,000 users.
        let (hit, miss) = measure(users, 100_000).await;
        println!("| {users} | {:.2} | {:.2} |", hit / 1_000.0, miss / 1_000.0);
    }
}
