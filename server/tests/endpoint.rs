//! The session endpoint over loopback HTTP, with the sandbox behind it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{SECRET, get_session, now, start, token, token_with};
use serde_json::json;

#[tokio::test]
async fn no_token_is_401_with_a_json_error() {
    let server = start(&[]).await;
    let (status, headers, body) = get_session(&server.base, None, "").await;
    assert_eq!(status, 401);
    assert_eq!(body["error"]["type"], "authentication");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Bearer")
    );
    assert_eq!(headers["www-authenticate"], "Bearer");
}

#[tokio::test]
async fn expired_or_wrongly_signed_tokens_are_401() {
    let server = start(&[]).await;
    let expired = token_with(
        SECRET,
        json!({"sub": "u", "email": "ada@example.com", "exp": now() - 3600}),
    );
    let (status, _, body) = get_session(&server.base, Some(&expired), "").await;
    assert_eq!(status, 401);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("expired")
    );

    let forged = token_with(
        "some-other-secret-some-other-secret-0000",
        json!({"sub": "u", "email": "ada@example.com", "exp": now() + 60}),
    );
    let (status, _, body) = get_session(&server.base, Some(&forged), "").await;
    assert_eq!(status, 401);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("signature")
    );
    assert_eq!(
        server.sandbox.calls().len(),
        0,
        "refused requests cost no upstream call"
    );
}

#[tokio::test]
async fn a_sandbox_user_gets_a_valid_session() {
    let server = start(&[]).await;
    let (status, headers, body) =
        get_session(&server.base, Some(&token("u-ada", "ada@example.com")), "").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(headers["cache-control"], "no-store");
    assert_eq!(body["version"], 1);
    assert_eq!(
        body["stats"],
        json!({"reach": 1204, "referrals": 37, "qualified": 12})
    );
    let link = body["referrer"]["link"].as_str().unwrap();
    assert!(
        link.starts_with(&format!("http://{}/r/", server.sandbox.addr())),
        "{link}"
    );
    let items = body["referrals"]["items"].as_array().unwrap();
    assert_eq!(items.len(), 25);
    assert!(body["referrals"]["next"].is_string());
    // Names are shortened and no referred person's email is present.
    let text = body.to_string();
    assert!(
        !text.contains("@example.net"),
        "no emails of referred people"
    );
    for item in items {
        let name = item["name"].as_str().unwrap();
        assert!(
            name.ends_with('.') && name.split(' ').count() == 2,
            "{name}"
        );
    }
}
