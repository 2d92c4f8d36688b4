//! Smaller holes of issue 23 (item 5) closed at the HTTP edge: what a client may put in the
//! request id that every log line of its request carries and its answer echoes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use axum::body::Body;
use axum::http::Request;
use common::{app, ask_with};
use referrer_dashboard_server::Overrides;

/// Before: any `x-request-id` was kept, however long or strange, in logs and answers.
#[tokio::test]
async fn a_client_request_id_is_kept_only_when_short_and_plain() {
    let app = app(&[], Overrides::default()).await;
    let echoed = async |id: &str| {
        let request = Request::get("/healthz")
            .header("x-request-id", id)
            .body(Body::empty())
            .unwrap();
        let (_, headers, _) = ask_with(&app.router, request).await;
        headers["x-request-id"].to_str().unwrap().to_owned()
    };
    let plain = "req-42_abc.def:7";
    assert_eq!(echoed(plain).await, plain);
    let uuid = "0b8f3c4e-9a1d-4c2b-8e7f-112233445566";
    assert_eq!(echoed(uuid).await, uuid);
    for hostile in [
        "x".repeat(65),
        "id with spaces".to_owned(),
        "<script>alert(1)</script>".to_owned(),
        "id\"; level=error".to_owned(),
    ] {
        let replaced = echoed(&hostile).await;
        assert_ne!(replaced, hostile);
        assert_eq!(replaced.len(), 36, "a fresh UUID: {replaced}");
    }
}
