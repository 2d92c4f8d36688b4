//! The session endpoint, answered by the router without a socket (`Router::oneshot`), with the
//! sandbox behind it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use axum::body::Body;
use axum::http::Request;
use common::{SECRET, app, ask, ask_with, now, token, token_with};
use referrer_dashboard_server::Overrides;
use serde_json::json;

#[tokio::test(start_paused = true)]
async fn no_token_is_401_with_a_json_error() {
    let app = app(&[], Overrides::default()).await;
    let (status, headers, body) = ask(&app.router, None, "").await;
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

#[tokio::test(start_paused = true)]
async fn expired_or_wrongly_signed_tokens_are_401() {
    let app = app(&[], Overrides::default()).await;
    let expired = token_with(
        SECRET,
        json!({"sub": "u", "email": "ada@example.com", "exp": now() - 3600}),
    );
    let (status, _, body) = ask(&app.router, Some(&expired), "").await;
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
    let (status, _, body) = ask(&app.router, Some(&forged), "").await;
    assert_eq!(status, 401);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("signature")
    );
    assert_eq!(
        app.sandbox.unwrap().calls().len(),
        0,
        "refused requests cost no upstream call"
    );
}

#[tokio::test(start_paused = true)]
async fn a_sandbox_user_gets_a_valid_session() {
    let app = app(&[], Overrides::default()).await;
    let sandbox = app.sandbox.clone().unwrap();
    let (status, headers, body) =
        ask(&app.router, Some(&token("u-ada", "ada@example.com")), "").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(headers["cache-control"], "no-store");
    assert_eq!(body["version"], 1);
    assert_eq!(
        body["stats"],
        json!({"reach": 1204, "referrals": 37, "qualified": 12})
    );
    let link = body["referrer"]["link"].as_str().unwrap();
    assert!(
        link.starts_with(&format!("http://{}/r/", sandbox.addr())),
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

#[tokio::test(start_paused = true)]
async fn every_answer_carries_a_request_id_and_keeps_the_one_it_was_given() {
    let app = app(&[], Overrides::default()).await;
    // Made up when the request has none: a UUID, different for each request.
    let (_, first, _) = ask(&app.router, None, "").await;
    let (_, second, _) = ask(&app.router, Some(&token("u-ada", "ada@example.com")), "").await;
    let ids: Vec<&str> = [&first, &second]
        .iter()
        .map(|headers| headers["x-request-id"].to_str().unwrap())
        .collect();
    for id in &ids {
        assert_eq!(id.len(), 36, "{id}");
        assert_eq!(id.matches('-').count(), 4, "{id}");
    }
    assert_ne!(ids[0], ids[1]);
    // Kept when a client or a proxy sends one, on every route, whatever the answer.
    for path in ["/healthz", "/api/referral-dashboard", "/nowhere"] {
        let request = Request::get(path)
            .header("x-request-id", "req-from-the-proxy-42")
            .body(Body::empty())
            .unwrap();
        let (_, headers, _) = ask_with(&app.router, request).await;
        assert_eq!(headers["x-request-id"], "req-from-the-proxy-42", "{path}");
    }
}

#[tokio::test(start_paused = true)]
async fn the_demo_token_route_refuses_an_unknown_user_with_the_error_body() {
    let app = app(&[], Overrides::default()).await;
    let request = |user: &str| {
        Request::get(format!("/demo/token?user={user}"))
            .body(Body::empty())
            .unwrap()
    };
    let (status, headers, body) = ask_with(&app.router, request("eve")).await;
    assert_eq!(status, 400);
    assert_eq!(
        body,
        json!({"error": {"type": "invalid_request", "message": "user must be ada, grace, linus or new"}})
    );
    assert_eq!(headers["cache-control"], "no-store");
    let (status, _, body) = ask_with(&app.router, request("ada")).await;
    assert_eq!(status, 200);
    assert!(body["token"].is_string(), "{body}");
}
