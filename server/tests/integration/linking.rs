//! Linking by what a call proves (issue 23, items 1 and 2; SPEC §6 "Identity and linking").
//!
//! An account counts as created for a subject only when this very call created it: whatever a
//! create hands back that already existed is an existing account, which only a verified email
//! may claim. Tried in every duplicate-create dialect of the sandbox, with and without the
//! search before the create missing the account (the creation race the backend expects).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use common::{
    KEY, dialect, faults, get_session, http, sandbox, server_for, token, unverified_token,
};
use referrer_dashboard_server::Overrides;
use referrer_dashboard_server::sandbox::Sandbox;
use serde_json::json;

/// Every way the sandbox can answer a create for an email it already has.
const DIALECTS: [&str; 4] = ["422", "409", "200_existing", "201_existing"];

/// Makes `email`'s account through another channel (the business's own integration, the
/// platform's sign-up form), just now, as the platform's API does.
async fn made_elsewhere(sandbox: &Sandbox, email: &str) {
    let response = http()
        .post(format!("{}/users", sandbox.api_url()))
        .bearer_auth(KEY)
        .json(&json!({"campaign_id": 1, "first_name": "Victor", "email": email}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
}

/// Before: with a duplicate create answered 200 (or 201) and a missed search, an unverified
/// token with the victim's address got the victim's account, link and, later, referrals.
#[tokio::test(start_paused = true)]
async fn an_account_a_create_hands_back_is_never_taken_for_new_in_any_dialect() {
    for duplicates in DIALECTS {
        for missed in [false, true] {
            let sandbox = sandbox().await;
            dialect(&sandbox, json!({"duplicate_create": duplicates})).await;
            let base = server_for(&sandbox, &[], Overrides::default()).await;
            // A minute ago (the 200 dialect, which hands back what exists) or long ago (Ada:
            // the 201 dialect's status cannot tell, her sign-up date can).
            let victim = if duplicates == "201_existing" {
                "ada@example.com"
            } else {
                made_elsewhere(&sandbox, "victor@example.net").await;
                "victor@example.net"
            };
            if missed {
                faults(&sandbox, json!({"search_misses": 1})).await;
            }
            let eve = unverified_token("u-eve", victim);
            let (status, _, body) = get_session(&base, Some(&eve), "").await;
            let case = format!("{duplicates}, search missed: {missed}");
            assert_eq!(status, 403, "{case}: {body}");
            assert!(body.get("referrer").is_none(), "{case}: {body}");
            // The owner, verified, gets their own account.
            let (status, _, body) = get_session(&base, Some(&token("u-owner", victim)), "").await;
            assert_eq!(status, 200, "{case}: {body}");
        }
    }
}

/// An unverified subject still gets an account made for it, in every dialect: only what
/// existed before needs a verified email.
#[tokio::test(start_paused = true)]
async fn an_unverified_subject_still_gets_a_new_account_in_every_dialect() {
    for duplicates in DIALECTS {
        let sandbox = sandbox().await;
        dialect(&sandbox, json!({"duplicate_create": duplicates})).await;
        let base = server_for(&sandbox, &[], Overrides::default()).await;
        let newcomer = unverified_token("u-new", "newcomer@example.net");
        let (status, _, body) = get_session(&base, Some(&newcomer), "").await;
        assert_eq!(status, 200, "{duplicates}: {body}");
    }
}

/// The refusal a subject gets for an account that belongs to another.
fn assert_taken(status: u16, body: &serde_json::Value) {
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["error"]["type"], "authentication", "{body}");
    assert_eq!(
        body["error"]["message"], "this referral account belongs to another user",
        "{body}"
    );
    assert!(
        body.get("referrer").is_none() && body.get("stats").is_none(),
        "{body}"
    );
}

/// Issue 23, item 2: a host that does not verify emails let someone sign up with the owner's
/// address first. The owner, verified, takes the account over (the same account: its link);
/// the first subject is refused from then on, its cached session included.
#[tokio::test(start_paused = true)]
async fn a_verified_owner_takes_over_the_account_an_unverified_subject_made_first() {
    let sandbox = sandbox().await;
    let base = server_for(&sandbox, &[], Overrides::default()).await;
    let email = "owner@example.net";
    let squatter = unverified_token("u-squatter", email);
    let (status, _, first) = get_session(&base, Some(&squatter), "").await;
    assert_eq!(status, 200, "{first}");
    let link = first["referrer"]["link"].as_str().unwrap().to_owned();

    let owner = token("u-owner", email);
    let (status, _, body) = get_session(&base, Some(&owner), "").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["referrer"]["link"], link.as_str(), "the same account");

    // Its session was cached a moment ago: not served any more.
    let (status, _, body) = get_session(&base, Some(&squatter), "").await;
    assert_taken(status, &body);
    let (status, _, body) = get_session(&base, Some(&squatter), "").await;
    assert_taken(status, &body);
    assert_eq!(get_session(&base, Some(&owner), "").await.0, 200);
}

/// Two instances on one database, without shared caches: the takeover on one cannot drop the
/// session the other cached for the first subject, and that instance refuses it all the same.
#[tokio::test(start_paused = true)]
async fn a_subject_taken_over_is_refused_where_its_session_is_still_cached() {
    let sandbox = sandbox().await;
    let dir = std::env::temp_dir().join(format!("rd-reclaim-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("map.sqlite3").to_string_lossy().into_owned();
    let first = server_for(&sandbox, &["--db", &db], Overrides::default()).await;
    let second = server_for(&sandbox, &["--db", &db], Overrides::default()).await;
    let email = "cached@example.net";
    let squatter = unverified_token("u-squatter", email);
    assert_eq!(get_session(&first, Some(&squatter), "").await.0, 200);
    let (status, _, body) = get_session(&second, Some(&token("u-owner", email)), "").await;
    assert_eq!(status, 200, "{body}");
    let (status, _, body) = get_session(&first, Some(&squatter), "").await;
    assert_taken(status, &body);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A link made on a verified email, by creating the account or adopting it, is never taken
/// over: not by another verified subject, not by an unverified one.
#[tokio::test(start_paused = true)]
async fn a_verified_link_is_never_taken_over() {
    // A new account, and one that existed (Ada's, in the sandbox's demo data).
    for email in ["fresh@example.net", "ada@example.com"] {
        let sandbox = sandbox().await;
        let base = server_for(&sandbox, &[], Overrides::default()).await;
        let first = token("u-first", email);
        assert_eq!(get_session(&base, Some(&first), "").await.0, 200, "{email}");
        for other in [token("u-second", email), unverified_token("u-third", email)] {
            let (status, _, body) = get_session(&base, Some(&other), "").await;
            assert_taken(status, &body);
        }
        assert_eq!(get_session(&base, Some(&first), "").await.0, 200, "{email}");
    }
}

/// A subject linked on an unverified email that comes back proving it keeps its account: its
/// link is verified from then on, and a later subject with the same verified email is refused.
#[tokio::test(start_paused = true)]
async fn a_subject_that_proves_its_email_later_keeps_its_account() {
    let sandbox = sandbox().await;
    let base = server_for(&sandbox, &[], Overrides::default()).await;
    let email = "later@example.net";
    let (status, _, body) = get_session(&base, Some(&unverified_token("u-early", email)), "").await;
    assert_eq!(status, 200, "{body}");
    // Past the cached session, so the next request reads the account again.
    tokio::time::advance(std::time::Duration::from_secs(61)).await;
    let (status, _, body) = get_session(&base, Some(&token("u-early", email)), "").await;
    assert_eq!(status, 200, "{body}");
    let (status, _, body) = get_session(&base, Some(&token("u-twin", email)), "").await;
    assert_taken(status, &body);
}
