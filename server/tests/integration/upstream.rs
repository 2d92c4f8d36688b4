//! The server against the sandbox over loopback HTTP: what each kind of user costs upstream,
//! paging, and every injected fault ending in a session, a stale session or the right error.
//!
//! Everything runs in one runtime on tokio's paused clock: a stall, a timeout or a cache's
//! lifetime takes no real time (the clock jumps when every task waits), and "8 to 13 seconds"
//! is measured on that clock.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::time::Duration;

use tokio::time::Instant;

use common::{
    add_referral, all_referral_ids, calls, faults, get_session, referral_ids, reset_calls, sandbox,
    seed, server_for, token,
};
use referrer_dashboard_server::Overrides;
use referrer_dashboard_server::sandbox::Sandbox;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};

/// A sandbox with `fault` injected, and a server in front of it.
async fn with_fault(fault: Value) -> (Sandbox, String) {
    let sandbox = sandbox().await;
    let base = server_for(&sandbox, &[], Overrides::default()).await;
    faults(&sandbox, fault).await;
    (sandbox, base)
}

/// Ada's session (the sandbox's seeded referrer with 37 referrals).
async fn ada(base: &str) -> (u16, HeaderMap, Value) {
    get_session(base, Some(&token("u-ada", "ada@example.com")), "").await
}

#[tokio::test(start_paused = true)]
async fn a_new_user_is_searched_then_created_in_two_calls() {
    let sandbox = sandbox().await;
    let base = server_for(&sandbox, &[], Overrides::default()).await;
    let (status, _, body) =
        get_session(&base, Some(&token("u-new", "newcomer@example.org")), "").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["stats"],
        json!({"reach": 0, "referrals": 0, "qualified": 0})
    );
    assert!(body["referrer"]["link"].as_str().unwrap().contains("/r/"));
    assert_eq!(body["referrals"], json!({"items": [], "next": null}));
    assert_eq!(calls(&sandbox).await, ["search", "create"]);
}

#[tokio::test(start_paused = true)]
async fn a_user_already_on_the_platform_is_found_and_read_in_three_calls() {
    let sandbox = sandbox().await;
    let base = server_for(&sandbox, &[], Overrides::default()).await;
    let (status, _, body) = ada(&base).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["stats"]["referrals"], 37);
    assert_eq!(
        calls(&sandbox).await,
        ["search", "get", "search"],
        "email search, user, referrals"
    );
}

#[tokio::test(start_paused = true)]
async fn a_returning_user_costs_two_calls_and_no_search_by_email() {
    let sandbox = sandbox().await;
    let db = std::env::temp_dir().join(format!("rd-returning-{}.sqlite3", std::process::id()));
    let _ = std::fs::remove_file(&db);
    let db_arg = db.to_string_lossy().into_owned();
    let first = server_for(&sandbox, &["--db", &db_arg], Overrides::default()).await;
    let token = token("u-ada", "ada@example.com");
    assert_eq!(get_session(&first, Some(&token), "").await.0, 200);
    // A second instance (fresh cache, same database) sees a returning user.
    reset_calls(&sandbox).await;
    let second = server_for(&sandbox, &["--db", &db_arg], Overrides::default()).await;
    let (status, _, body) = get_session(&second, Some(&token), "").await;
    assert_eq!(status, 200);
    assert_eq!(body["stats"]["referrals"], 37);
    assert_eq!(
        calls(&sandbox).await,
        ["get", "search"],
        "user with analytics, then referrals"
    );
    let _ = std::fs::remove_file(&db);
}

#[tokio::test(start_paused = true)]
async fn repeated_and_concurrent_requests_share_one_fetch() {
    let sandbox = sandbox().await;
    let base = server_for(&sandbox, &[], Overrides::default()).await;
    let token = token("u-linus", "linus@example.com");
    let requests = (0..20).map(|_| get_session(&base, Some(&token), ""));
    for (status, _, _) in futures::future::join_all(requests).await {
        assert_eq!(status, 200);
    }
    // One build: email search, user, and the 260 referrals in two pages of 250.
    assert_eq!(calls(&sandbox).await.len(), 4, "twenty requests, one build");
}

#[tokio::test(start_paused = true)]
async fn a_create_race_is_resolved_by_searching_again() {
    let sandbox = sandbox().await;
    let base = server_for(&sandbox, &[], Overrides::default()).await;
    // The create succeeds upstream but answers 422, as if another client had created the user.
    faults(&sandbox, json!({"create_conflict": 1})).await;
    let (status, _, body) =
        get_session(&base, Some(&token("u-race", "race@example.org")), "").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["stats"]["referrals"], 0);
    // The list is read even though the counts say 0: counts may be wrong or missing.
    assert_eq!(
        calls(&sandbox).await,
        ["search", "create", "search", "get", "search"]
    );
}

#[tokio::test(start_paused = true)]
async fn paging_reaches_the_last_of_ten_thousand_referrals() {
    let sandbox = sandbox().await;
    let base = server_for(
        &sandbox,
        &["--requests-per-min", "100000"],
        Overrides::default(),
    )
    .await;
    seed(&sandbox, "big@example.org", 10_000, 2_500).await;
    reset_calls(&sandbox).await;
    let ids = all_referral_ids(&base, &token("u-big", "big@example.org")).await;
    assert_eq!(ids.len(), 10_000);
    let numbers: Vec<u64> = ids.iter().map(|id| id[2..].parse().unwrap()).collect();
    assert!(
        numbers.windows(2).all(|w| w[0] > w[1]),
        "newest first, no repeats"
    );
    let routes = calls(&sandbox).await;
    // Email search, user, then each of the 40 API pages of 250 exactly once (page cache).
    assert_eq!(routes.len(), 2 + 40, "{routes:?}");
}

#[tokio::test(start_paused = true)]
async fn referrals_that_arrive_while_paging_do_not_shift_the_next_page() {
    let sandbox = sandbox().await;
    let base = server_for(&sandbox, &[], Overrides::default()).await;
    let ada = token("u-ada", "ada@example.com");
    let (status, _, first) = get_session(&base, Some(&ada), "").await;
    assert_eq!(status, 200, "{first}");
    let cursor = first["referrals"]["next"].as_str().unwrap().to_owned();
    // Three people sign up through Ada's link while she reads her first page; her cached list
    // runs out (the default 60 s), so the next page is cut from the list read again.
    for name in ["Ana", "Ben", "Cy"] {
        add_referral(&sandbox, 1, name).await;
    }
    tokio::time::advance(Duration::from_secs(61)).await;
    let (status, _, next) = get_session(&base, Some(&ada), &format!("?cursor={cursor}")).await;
    assert_eq!(status, 200, "{next}");
    // The next page goes on where the first ended: every one of the 37 once, in order, none
    // of the first page again (the new ones, at the top, shift the list by three).
    let mut ids = referral_ids(&first);
    ids.extend(referral_ids(&next));
    let expected: Vec<String> = (2..=38).rev().map(|id| format!("r_{id}")).collect();
    assert_eq!(ids, expected);
    assert!(next["referrals"]["next"].is_null(), "{next}");
    // A new session shows the new ones first.
    let (_, _, fresh) = get_session(&base, Some(&ada), "").await;
    assert_eq!(fresh["stats"]["referrals"], 40);
    let names: Vec<&str> = fresh["referrals"]["items"].as_array().unwrap()[..3]
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Cy L.", "Ben L.", "Ana L."]);
}

#[tokio::test(start_paused = true)]
async fn a_5xx_is_retried_into_a_session() {
    let (sandbox, base) = with_fault(json!({"status": 503, "count": 2})).await;
    let (status, _, body) = ada(&base).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["stats"]["referrals"], 37);
    assert_eq!(
        calls(&sandbox).await.len(),
        5,
        "two failed attempts, then search, get, search"
    );
}

#[tokio::test(start_paused = true)]
async fn a_429_is_never_retried_and_without_retry_after_pauses_every_call_for_a_minute() {
    let (sandbox, base) = with_fault(json!({"status": 429, "count": 1})).await;
    let (status, headers, body) = ada(&base).await;
    assert_eq!(status, 429, "{body}");
    assert_eq!(body["error"]["type"], "rate_limit");
    let retry_after: u64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((55..=60).contains(&retry_after), "{retry_after}");
    assert_eq!(calls(&sandbox).await.len(), 1, "not retried");
    // The fault is used up, but the pause holds for everyone.
    let (status, _, _) = get_session(&base, Some(&token("u-grace", "grace@example.com")), "").await;
    assert_eq!(status, 429);
    assert_eq!(calls(&sandbox).await.len(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_hostile_retry_after_is_capped_at_ten_minutes() {
    let (sandbox, base) =
        with_fault(json!({"status": 429, "retry_after": 99_999_999_999u64, "count": 1})).await;
    let (status, headers, _) = ada(&base).await;
    assert_eq!(status, 429);
    let retry_after: u64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((590..=600).contains(&retry_after), "{retry_after}");
    assert_eq!(calls(&sandbox).await.len(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_429_with_a_long_retry_after_is_a_rate_limit_answer_and_pauses_everyone() {
    let (sandbox, base) = with_fault(json!({"status": 429, "retry_after": 120, "count": 1})).await;
    let (status, headers, body) = ada(&base).await;
    assert_eq!(status, 429);
    assert_eq!(body["error"]["type"], "rate_limit");
    let retry_after: u64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(retry_after >= 60, "{retry_after}");
    // Another user is held back too: no further call reaches the platform for now.
    let (status, _, _) = get_session(&base, Some(&token("u-grace", "grace@example.com")), "").await;
    assert_eq!(status, 429);
    assert_eq!(calls(&sandbox).await.len(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_stalled_answer_times_out_and_the_retry_succeeds() {
    let (_sandbox, base) =
        with_fault(json!({"stall_ms": 25_000, "stall_count": 1, "routes": ["get"]})).await;
    let started = Instant::now();
    let (status, _, body) = ada(&base).await;
    assert_eq!(status, 200, "{body}");
    let took = started.elapsed();
    assert!(
        took >= Duration::from_secs(8) && took < Duration::from_secs(13),
        "{took:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_stall_on_every_attempt_ends_in_a_timeout_answer_not_a_hang() {
    let (_sandbox, base) = with_fault(json!({"stall_ms": 30_000, "stall_count": 10})).await;
    let started = Instant::now();
    let (status, _, body) = ada(&base).await;
    assert_eq!(status, 504, "{body}");
    assert_eq!(body["error"]["type"], "server");
    assert!(
        started.elapsed() < Duration::from_secs(14),
        "answered within the deadline"
    );
}

#[tokio::test(start_paused = true)]
async fn a_truncated_body_is_retried_into_a_session() {
    let (_sandbox, base) = with_fault(json!({"malformed": 1})).await;
    let (status, _, body) = ada(&base).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["stats"]["referrals"], 37);
}

#[tokio::test(start_paused = true)]
async fn wrong_types_and_missing_fields_still_give_a_correct_session() {
    let sandbox = sandbox().await;
    let base = server_for(&sandbox, &[], Overrides::default()).await;
    // Numbers as strings everywhere, optional fields (meta, sharing, dates, one counter) gone.
    faults(&sandbox, json!({"wrong_types": true})).await;
    let (status, _, body) = ada(&base).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["stats"],
        json!({"reach": 1204, "referrals": 37, "qualified": 0})
    );
    let items = body["referrals"]["items"].as_array().unwrap();
    assert_eq!(items.len(), 25);
    assert!(
        items.iter().all(|i| i.get("joined_at").is_none()),
        "missing dates are omitted, not invented"
    );
}

#[tokio::test(start_paused = true)]
async fn when_the_platform_fails_after_a_good_session_the_last_one_is_served_stale() {
    let sandbox = sandbox().await;
    let ttl = Duration::from_millis(300);
    let base = server_for(
        &sandbox,
        &[],
        Overrides {
            ttl: Some(ttl),
            ..Overrides::default()
        },
    )
    .await;
    let token = token("u-ada", "ada@example.com");
    let (status, _, fresh) = get_session(&base, Some(&token), "").await;
    assert_eq!(status, 200);
    assert!(fresh.get("stale").is_none());
    faults(&sandbox, json!({"status": 500, "count": 100})).await;
    // Let the cached session's lifetime run out.
    tokio::time::advance(ttl).await;
    let (status, _, stale) = get_session(&base, Some(&token), "").await;
    assert_eq!(status, 200, "{stale}");
    assert_eq!(stale["stale"], true);
    assert_eq!(stale["stats"], fresh["stats"]);
}

#[tokio::test(start_paused = true)]
async fn a_refused_key_is_a_server_error_without_stale_cover() {
    let sandbox = sandbox().await;
    let ttl = Duration::from_millis(300);
    let base = server_for(
        &sandbox,
        &[],
        Overrides {
            ttl: Some(ttl),
            ..Overrides::default()
        },
    )
    .await;
    faults(&sandbox, json!({"status": 401, "count": 1})).await;
    let (status, _, body) = ada(&base).await;
    assert_eq!(status, 502);
    assert_eq!(
        body["error"],
        json!({"type": "server", "message": "the referral service is unavailable"})
    );
    assert_eq!(calls(&sandbox).await.len(), 1, "4xx is not retried");
}

#[tokio::test(start_paused = true)]
async fn a_user_deleted_upstream_is_looked_up_again() {
    let sandbox = sandbox().await;
    let base = server_for(
        &sandbox,
        &[],
        Overrides {
            ttl: Some(Duration::from_millis(200)),
            ..Overrides::default()
        },
    )
    .await;
    let token = token("u-ada", "ada@example.com");
    assert_eq!(get_session(&base, Some(&token), "").await.0, 200);
    tokio::time::advance(Duration::from_millis(200)).await;
    reset_calls(&sandbox).await;
    faults(
        &sandbox,
        json!({"status": 404, "count": 1, "routes": ["get"]}),
    )
    .await;
    let (status, _, body) = get_session(&base, Some(&token), "").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(calls(&sandbox).await, ["get", "search", "get", "search"]);
}

#[tokio::test(start_paused = true)]
async fn one_identity_flooding_the_endpoint_is_limited_and_others_are_not() {
    let sandbox = sandbox().await;
    let base = server_for(
        &sandbox,
        &["--requests-per-min", "10"],
        Overrides::default(),
    )
    .await;
    let flood = token("u-flood", "ada@example.com");
    let mut statuses = Vec::new();
    for _ in 0..8 {
        statuses.push(get_session(&base, Some(&flood), "").await.0);
    }
    assert_eq!(&statuses[..5], [200; 5], "a burst of half the limit passes");
    assert!(statuses[5..].iter().all(|s| *s == 429), "{statuses:?}");
    let (status, _, _) = get_session(&base, Some(&token("u-other", "grace@example.com")), "").await;
    assert_eq!(status, 200);
}
