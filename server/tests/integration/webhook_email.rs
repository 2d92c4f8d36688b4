//! A webhook that names a referrer by email refreshes the right accounts (issue 23, item 5): the
//! stored hash is of the email the platform has (what its webhooks name), not of whatever the
//! latest token carried; and when several links carry that hash, every one is refreshed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use common::{
    add_referral, calls, get_session, http, reset_calls, sandbox, seed, server_for, token,
};
use referrer_dashboard_server::Overrides;
use referrer_dashboard_server::sandbox::Sandbox;
use serde_json::json;

const HOOK_SECRET: &str = "webhook-secret-webhook-secret-0123456789";

async fn hook(base: &str, body: serde_json::Value) {
    let response = http()
        .post(format!("{base}/api/referral-factory/webhook"))
        .header("x-dashboard-webhook-secret", HOOK_SECRET)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 202);
}

/// Before: once Ada's host account carried a new address, a webhook naming her by the address
/// the platform has found no one, and her cached dashboard stayed for 15 minutes.
#[tokio::test(start_paused = true)]
async fn a_webhook_naming_the_platforms_email_refreshes_a_user_whose_token_email_changed() {
    let sandbox = sandbox().await;
    let base = server_for(
        &sandbox,
        &["--webhook-secret", HOOK_SECRET],
        Overrides::default(),
    )
    .await;
    let before = token("u-ada", "ada@example.com");
    assert_eq!(get_session(&base, Some(&before), "").await.0, 200);
    // Her address changes on the host; the platform keeps the account's own.
    hook(&base, json!({"referrer_id": 1})).await;
    let after = token("u-ada", "ada.lovelace@example.org");
    assert_eq!(get_session(&base, Some(&after), "").await.0, 200);
    // Cached now: a second request costs nothing upstream.
    reset_calls(&sandbox).await;
    assert_eq!(get_session(&base, Some(&after), "").await.0, 200);
    assert!(calls(&sandbox).await.is_empty());
    // The platform names her by the email it has.
    hook(&base, json!({"referrer_email": "Ada@Example.com"})).await;
    assert_eq!(get_session(&base, Some(&after), "").await.0, 200);
    assert!(
        !calls(&sandbox).await.is_empty(),
        "the webhook dropped her cached dashboard"
    );
}

/// Whether `who`'s next session is built anew (costs upstream calls) or served from the cache.
async fn rebuilt(sandbox: &Sandbox, base: &str, who: &str) -> bool {
    reset_calls(sandbox).await;
    assert_eq!(get_session(base, Some(who), "").await.0, 200);
    !calls(sandbox).await.is_empty()
}

/// Before: the store answered the first link with the email's hash only. An address the
/// platform moves to another account leaves two links with its hash until the first one's
/// subject is next seen; a webhook about the new account refreshed Ada's (first by subject) and
/// left the new account's user with its old referrals for up to 15 minutes.
#[tokio::test(start_paused = true)]
async fn a_webhook_by_email_refreshes_every_subject_linked_with_that_email() {
    let sandbox = sandbox().await;
    let base = server_for(
        &sandbox,
        &["--webhook-secret", HOOK_SECRET],
        Overrides::default(),
    )
    .await;
    let ada = token("u-ada", "ada@example.com");
    assert_eq!(get_session(&base, Some(&ada), "").await.0, 200);
    // The address moves on: to another account on the platform (searches for it find that one
    // now), to another user on the host. Ada's link keeps its hash: her session is cached.
    let account = seed(&sandbox, "ada@example.com", 3, 0).await;
    let heir = token("u-heir", "ada@example.com");
    let (status, _, before) = get_session(&base, Some(&heir), "").await;
    assert_eq!(status, 200, "{before}");
    assert_eq!(
        before["stats"]["referrals"], 3,
        "the account with the address now"
    );
    for who in [&ada, &heir] {
        assert!(
            !rebuilt(&sandbox, &base, who).await,
            "cached before the webhook"
        );
    }
    // A new lead for that account, and the platform's webhook naming it by email.
    add_referral(&sandbox, account, "Newest").await;
    hook(&base, json!({"referrer_email": "ada@example.com"})).await;
    for (who, name) in [(&ada, "u-ada"), (&heir, "u-heir")] {
        assert!(rebuilt(&sandbox, &base, who).await, "{name}: built anew");
    }
    let (_, _, after) = get_session(&base, Some(&heir), "").await;
    assert_eq!(after["stats"]["referrals"], 4, "{after}");
}

/// Before: `GET /__sandbox/webhooks` answered the webhook's secret to anyone.
#[tokio::test(start_paused = true)]
async fn the_sandbox_never_shows_a_webhook_secrets_value() {
    let sandbox = sandbox().await;
    let control = format!("http://{}/__sandbox/webhooks", sandbox.addr());
    let response = http()
        .post(&control)
        .bearer_auth(sandbox.key())
        .json(&json!({
            "url": "http://127.0.0.1:9/api/referral-factory/webhook",
            "headers": {"X-Dashboard-Webhook-Secret": HOOK_SECRET},
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    let shown = http()
        .get(&control)
        .bearer_auth(sandbox.key())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!shown.contains(HOOK_SECRET), "{shown}");
    assert!(shown.contains("X-Dashboard-Webhook-Secret"), "{shown}");
}
