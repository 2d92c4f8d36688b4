//! The backend against every world the platform's documentation leaves open: the same suite
//! (a new user, a returning user on another instance, referrers with 60 and with 600 referrals
//! paged to the end) once per sandbox dialect and for combinations of them, each judged against
//! the sandbox's own truth; in the default world the long list has 10,000 referrals, paged to
//! the end over HTTP (600 already spans several of the platform's pages in every world: three
//! of 250, or 24 of 25 where `per_page` is ignored). Then one test per dialect for the failure
//! it would have caused before the client stopped assuming: another user's account adopted, a
//! list cut short or repeated, an empty list, a refused search, a duplicate taken for a new
//! account.
//!
//! Every test runs on tokio's paused clock: waiting out a `Retry-After` takes no real time.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::collections::HashSet;
use std::time::Duration;

use common::{
    KEY, SECRET, all_referral_ids, calls, dialect, faults, get_session, http, now, reset_calls,
    sandbox, seed, server_for, token_with, unverified_token,
};
use referrer_dashboard_server::Overrides;
use referrer_dashboard_server::budget::{Budget, Window};
use referrer_dashboard_server::sandbox::Sandbox;
use serde_json::{Value, json};

/// Limits out of the way: a world where every search walks the campaign 25 rows at a time
/// needs hundreds of calls per list, which is the point of measuring it, not of refusing it.
const UNLIMITED: &[&str] = &[
    "--requests-per-min",
    "1000000",
    "--upstream-per-user-per-min",
    "1000000",
    "--new-users-per-min",
    "1000000",
];

/// A verified identity whose token outlives the slowest world (15 minutes, the most allowed).
fn token(sub: &str, email: &str) -> String {
    token_with(
        SECRET,
        json!({"sub": sub, "email": email, "email_verified": true, "exp": now() + 900}),
    )
}

fn unlimited_budget() -> Overrides {
    Overrides {
        budget: Some(Budget::new(
            Window::new(1_000_000, Duration::from_secs(60), Duration::ZERO),
            Duration::from_secs(5),
        )),
        ..Overrides::default()
    }
}

async fn server(sandbox: &Sandbox, db: Option<&str>) -> String {
    let mut args = UNLIMITED.to_vec();
    if let Some(db) = db {
        args.extend_from_slice(&["--db", db]);
    }
    server_for(sandbox, &args, unlimited_budget()).await
}

/// The platform's own record of a user, read from the sandbox with the key.
async fn platform_user(sandbox: &Sandbox, code: &str) -> Value {
    let url = format!("{}/users/{code}", sandbox.api_url());
    let body: Value = http()
        .get(url)
        .bearer_auth(KEY)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    body["data"].clone()
}

/// The ids a referrer seeded with `n` referrals has, newest first: the sandbox creates them
/// right after the referrer, oldest first.
fn seeded_newest_first(referrer: u64, n: u64) -> Vec<String> {
    (referrer + 1..=referrer + n)
        .rev()
        .map(|id| format!("r_{id}"))
        .collect()
}

/// The session of `who`, asked again as the widget would while the answer is "not yet" (a
/// 504 or 503 whose `Retry-After` says when): in the slowest worlds a long list can take longer
/// to read than a request may wait, and the read goes on in the background. (On the paused
/// clock the wait costs no real time.)
async fn settled(base: &str, who: &str) -> (u16, Value) {
    for _ in 0..30 {
        let (status, headers, body) = get_session(base, Some(who), "").await;
        if status != 504 && status != 503 {
            return (status, body);
        }
        let wait: u64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
        tokio::time::sleep(Duration::from_secs(wait)).await;
    }
    panic!("no answer after 30 attempts");
}

/// A session's referral list, all pages, checked for order and repeats.
async fn every_referral(base: &str, who: &str) -> Vec<String> {
    assert_eq!(settled(base, who).await.0, 200);
    let ids = all_referral_ids(base, who).await;
    let unique: HashSet<&String> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len(), "no referral listed twice");
    ids
}

/// The long list of most worlds: several of the platform's pages in each.
const LONG: u64 = 600;

/// The longest list, paged to its end in one world.
const LONGEST: u64 = 10_000;

/// The whole suite in one world, with a long list of `long` referrals (a quarter qualified).
async fn suite(world: Value, long: u64) {
    let sandbox = sandbox().await;
    dialect(&sandbox, world.clone()).await;
    let sixty = seed(&sandbox, "sixty@example.org", 60, 20).await;
    let big = seed(&sandbox, "big@example.org", long, long / 4).await;
    let dir = std::env::temp_dir().join(format!(
        "rd-dialect-{}-{}",
        std::process::id(),
        rand_suffix()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("map.sqlite3").to_string_lossy().into_owned();
    let base = server(&sandbox, Some(&db)).await;

    // A new user gets an account of their own: their email, no referrals.
    let newcomer = token("u-new", "New.Comer@example.org");
    let (status, body) = settled(&base, &newcomer).await;
    assert_eq!(status, 200, "{world}: {body}");
    assert_eq!(
        body["stats"],
        json!({"reach": 0, "referrals": 0, "qualified": 0}),
        "{world}"
    );
    assert_eq!(body["referrals"]["items"], json!([]), "{world}");
    let code = body["referrer"]["code"].as_str().unwrap();
    let account = platform_user(&sandbox, code).await;
    assert_eq!(
        account["email"], "new.comer@example.org",
        "{world}: its own account"
    );

    // A returning user, served by a second instance on the same database: no email search,
    // the right counts, and all 37 referrals newest first.
    let ada = token("u-ada", "ada@example.com");
    assert_eq!(settled(&base, &ada).await.0, 200, "{world}");
    reset_calls(&sandbox).await;
    let second = server(&sandbox, Some(&db)).await;
    let (status, body) = settled(&second, &ada).await;
    assert_eq!(status, 200, "{world}: {body}");
    assert_eq!(
        body["stats"],
        json!({"reach": 1204, "referrals": 37, "qualified": 12}),
        "{world}"
    );
    assert_eq!(
        calls(&sandbox).await[0],
        "get",
        "{world}: mapping used, no email search"
    );
    assert_eq!(
        every_referral(&second, &ada).await,
        seeded_newest_first(1, 37),
        "{world}"
    );

    // Referrers with 60 and with `long` referrals, paged to the end.
    let sixty_token = token("u-sixty", "sixty@example.org");
    assert_eq!(
        every_referral(&base, &sixty_token).await,
        seeded_newest_first(sixty, 60),
        "{world}"
    );
    let big_token = token("u-big", "big@example.org");
    let (status, body) = settled(&base, &big_token).await;
    assert_eq!(status, 200, "{world}: {body}");
    assert_eq!(body["stats"]["referrals"], long, "{world}");
    assert_eq!(body["stats"]["qualified"], long / 4, "{world}");
    assert_eq!(
        every_referral(&base, &big_token).await,
        seeded_newest_first(big, long),
        "{world}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

fn rand_suffix() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

#[tokio::test(start_paused = true)]
async fn the_default_dialect() {
    suite(json!({}), LONGEST).await;
}

#[tokio::test(start_paused = true)]
async fn filters_ignored() {
    suite(json!({"filters_ignored": true}), LONG).await;
}

#[tokio::test(start_paused = true)]
async fn string_filters_only() {
    suite(json!({"string_filters_only": true}), LONG).await;
}

#[tokio::test(start_paused = true)]
async fn links_only_paging() {
    suite(json!({"paging": "links_only"}), LONG).await;
}

#[tokio::test(start_paused = true)]
async fn cursor_paging() {
    suite(json!({"paging": "cursor"}), LONG).await;
}

#[tokio::test(start_paused = true)]
async fn per_page_ignored() {
    suite(json!({"per_page_ignored": true}), LONG).await;
}

#[tokio::test(start_paused = true)]
async fn descending_order() {
    suite(json!({"order": "desc"}), LONG).await;
}

#[tokio::test(start_paused = true)]
async fn random_order() {
    suite(json!({"order": "random"}), LONG).await;
}

#[tokio::test(start_paused = true)]
async fn analytics_missing() {
    suite(json!({"analytics_missing": true}), LONG).await;
}

#[tokio::test(start_paused = true)]
async fn duplicate_creates_answered_409() {
    suite(json!({"duplicate_create": "409"}), LONG).await;
}

#[tokio::test(start_paused = true)]
async fn duplicate_creates_answered_with_the_existing_account() {
    suite(json!({"duplicate_create": "200_existing"}), LONG).await;
}

#[tokio::test(start_paused = true)]
async fn the_worst_world_links_only_ascending_and_per_page_ignored() {
    suite(
        json!({"paging": "links_only", "order": "asc", "per_page_ignored": true}),
        LONG,
    )
    .await;
}

/// Every switch at once but `per_page_ignored`: with filters ignored as well, each list read
/// would walk the whole campaign 25 rows at a time (hundreds of calls per list), which the worst
/// world above and `per_page_ignored` alone already cover.
#[tokio::test(start_paused = true)]
async fn everything_else_unhelpful_at_once() {
    suite(
        json!({
            "filters_ignored": true, "string_filters_only": true, "paging": "cursor",
            "order": "random", "analytics_missing": true, "duplicate_create": "200_existing"
        }),
        LONG,
    )
    .await;
}

// What each dialect would have done to the client that assumed: one test each.

#[tokio::test(start_paused = true)]
async fn where_filters_are_ignored_no_one_gets_another_users_account() {
    let sandbox = sandbox().await;
    dialect(&sandbox, json!({"filters_ignored": true})).await;
    let base = server(&sandbox, None).await;
    // The first row of an unfiltered search is Ada: taking it would give Eve Ada's dashboard.
    let (status, _, body) = get_session(&base, Some(&token("u-eve", "eve@example.org")), "").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["stats"]["referrals"], 0);
    let account = platform_user(&sandbox, body["referrer"]["code"].as_str().unwrap()).await;
    assert_eq!(account["email"], "eve@example.org");
    // Grace's referral search returns every user: none of them are hers.
    let (_, _, body) = get_session(&base, Some(&token("u-grace", "grace@example.com")), "").await;
    assert_eq!(body["referrals"]["items"], json!([]));
}

#[tokio::test(start_paused = true)]
async fn where_per_page_is_ignored_every_referral_is_listed_once() {
    let sandbox = sandbox().await;
    dialect(&sandbox, json!({"per_page_ignored": true})).await;
    let base = server(&sandbox, None).await;
    let linus = token("u-linus", "linus@example.com");
    // Positions computed from the 250 asked for would repeat and skip referrals.
    // Ada (1) and her 37 referrals, Grace (39), then Linus (40) and his 260.
    assert_eq!(
        every_referral(&base, &linus).await,
        seeded_newest_first(40, 260)
    );
}

#[tokio::test(start_paused = true)]
async fn without_page_numbers_in_the_answer_the_list_is_read_to_its_end() {
    for paging in ["links_only", "cursor"] {
        let sandbox = sandbox().await;
        dialect(&sandbox, json!({"paging": paging})).await;
        let base = server(&sandbox, None).await;
        // Without meta.last_page, a client that assumed one page would stop at 250 of 260.
        let linus = token("u-linus", "linus@example.com");
        assert_eq!(every_referral(&base, &linus).await.len(), 260, "{paging}");
    }
}

#[tokio::test(start_paused = true)]
async fn in_any_order_the_newest_referrals_come_first() {
    for order in ["desc", "random"] {
        let sandbox = sandbox().await;
        dialect(&sandbox, json!({"order": order})).await;
        let base = server(&sandbox, None).await;
        let (_, _, body) = get_session(&base, Some(&token("u-ada", "ada@example.com")), "").await;
        let first: Vec<&str> = body["referrals"]["items"]
            .as_array()
            .unwrap()
            .iter()
            .take(3)
            .map(|i| i["id"].as_str().unwrap())
            .collect();
        assert_eq!(first, ["r_38", "r_37", "r_36"], "{order}");
    }
}

#[tokio::test(start_paused = true)]
async fn without_analytics_the_referrals_are_still_listed_and_counted() {
    let sandbox = sandbox().await;
    dialect(&sandbox, json!({"analytics_missing": true})).await;
    let base = server(&sandbox, None).await;
    let (status, _, body) = get_session(&base, Some(&token("u-ada", "ada@example.com")), "").await;
    assert_eq!(status, 200, "{body}");
    // Counts of 0 from a missing block would have skipped the list: an empty dashboard.
    assert_eq!(body["referrals"]["items"].as_array().unwrap().len(), 25);
    assert_eq!(
        body["stats"],
        json!({"reach": 1204, "referrals": 37, "qualified": 12})
    );
}

#[tokio::test(start_paused = true)]
async fn where_only_string_filter_values_are_taken_the_search_is_answered() {
    let sandbox = sandbox().await;
    dialect(&sandbox, json!({"string_filters_only": true})).await;
    let base = server(&sandbox, None).await;
    let (status, _, body) = get_session(&base, Some(&token("u-ada", "ada@example.com")), "").await;
    assert_eq!(status, 200, "{body}");
    assert!(calls(&sandbox).await.iter().all(|c| c != "refused"));
}

#[tokio::test(start_paused = true)]
async fn a_duplicate_create_answered_409_is_searched_again() {
    let sandbox = sandbox().await;
    dialect(&sandbox, json!({"duplicate_create": "409"})).await;
    let base = server(&sandbox, None).await;
    // The race: the search misses Ada (as if she signed up a moment later), the create finds her.
    faults(&sandbox, json!({"search_misses": 1})).await;
    let (status, _, body) = get_session(&base, Some(&token("u-ada", "ada@example.com")), "").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["stats"]["referrals"], 37);
    assert_eq!(
        calls(&sandbox).await,
        ["search", "create", "search", "get", "search"]
    );
}

#[tokio::test(start_paused = true)]
async fn a_create_answered_with_an_existing_account_is_not_a_new_account() {
    let sandbox = sandbox().await;
    dialect(&sandbox, json!({"duplicate_create": "200_existing"})).await;
    let base = server(&sandbox, None).await;
    // Taken for a new account, Ada's would go to anyone claiming her email, verified or not.
    faults(&sandbox, json!({"search_misses": 1})).await;
    let (status, _, body) = get_session(
        &base,
        Some(&unverified_token("u-eve", "ada@example.com")),
        "",
    )
    .await;
    assert_eq!(status, 403, "{body}");
    assert!(body.get("referrer").is_none());
    faults(&sandbox, json!({"search_misses": 1})).await;
    let (status, _, body) = get_session(&base, Some(&token("u-ada", "ada@example.com")), "").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["stats"]["referrals"], 37);
}

/// Upstream calls of the three cases the frugality contract names, in the best world and in
/// the worst that does not ignore filters (links-only paging, ascending, `per_page` ignored).
/// Counted by route: reading a long list may outlast a request (the answer is then a 504 and the
/// read goes on), and the retry reads the referrer again, so only the searches are exact then.
#[tokio::test(start_paused = true)]
async fn calls_per_case_in_the_best_and_the_worst_world() {
    for (world, returning_searches, big_searches) in [
        (json!({}), 1, 40),
        (
            json!({"paging": "links_only", "order": "asc", "per_page_ignored": true}),
            // 37 referrals in pages of 25: two pages.
            2,
            400,
        ),
    ] {
        let sandbox = sandbox().await;
        dialect(&sandbox, world.clone()).await;
        seed(&sandbox, "big@example.org", 10_000, 2_500).await;
        let dir =
            std::env::temp_dir().join(format!("rd-calls-{}-{}", std::process::id(), rand_suffix()));
        std::fs::create_dir_all(&dir).unwrap();
        let db = dir.join("map.sqlite3").to_string_lossy().into_owned();
        let first = server(&sandbox, Some(&db)).await;
        for (sub, email) in [("u-ada", "ada@example.com"), ("u-big", "big@example.org")] {
            assert_eq!(settled(&first, &token(sub, email)).await.0, 200);
        }
        let count = async |base: &str, who: String| {
            reset_calls(&sandbox).await;
            assert_eq!(settled(base, &who).await.0, 200);
            let routes = calls(&sandbox).await;
            let of = |route: &str| routes.iter().filter(|r| *r == route).count();
            (of("get"), of("search"), of("create"))
        };
        let again = server(&sandbox, Some(&db)).await;
        let new_user = count(&again, token("u-fresh", "fresh@example.org")).await;
        assert_eq!(
            new_user,
            (0, 1, 1),
            "{world}: a new user is searched and created"
        );
        let (gets, searches, _) = count(&again, token("u-ada", "ada@example.com")).await;
        assert_eq!(
            (gets, searches),
            (1, returning_searches),
            "{world}: returning"
        );
        let (gets, searches, _) = count(&again, token("u-big", "big@example.org")).await;
        assert!(gets >= 1, "{world}");
        assert_eq!(searches, big_searches, "{world}: 10,000 referrals");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
