//! Upstream calls per case with rewards (SPEC §6 "Rewards"): the account-wide reads (the
//! campaign and the reward definitions, once an hour), a new user, a new user already on the
//! platform, and a returning user's refresh, with one, two and three reward metrics in use, and
//! with `DASHBOARD_REWARDS=off`. Against the in-process sandbox on loopback with its demo
//! rewards, so the time is the server's own work plus local HTTP, not the platform's latency.
//!
//! `cargo xtask bench` runs it; so does `cargo bench -p referrer-dashboard-server --bench rewards`.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::time::{Duration, Instant};

use clap::Parser;
use referrer_dashboard_server::budget::{Budget, Window};
use referrer_dashboard_server::config::Config;
use referrer_dashboard_server::dashboard::SessionBuilder;
use referrer_dashboard_server::identity::Identity;
use referrer_dashboard_server::sandbox::{self, Sandbox};
use referrer_dashboard_server::{Overrides, backend};
use serde_json::{Value, json};

const KEY: &str = "rf_bench_key";

/// The session and cache lifetime here: short, so a refresh finds the referrer's data expired
/// (the account-wide data is kept an hour whatever this is).
const TTL: Duration = Duration::from_millis(300);

fn who(subject: &str, email: &str) -> Identity {
    Identity {
        subject: subject.into(),
        email: email.into(),
        name: Some("Bench".into()),
        email_verified: true,
    }
}

async fn define(sandbox: &Sandbox, definitions: Value) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let url = format!("http://{}/__sandbox/rewards/definitions", sandbox.addr());
    let response = reqwest::Client::new()
        .post(url)
        .bearer_auth(sandbox.key())
        .json(&definitions)
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success());
}

async fn world(name: &str, definitions: Option<Value>, rewards: &str) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let options = sandbox::Options {
        key: KEY.into(),
        campaign_id: 1,
        seeds: sandbox::data::demo_seeds(),
    };
    let sandbox = Sandbox::spawn(listener, options).await.unwrap();
    if let Some(definitions) = definitions {
        define(&sandbox, definitions).await;
    }
    let url = sandbox.api_url().to_string();
    let config = Config::try_parse_from([
        "bench",
        "--api-key",
        KEY,
        "--api-url",
        &url,
        "--campaign-id",
        "1",
        "--jwt-secret",
        "bench-secret-bench-secret-bench-secret",
        "--db",
        ":memory:",
        "--rewards",
        rewards,
        "--requests-per-min",
        "1000000",
        "--upstream-per-user-per-min",
        "1000000",
        "--new-users-per-min",
        "1000000",
    ])
    .unwrap();
    let overrides = Overrides {
        budget: Some(Budget::new(
            Window::new(1_000_000, Duration::from_secs(60), Duration::ZERO),
            Duration::from_secs(5),
        )),
        ttl: Some(TTL),
        ..Overrides::default()
    };
    let sessions = backend(&config, overrides).await.unwrap().sessions;
    let measure = async |dashboard: &SessionBuilder, what: &str, subject: &str, email: &str| {
        let before = sandbox.calls().len();
        let started = Instant::now();
        let session = dashboard.session(&who(subject, email)).await.unwrap();
        let took = started.elapsed();
        let calls: Vec<&str> = sandbox.calls()[before..].iter().map(|c| c.route).collect();
        let rewards = calls
            .iter()
            .filter(|r| **r == "rewards" || **r == "campaign")
            .count();
        println!(
            "| {name} | {what} | {} | {rewards} | {:.0} ms |",
            calls.len(),
            took.as_secs_f64() * 1000.0
        );
        assert!(session.referrer.is_some());
    };
    measure(
        &sessions,
        "first user of the hour (new, not on the platform)",
        "b-first",
        "first@example.org",
    )
    .await;
    measure(
        &sessions,
        "new user, not on the platform",
        "b-new",
        "new@example.org",
    )
    .await;
    measure(
        &sessions,
        "new user already on the platform (Ada)",
        "b-ada",
        "ada@example.com",
    )
    .await;
    tokio::time::sleep(TTL + Duration::from_millis(50)).await;
    measure(
        &sessions,
        "returning user's refresh (Ada)",
        "b-ada",
        "ada@example.com",
    )
    .await;
}

#[tokio::main]
async fn main() {
    println!(
        "| reward metrics in use | case | upstream calls | of which rewards and campaign | time (loopback) |"
    );
    println!("|---|---|---:|---:|---:|");
    let amount = json!({"metric": "amount", "currency": "usd", "amount": 20});
    let coupon = json!({"metric": "coupon"});
    world("one (amount)", Some(json!([amount])), "on").await;
    world("two (amount, coupon)", Some(json!([amount, coupon])), "on").await;
    world("three (the demo: amount, commission, coupon)", None, "on").await;
    world("rewards off", None, "off").await;
}
