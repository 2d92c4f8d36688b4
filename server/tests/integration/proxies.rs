//! Behind a reverse proxy (issue 23, item 4): every request reaches the server from the proxy's
//! address, so the limits per address must count the client the proxy names, and only when the
//! peer is a proxy listed in `DASHBOARD_TRUSTED_PROXIES`.
//!
//! The proxy is real: a small forwarding server on 127.0.0.1 that passes each request on and
//! appends its peer to `X-Forwarded-For`, as nginx's `$proxy_add_x_forwarded_for` does. The
//! clients are real too, each on its own loopback address (127.0.0.2, .3, .4: all of 127/8 is
//! loopback on Linux), so the proxy sees them apart.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, Request};
use axum::http::HeaderValue;
use axum::response::{IntoResponse, Response};
use common::{sandbox, server_for};
use futures::StreamExt;
use referrer_dashboard_server::Overrides;
use tokio::net::TcpListener;

const HOOK_SECRET: &str = "webhook-secret-webhook-secret-0123456789";

/// A client whose connections come from `local` (a loopback address of its own).
fn client_from(local: &str) -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .local_address(local.parse::<IpAddr>().unwrap())
        .pool_max_idle_per_host(0)
        .build()
        .unwrap()
}

/// Starts a forwarding proxy on 127.0.0.1 in front of `upstream`; returns its base URL.
async fn proxy(upstream: String) -> String {
    let onward = client_from("127.0.0.1");
    let app = axum::Router::new().fallback(
        move |ConnectInfo(peer): ConnectInfo<SocketAddr>, request: Request| {
            let (onward, upstream) = (onward.clone(), upstream.clone());
            async move { forward(&onward, &upstream, peer, request).await }
        },
    );
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .unwrap();
    });
    base
}

/// Passes `request` on to `upstream`, its peer appended to `X-Forwarded-For`.
async fn forward(
    onward: &reqwest::Client,
    upstream: &str,
    peer: SocketAddr,
    request: Request,
) -> Response {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, 1 << 20).await.unwrap();
    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let mut headers = parts.headers.clone();
    headers.remove("host");
    let chain = match headers.get("x-forwarded-for").and_then(|v| v.to_str().ok()) {
        Some(before) => format!("{before}, {}", peer.ip()),
        None => peer.ip().to_string(),
    };
    headers.insert("x-forwarded-for", HeaderValue::from_str(&chain).unwrap());
    let answer = onward
        .request(parts.method, format!("{upstream}{path}"))
        .headers(headers)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = answer.status();
    (status, answer.bytes().await.unwrap()).into_response()
}

async fn status_of(request: reqwest::RequestBuilder) -> u16 {
    request.send().await.unwrap().status().as_u16()
}

/// Before: the 31st bad token from anyone behind the proxy made everyone's missing token a 429.
#[tokio::test]
async fn behind_a_trusted_proxy_one_clients_bad_tokens_do_not_lock_out_the_others() {
    let sandbox = sandbox().await;
    let base = server_for(
        &sandbox,
        &["--trusted-proxies", "10.0.0.0/8,127.0.0.1"],
        Overrides::default(),
    )
    .await;
    let front = proxy(base.clone()).await;
    let endpoint = format!("{front}/api/referral-dashboard");
    let (attacker, user) = (client_from("127.0.0.2"), client_from("127.0.0.3"));
    let mut statuses = Vec::new();
    for i in 0..40 {
        // Each with a different forged first hop: the proxy appends the real one to its right.
        let forged = attacker
            .get(&endpoint)
            .bearer_auth("not-a-token")
            .header("x-forwarded-for", format!("198.51.100.{i}"));
        statuses.push(status_of(forged).await);
    }
    assert!(
        statuses.iter().all(|s| *s == 401 || *s == 429),
        "{statuses:?}"
    );
    let limited = statuses.iter().filter(|s| **s == 429).count();
    assert!(limited >= 8, "the attacker is limited: {statuses:?}");
    assert_eq!(
        status_of(user.get(&endpoint)).await,
        401,
        "another client behind the same proxy is told its token is missing, not to wait"
    );
}

/// From a peer that is not a trusted proxy, forwarding headers are ignored: naming a new client
/// in each request does not escape the limit.
#[tokio::test]
async fn forwarding_headers_from_an_untrusted_peer_do_not_escape_the_limit() {
    let sandbox = sandbox().await;
    let base = server_for(
        &sandbox,
        &["--trusted-proxies", "127.0.0.1"],
        Overrides::default(),
    )
    .await;
    let endpoint = format!("{base}/api/referral-dashboard");
    let direct = client_from("127.0.0.4");
    let mut statuses = Vec::new();
    for i in 0..40 {
        let forged = direct
            .get(&endpoint)
            .bearer_auth("not-a-token")
            .header("x-forwarded-for", format!("198.51.100.{i}"))
            .header("forwarded", format!("for=203.0.113.{i}"));
        statuses.push(status_of(forged).await);
    }
    let limited = statuses.iter().filter(|s| **s == 429).count();
    assert!(limited >= 8, "{statuses:?}");
}

/// Before: 620 junk webhook calls through the proxy made the genuine webhook a 429.
#[tokio::test]
async fn junk_webhooks_through_the_proxy_never_lock_out_the_genuine_one() {
    let sandbox = sandbox().await;
    let base = server_for(
        &sandbox,
        &[
            "--webhook-secret",
            HOOK_SECRET,
            "--trusted-proxies",
            "127.0.0.1",
        ],
        Overrides::default(),
    )
    .await;
    let front = proxy(base).await;
    let hook = format!("{front}/api/referral-factory/webhook");
    let junk = client_from("127.0.0.2");
    let limit = referrer_dashboard_server::webhook::CALLS_PER_MIN as usize;
    // Sixteen at a time, so the bucket (10 cells back a second) cannot keep up on a slow machine.
    let statuses: Vec<u16> = futures::stream::iter(0..limit + 200)
        .map(|_| {
            status_of(
                junk.post(&hook)
                    .header("x-dashboard-webhook-secret", "guess")
                    .json(&serde_json::json!({"referrer_id": 1})),
            )
        })
        .buffer_unordered(16)
        .collect()
        .await;
    assert!(statuses.contains(&429), "junk is limited per client");
    // The platform, behind the same proxy (and even from the junk's own address).
    for from in ["127.0.0.3", "127.0.0.2"] {
        let genuine = client_from(from)
            .post(&hook)
            .header("x-dashboard-webhook-secret", HOOK_SECRET)
            .json(&serde_json::json!({"referrer_id": 1}));
        assert_eq!(status_of(genuine).await, 202, "from {from}");
    }
}
