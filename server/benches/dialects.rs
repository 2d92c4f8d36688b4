//! Upstream calls and time per case in the best world (the platform pages with `meta`,
//! honours `per_page`) and the worst that still honours filters (links-only paging, ascending,
//! `per_page` ignored): a new user, a returning user, and a referrer with 10,000 referrals
//! whose whole list is read, sorted and then paged through from the cache. Against the
//! in-process sandbox on loopback, so the time is the server's own work plus local HTTP, not
//! the platform's latency (about 0.3 to 1 s a call: multiply the calls by that).
//!
//! `cargo xtask bench` runs it; so does `cargo bench -p referrer-dashboard-server --bench dialects`.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::time::{Duration, Instant};

use clap::Parser;
use referrer_dashboard_server::budget::{Budget, Window};
use referrer_dashboard_server::config::Config;
use referrer_dashboard_server::identity::Identity;
use referrer_dashboard_server::sandbox::{self, Sandbox};
use referrer_dashboard_server::{Overrides, backend};
use serde_json::{Value, json};

const KEY: &str = "rf_bench_key";

fn who(subject: &str, email: &str) -> Identity {
    Identity {
        subject: subject.into(),
        email: email.into(),
        name: Some("Bench".into()),
        email_verified: true,
    }
}

async fn control(sandbox: &Sandbox, path: &str, body: Value) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let url = format!("http://{}/__sandbox/{path}", sandbox.addr());
    let response = reqwest::Client::new()
        .post(url)
        .bearer_auth(sandbox.key())
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success());
}

async fn world(name: &str, dialect: Value) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let options = sandbox::Options {
        key: KEY.into(),
        campaign_id: 1,
        seeds: sandbox::data::demo_seeds(),
    };
    let sandbox = Sandbox::spawn(listener, options).await.unwrap();
    control(&sandbox, "dialect", dialect).await;
    let seed = json!({"first_name": "Big", "email": "big@example.org", "referrals": 10_000, "qualified": 2_500});
    control(&sandbox, "referrers", seed).await;
    let url = sandbox.api_url().to_string();
    let db = std::env::temp_dir().join(format!("rd-bench-{}-{name}.sqlite3", std::process::id()));
    let _ = std::fs::remove_file(&db);
    let db_arg = db.to_string_lossy().into_owned();
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
        &db_arg,
        "--requests-per-min",
        "1000000",
        "--upstream-per-user-per-min",
        "1000000",
        "--new-users-per-min",
        "1000000",
        // The referral path's calls (rewards are measured in `benches/rewards.rs`).
        "--rewards",
        "off",
    ])
    .unwrap();
    let instance = async || {
        let overrides = Overrides {
            budget: Some(Budget::new(
                Window::new(1_000_000, Duration::from_secs(60), Duration::ZERO),
                Duration::from_secs(5),
            )),
            ..Overrides::default()
        };
        backend(&config, overrides).await.unwrap().sessions
    };
    let first = instance().await;
    let measure = async |dashboard: &referrer_dashboard_server::dashboard::SessionBuilder,
                         what: &str,
                         subject: &str,
                         email: &str| {
        let before = sandbox.calls().len();
        let started = Instant::now();
        let session = dashboard.session(&who(subject, email)).await.unwrap();
        let took = started.elapsed();
        println!(
            "| {name} | {what} | {} | {:.0} ms |",
            sandbox.calls().len() - before,
            took.as_secs_f64() * 1000.0
        );
        session
    };
    measure(&first, "new user", "b-new", "new@example.org").await;
    measure(
        &first,
        "new user, already on the platform (37 referrals)",
        "b-ada",
        "ada@example.com",
    )
    .await;
    // A second instance on the same database: Ada returns, her link stored, no cache.
    let dashboard = instance().await;
    measure(
        &dashboard,
        "returning user (37 referrals)",
        "b-ada",
        "ada@example.com",
    )
    .await;
    let session = measure(
        &dashboard,
        "10,000 referrals, first session",
        "b-big",
        "big@example.org",
    )
    .await;
    let before = sandbox.calls().len();
    let started = Instant::now();
    let mut next = session.referrals.next.clone();
    let mut pages = 0;
    while let Some(cursor) = next {
        let page = dashboard
            .page(&who("b-big", "big@example.org"), &cursor)
            .await
            .unwrap();
        next = page.referrals.next;
        pages += 1;
    }
    println!(
        "| {name} | 10,000 referrals, the other {pages} pages | {} | {:.0} ms |",
        sandbox.calls().len() - before,
        started.elapsed().as_secs_f64() * 1000.0
    );
    let _ = std::fs::remove_file(&db);
}

#[tokio::main]
async fn main() {
    println!("| world | case | upstream calls | time (loopback) |");
    println!("|---|---|---:|---:|");
    world("best", json!({})).await;
    world(
        "worst",
        json!({"paging": "links_only", "order": "asc", "per_page_ignored": true}),
    )
    .await;
}
