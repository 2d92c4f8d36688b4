//! Linking by what a call proves (issue 23, items 1 and 2; SPEC §6 "Identity and linking").
//!
//! An account counts as created for a subject only when this very call created it: whatever a
//! create hands back that already existed is an existing account, which only a verified email
//! may claim. Tried in every duplicate-create dialect of the sandbox, with and without the
//! search before the create missing the account (the creation race the backend expects).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

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
