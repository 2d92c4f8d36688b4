//! What webhooks save: 100 users each watching their dashboard for 10 minutes (the widget
//! refreshes every session lifetime, 60 s) while 20 referral events happen, spread over the
//! period, with and without webhooks. Counted by the sandbox (every upstream call), in time
//! compressed twelvefold (a 5 s session lifetime for 60 s, 50 s for 10 minutes), against the
//! real server over loopback HTTP, its webhook called by the sandbox itself.
//!
//! Also the delay from each event to the change on screen: the time from the event until the
//! next session that user's widget fetched shows it (scaled back to real time).
//!
//! `cargo xtask bench` runs it; so does `cargo bench -p referrer-dashboard-server --bench webhooks`.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use clap::Parser;
use referrer_dashboard_server::budget::{Budget, Window};
use referrer_dashboard_server::config::Config;
use referrer_dashboard_server::sandbox::{self, Sandbox};
use referrer_dashboard_server::{Overrides, build_with, serve};
use serde_json::{Value, json};
use tokio::sync::Mutex;

const KEY: &str = "rf_bench_key";
const SECRET: &str = "bench-secret-bench-secret-bench-secret";
const HOOK: &str = "bench-webhook-secret-bench-webhook-secret";
const USERS: usize = 100;
const EVENTS: usize = 20;
/// Real seconds per scaled second.
const SCALE: f64 = 12.0;
/// The session lifetime, scaled (60 s real).
const SESSION: Duration = Duration::from_secs(5);
/// How long each user watches, scaled (10 minutes real).
const WATCH: Duration = Duration::from_secs(50);

fn token(n: usize) -> String {
    use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
    let exp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 600;
    encode(
        &Header::new(Algorithm::HS256),
        &json!({"sub": format!("w-{n}"), "email": format!("watcher{n}@example.org"),
            "email_verified": true, "exp": exp}),
        &EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .unwrap()
}

/// One run's counts.
struct Outcome {
    /// Every upstream call.
    calls: usize,
    /// Of them, the calls made before every user had their first dashboard.
    first_loads: usize,
    /// Delays from event to screen, in real seconds.
    delays: Vec<f64>,
}

/// One run.
async fn run(webhooks: bool) -> Outcome {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let seeds = (0..USERS)
        .map(|n| sandbox::data::Seed {
            first_name: "Watcher".into(),
            last_name: format!("N{n}"),
            email: format!("watcher{n}@example.org"),
            reach: 10,
            referrals: 10,
            qualified: 3,
        })
        .collect();
    let options = sandbox::Options {
        key: KEY.into(),
        campaign_id: 1,
        seeds,
    };
    let sandbox = Sandbox::spawn(listener, options).await.unwrap();
    let url = sandbox.api_url().to_string();
    let mut args = vec![
        "bench",
        "--api-key",
        KEY,
        "--api-url",
        &url,
        "--campaign-id",
        "1",
        "--jwt-secret",
        SECRET,
        "--db",
        ":memory:",
        "--session-ttl-secs",
        "5",
        "--requests-per-min",
        "1000000",
        "--new-users-per-min",
        "1000000",
        "--upstream-per-user-per-min",
        "1000000",
        // The referral path's calls (rewards are measured in `benches/rewards.rs`).
        "--rewards",
        "off",
    ];
    if webhooks {
        // The default cache lifetime with webhooks, 15 minutes, scaled.
        args.extend_from_slice(&["--webhook-secret", HOOK, "--cache-ttl-secs", "75"]);
    }
    let config = Config::try_parse_from(args).unwrap();
    let overrides = Overrides {
        // Counting calls, not refusing them: the budget is not what is measured here.
        budget: Some(Budget::new(
            Window::new(1_000_000, Duration::from_secs(60), Duration::ZERO),
            Duration::from_secs(5),
        )),
        ..Overrides::default()
    };
    let app = build_with(&config, overrides).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(serve(listener, app.router, std::future::pending()));
    if webhooks {
        sandbox.point_webhooks(
            format!("{base}/api/referral-factory/webhook"),
            "X-Dashboard-Webhook-Secret",
            HOOK,
        );
    }
    let client = reqwest::Client::new();
    // Events: (scaled time, user, referral count the change brings), filled in as they happen.
    let events: Arc<Mutex<Vec<(Instant, usize, u64)>>> = Arc::default();
    let delays: Arc<Mutex<Vec<f64>>> = Arc::default();
    let start = Instant::now();
    let loaded = Arc::new(AtomicUsize::new(0));
    let first_loads = Arc::new(AtomicUsize::new(0));
    let mut watchers = Vec::new();
    for n in 0..USERS {
        let (client, base, events, delays) =
            (client.clone(), base.clone(), events.clone(), delays.clone());
        let (loaded, first_loads, counter) = (loaded.clone(), first_loads.clone(), sandbox.clone());
        watchers.push(tokio::spawn(async move {
            // Users open their dashboards over the first session lifetime.
            tokio::time::sleep(SESSION.mul_f64(n as f64 / USERS as f64)).await;
            let token = token(n);
            let mut seen = Vec::new();
            let mut first = true;
            while start.elapsed() < WATCH {
                let body: Value = client
                    .get(format!("{base}/api/referral-dashboard"))
                    .bearer_auth(&token)
                    .send()
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                // The last user to get a first dashboard counts the calls of the first loads.
                if first && loaded.fetch_add(1, Ordering::SeqCst) + 1 == USERS {
                    first_loads.store(counter.calls().len(), Ordering::SeqCst);
                }
                first = false;
                let referrals = body["stats"]["referrals"].as_u64().unwrap_or(0);
                for (at, user, count) in events.lock().await.iter() {
                    if *user == n && referrals >= *count && !seen.contains(count) {
                        seen.push(*count);
                        delays.lock().await.push(at.elapsed().as_secs_f64() * SCALE);
                    }
                }
                // The widget refreshes a tenth of the lifetime before `expires_at`.
                let expires = time::OffsetDateTime::parse(
                    body["expires_at"].as_str().unwrap(),
                    &time::format_description::well_known::Rfc3339,
                )
                .unwrap();
                let left = (expires - time::OffsetDateTime::now_utc()).as_seconds_f64();
                tokio::time::sleep(Duration::from_secs_f64((left * 0.9).max(0.2))).await;
            }
        }));
    }
    // Twenty events spread over the period, each a new lead of another user.
    let control = format!("http://{}/__sandbox/referrers", sandbox.addr());
    for e in 0..EVENTS {
        let at = WATCH.mul_f64((e as f64 + 0.5) / (EVENTS as f64 + 1.0));
        tokio::time::sleep(at.saturating_sub(start.elapsed())).await;
        let user = (e * 7) % USERS;
        // Seeded referrers are ids 1, 12, 23, ... (each followed by its 10 referrals).
        let id = 1 + user * 11;
        events
            .lock()
            .await
            .push((Instant::now(), user, 11 + e as u64 / USERS as u64));
        let added = client
            .post(format!("{control}/{id}/referrals"))
            .bearer_auth(sandbox.key())
            .json(&json!({"first_name": "New"}))
            .send()
            .await
            .unwrap();
        assert!(added.status().is_success(), "{}", added.status());
    }
    for watcher in watchers {
        watcher.await.unwrap();
    }
    let delays = delays.lock().await.clone();
    Outcome {
        calls: sandbox.calls().len(),
        first_loads: first_loads.load(Ordering::SeqCst),
        delays,
    }
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
}

#[tokio::main]
async fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    println!(
        "| webhooks | upstream calls | of them first loads | after the first loads | changes seen | delay median (s) | delay max (s) |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    let mut outcomes = Vec::new();
    for webhooks in [false, true] {
        let outcome = run(webhooks).await;
        let max = outcome.delays.iter().copied().fold(0.0, f64::max);
        println!(
            "| {} | {} | {} | {} | {}/{EVENTS} | {:.0} | {:.0} |",
            if webhooks { "on" } else { "off" },
            outcome.calls,
            outcome.first_loads,
            outcome.calls - outcome.first_loads,
            outcome.delays.len(),
            median(outcome.delays.clone()),
            max
        );
        outcomes.push(outcome);
    }
    let (off, on) = (&outcomes[0], &outcomes[1]);
    println!(
        "\n{:.1}x fewer calls with webhooks; {:.1}x fewer after the first loads",
        off.calls as f64 / on.calls.max(1) as f64,
        (off.calls - off.first_loads) as f64 / (on.calls - on.first_loads).max(1) as f64,
    );
}
