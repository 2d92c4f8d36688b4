//! A webhook that names a referrer by email refreshes the right account (issue 23, item 5): the
//! stored hash is of the email the platform has (what its webhooks name), not of whatever the
//! latest token carried.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{calls, get_session, http, reset_calls, sandbox, server_for, token};
use referrer_dashboard_server::Overrides;
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
