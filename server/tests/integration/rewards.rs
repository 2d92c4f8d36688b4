//! What the referrer has earned (SPEC §5 `rewards`/`program`, §6 "Rewards"), against the
//! sandbox over real HTTP: the calls each case costs, the session's rewards in every state, a
//! platform that ignores the rewards filter, rewards routes that fail, stall, send garbage or
//! do not exist, the webhooks that drop cached rewards (one instance, and three on Redis),
//! `DASHBOARD_REWARDS=off`, and the program's state.
//!
//! In-process tests run on tokio's paused clock (a stalled route is waited out without
//! waiting); the one with instances of the binary runs on the real clock.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::time::Duration;

use common::{
    calls, control, delivered, dialect, faults, get_session, http, reset_calls, sandbox,
    server_for, token,
};
use referrer_dashboard_server::Overrides;
use referrer_dashboard_server::sandbox::Sandbox;
use serde_json::{Value, json};

const HOOK_SECRET: &str = "webhook-secret-webhook-secret-0123456789";

/// Ada, the sandbox's first demo referrer.
const ADA_ID: u64 = 1;

fn ada() -> String {
    token("u-ada", "ada@example.com")
}

/// POSTs `body` to the sandbox's control route `path`; returns the answer's JSON.
async fn post(sandbox: &Sandbox, path: &str, body: Value) -> Value {
    let response = control(sandbox, reqwest::Method::POST, path)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(
        response.status().is_success(),
        "{path}: {}",
        response.status()
    );
    response.json().await.unwrap_or(Value::Null)
}

/// A server with rewards on (the default; the shared helpers turn them off) and `extra`.
async fn server(sandbox: &Sandbox, extra: &[&str]) -> String {
    let mut args = vec!["--rewards", "on"];
    args.extend_from_slice(extra);
    server_for(sandbox, &args, Overrides::default()).await
}

/// Ada's session, which must be a 200.
async fn ada_session(base: &str) -> Value {
    let (status, _, body) = get_session(base, Some(&ada()), "").await;
    assert_eq!(status, 200, "{body}");
    body
}

/// `(currency, amount)` of a sums list.
fn sums(list: &Value) -> Vec<(String, f64)> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["currency"].as_str().unwrap().to_owned(),
                s["amount"].as_f64().unwrap(),
            )
        })
        .collect()
}

fn count(routes: &[String], route: &str) -> usize {
    routes.iter().filter(|r| *r == route).count()
}

#[tokio::test(start_paused = true)]
async fn a_returning_users_refresh_costs_four_calls_with_one_metric() {
    let sandbox = sandbox().await;
    post(
        &sandbox,
        "rewards/definitions",
        json!([{"metric": "amount", "currency": "usd", "amount": 20}]),
    )
    .await;
    let base = server(&sandbox, &[]).await;
    reset_calls(&sandbox).await;
    let first = ada_session(&base).await;
    let routes = calls(&sandbox).await;
    // Linking (search, get), the list, the account once an hour (campaign, 4 definitions),
    // and her rewards of the one metric (due, issued).
    assert_eq!(routes.len(), 10, "{routes:?}");
    assert_eq!(
        (count(&routes, "campaign"), count(&routes, "rewards")),
        (1, 6),
        "{routes:?}"
    );
    assert_eq!(
        sums(&first["rewards"]["earned"]),
        [("USD".to_owned(), 40.0)]
    );
    // The session expires (60 s); her refresh reads the user, the list, and her rewards.
    tokio::time::advance(Duration::from_secs(61)).await;
    reset_calls(&sandbox).await;
    ada_session(&base).await;
    let routes = calls(&sandbox).await;
    assert_eq!(routes.len(), 4, "{routes:?}");
    assert_eq!(count(&routes, "rewards"), 2, "{routes:?}");
    // A new user costs what it did: they cannot have rewards yet, the account is cached.
    reset_calls(&sandbox).await;
    let (status, _, fresh) = get_session(&base, Some(&token("u-new", "new@example.org")), "").await;
    assert_eq!(status, 200);
    assert_eq!(calls(&sandbox).await, ["search", "create"]);
    assert_eq!(
        fresh["rewards"],
        json!({"earned": [], "pending": [], "items": []})
    );
}

#[tokio::test(start_paused = true)]
async fn a_session_shows_rewards_in_every_state_and_currency_and_an_earned_coupon() {
    let sandbox = sandbox().await;
    let base = server(&sandbox, &[]).await;
    let body = ada_session(&base).await;
    let rewards = &body["rewards"];
    assert_eq!(
        sums(&rewards["earned"]),
        [("EUR".to_owned(), 15.0), ("USD".to_owned(), 40.0)],
        "sent and issued, and the one on its way"
    );
    assert_eq!(sums(&rewards["pending"]), [("USD".to_owned(), 32.5)]);
    let items = rewards["items"].as_array().unwrap();
    let statuses: Vec<&str> = items
        .iter()
        .map(|i| i["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        items.len(),
        8,
        "the cancelled reward is left out: {statuses:?}"
    );
    for status in ["pending", "on_its_way", "earned", "failed"] {
        assert!(statuses.contains(&status), "{status} in {statuses:?}");
    }
    let coupons: Vec<&str> = items.iter().filter_map(|i| i["coupon"].as_str()).collect();
    assert_eq!(coupons, ["THANKS-7Q2K"]);
    assert!(
        items
            .iter()
            .any(|i| i["kind"] == "commission" && i["amount"] == 0.0 && i["status"] == "pending"),
        "a commission being confirmed"
    );
    assert_eq!(body["program"], json!({"status": "live", "ends_at": null}));
    // The platform's internal reward names never reach a session.
    assert!(!body.to_string().contains("Internal reward"));
}

#[tokio::test(start_paused = true)]
async fn a_rewards_search_whose_filter_the_platform_ignores_shows_only_the_referrers_own_rewards() {
    let sandbox = sandbox().await;
    let honest = ada_session(&server(&sandbox, &[]).await).await;
    dialect(&sandbox, json!({"reward_filters_ignored": true})).await;
    let ignoring = ada_session(&server(&sandbox, &[]).await).await;
    assert_eq!(ignoring["rewards"], honest["rewards"]);
    let text = ignoring.to_string();
    assert!(
        !text.contains("LINUS-GIFT-20") && !text.contains("47.3"),
        "{text}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_failing_slow_or_malformed_rewards_route_leaves_the_rest_of_the_session_intact() {
    let sandbox = sandbox().await;
    let app = common::app_for(&sandbox, &["--rewards", "on"]).await;
    let off = server_for(&sandbox, &["--rewards", "off"], Overrides::default()).await;
    let expected = ada_session(&off).await;
    for (n, fault) in [
        json!({"status": 500, "count": 100, "routes": ["rewards"]}),
        json!({"stall_ms": 60_000, "stall_count": 100, "routes": ["rewards"]}),
        json!({"malformed": 100, "routes": ["rewards"]}),
    ]
    .into_iter()
    .enumerate()
    {
        faults(&sandbox, fault.clone()).await;
        let (status, _, body) = common::ask(&app.router, Some(&ada()), "").await;
        assert_eq!(status, 200, "{fault}: {body}");
        assert!(body.get("rewards").is_none(), "{fault}: {body}");
        assert_eq!(body["stats"], expected["stats"], "{fault}");
        assert_eq!(
            body["referrals"]["items"], expected["referrals"]["items"],
            "{fault}"
        );
        assert_eq!(
            body["referrer"]["link"], expected["referrer"]["link"],
            "{fault}"
        );
        assert_eq!(
            body["program"]["status"], "live",
            "{fault}: the campaign still answered"
        );
        assert_eq!(
            app.sessions.rewards_dropped(),
            n as u64 + 1,
            "{fault}: counted once"
        );
        control(&sandbox, reqwest::Method::DELETE, "faults")
            .send()
            .await
            .unwrap();
        // Past the remembered failure and the cache, the rewards are back.
        tokio::time::advance(Duration::from_secs(61)).await;
    }
    let (_, _, recovered) = common::ask(&app.router, Some(&ada()), "").await;
    assert_eq!(
        sums(&recovered["rewards"]["earned"]).len(),
        2,
        "{recovered}"
    );
    // And operations see it: /metrics counts the sessions sent without their rewards.
    let dropped = dropped_in_metrics(&app.router).await;
    assert!(dropped >= 3.0, "{dropped}");
}

/// `referrer_dashboard_session_parts_dropped_total{part="rewards"}` as `/metrics` renders it.
async fn dropped_in_metrics(router: &axum::Router) -> f64 {
    use tower::ServiceExt;
    let request = axum::http::Request::get("/metrics")
        .body(axum::body::Body::empty())
        .unwrap();
    let response = router.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), 200);
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap();
    let text = String::from_utf8(bytes.to_vec()).unwrap();
    text.lines()
        .find_map(|line| {
            line.strip_prefix("referrer_dashboard_session_parts_dropped_total{part=\"rewards\"} ")
        })
        .map_or(0.0, |v| v.parse().unwrap())
}

#[tokio::test(start_paused = true)]
async fn rewards_routes_answering_404_leave_rewards_out_and_cost_nothing_per_referrer() {
    let sandbox = sandbox().await;
    dialect(&sandbox, json!({"rewards_missing": true})).await;
    let base = server(&sandbox, &[]).await;
    let body = ada_session(&base).await;
    assert!(body.get("rewards").is_none(), "{body}");
    assert_eq!(body["stats"]["referrals"], 37);
    assert_eq!(body["program"]["status"], "live");
    // The account has no rewards feature: the answer is kept an hour, no referrer costs more.
    tokio::time::advance(Duration::from_secs(61)).await;
    reset_calls(&sandbox).await;
    ada_session(&base).await;
    assert_eq!(calls(&sandbox).await, ["get", "search"]);
}

#[tokio::test(start_paused = true)]
async fn rewards_off_makes_no_reward_or_campaign_call() {
    let sandbox = sandbox().await;
    let base = server_for(&sandbox, &["--rewards", "off"], Overrides::default()).await;
    reset_calls(&sandbox).await;
    let body = ada_session(&base).await;
    let (status, _, fresh) = get_session(&base, Some(&token("u-new", "new@example.org")), "").await;
    assert_eq!(status, 200);
    let routes = calls(&sandbox).await;
    assert!(
        !routes.iter().any(|r| r == "rewards" || r == "campaign"),
        "{routes:?}"
    );
    for session in [&body, &fresh] {
        assert!(session.get("rewards").is_none() && session.get("program").is_none());
    }
}

#[tokio::test(start_paused = true)]
async fn the_program_state_follows_the_campaign_and_its_dates() {
    let sandbox = sandbox().await;
    for (campaign, status, ends_at) in [
        (json!({"status": "paused"}), "paused", Value::Null),
        (json!({"status": "draft"}), "paused", Value::Null),
        (
            json!({"status": "launched", "starts_at": "2099-01-01"}),
            "not_started",
            Value::Null,
        ),
        (
            json!({"status": "launched", "ends_at": "2020-01-31 10:00:00"}),
            "ended",
            json!("2020-01-31T10:00:00Z"),
        ),
        (
            json!({"status": "launched", "ends_at": "2099-12-31T12:00:00+02:00"}),
            "live",
            json!("2099-12-31T10:00:00Z"),
        ),
    ] {
        post(&sandbox, "campaign", campaign.clone()).await;
        let body = ada_session(&server(&sandbox, &[]).await).await;
        assert_eq!(
            body["program"],
            json!({"status": status, "ends_at": ends_at}),
            "{campaign}"
        );
        assert!(body["referrer"]["link"].is_string(), "the link stays");
    }
}

/// A server with webhooks on (its cache lives 15 minutes), the sandbox's webhooks pointed at it.
async fn hooked(sandbox: &Sandbox) -> String {
    let base = server(sandbox, &["--webhook-secret", HOOK_SECRET]).await;
    post(
        sandbox,
        "webhooks",
        json!({"url": format!("{base}/api/referral-factory/webhook"),
            "headers": {"X-Dashboard-Webhook-Secret": HOOK_SECRET}}),
    )
    .await;
    base
}

#[tokio::test(start_paused = true)]
async fn a_reward_issued_or_a_lead_qualified_webhook_drops_the_cached_rewards() {
    let sandbox = sandbox().await;
    let base = hooked(&sandbox).await;
    let before = ada_session(&base).await;
    assert_eq!(
        sums(&before["rewards"]["pending"]),
        [("USD".to_owned(), 32.5)]
    );
    // A reward falls due on the platform: nothing tells the backend, the cache lives on.
    let due = post(
        &sandbox,
        "rewards/due",
        json!({"recipient_id": ADA_ID, "reward_id": 1}),
    )
    .await;
    assert_eq!(
        ada_session(&base).await["rewards"],
        before["rewards"],
        "still cached"
    );
    // It is issued: "a reward is issued" reaches the backend, which drops her rewards.
    post(
        &sandbox,
        &format!("rewards/{}/issue", due["id"]),
        json!({"status": "Sent"}),
    )
    .await;
    assert_eq!(delivered(&sandbox, 1).await, [202]);
    let issued = ada_session(&base).await;
    assert_eq!(
        sums(&issued["rewards"]["earned"]),
        [("EUR".to_owned(), 15.0), ("USD".to_owned(), 60.0)]
    );
    // Another falls due and a lead is qualified: "a lead is qualified" drops them too.
    post(
        &sandbox,
        "rewards/due",
        json!({"recipient_id": ADA_ID, "reward_id": 1}),
    )
    .await;
    let pending_lead = before["referrals"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["status"] == "pending")
        .unwrap()["id"]
        .as_str()
        .unwrap()[2..]
        .to_owned();
    post(
        &sandbox,
        &format!("referrals/{pending_lead}/qualify"),
        json!({}),
    )
    .await;
    assert_eq!(delivered(&sandbox, 2).await, [202, 202]);
    let qualified = ada_session(&base).await;
    assert_eq!(
        sums(&qualified["rewards"]["pending"]),
        [("USD".to_owned(), 52.5)]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_three_instances_on_redis_a_reward_webhook_to_one_drops_the_rewards_on_all() {
    use common::fleet::Fleet;
    let fleet = Fleet::start(
        3,
        &[
            ("DASHBOARD_WEBHOOK_SECRET", HOOK_SECRET),
            ("DASHBOARD_REWARDS", "on"),
        ],
    );
    for n in 0..3 {
        let (status, _, body) = fleet.get_on(n, &ada()).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(
            sums(&body["rewards"]["pending"]),
            [("USD".to_owned(), 32.5)]
        );
    }
    let added = fleet
        .control(reqwest::Method::POST, "rewards/due")
        .json(&json!({"recipient_id": ADA_ID, "reward_id": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(added.status(), 201);
    let hook = http()
        .post(format!(
            "{}/api/referral-factory/webhook",
            fleet.instances[0].base
        ))
        .header("X-Dashboard-Webhook-Secret", HOOK_SECRET)
        .json(&json!({"event": "reward_issued", "id": ADA_ID}))
        .send()
        .await
        .unwrap();
    assert_eq!(hook.status(), 202);
    let sent = std::time::Instant::now();
    for n in [1, 2, 0] {
        loop {
            let (_, _, body) = fleet.get_on(n, &ada()).await;
            if sums(&body["rewards"]["pending"]) == [("USD".to_owned(), 52.5)] {
                break;
            }
            assert!(
                sent.elapsed() < Duration::from_secs(1),
                "instance {n} still shows {} a second after the webhook",
                body["rewards"]["pending"]
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

#[test]
fn dashboard_rewards_is_on_by_default_and_takes_only_on_or_off() {
    use clap::Parser;
    use referrer_dashboard_server::config::Config;
    let parse = |extra: &[&str]| {
        let mut args = vec!["server", "--sandbox"];
        args.extend_from_slice(extra);
        Config::try_parse_from(args).map(|c| c.rewards)
    };
    assert!(parse(&[]).unwrap());
    assert!(!parse(&["--rewards", "off"]).unwrap());
    assert!(parse(&["--rewards", "on"]).unwrap());
    let refused = parse(&["--rewards", "no"]).unwrap_err().to_string();
    assert!(refused.contains("DASHBOARD_REWARDS"), "{refused}");
}
