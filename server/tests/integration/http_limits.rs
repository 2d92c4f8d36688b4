//! The HTTP limits of SPEC §6: slow and half-open connections are closed after the header
//! timeout without holding up anyone else (the caps on open connections: `connections.rs`), and unauthenticated floods are limited per address
//! (over real sockets, on the real clock); bodies are small, a request has a deadline, the
//! server sheds what it cannot take at once, and CORS says exactly what it was configured to
//! (the router answering without a socket, on tokio's paused clock).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::time::Duration;

use axum::body::Body;
use axum::http::{Method, Request};
use common::{app, ask, ask_with, faults, get_session, start_with, token};
use referrer_dashboard_server::{Limits, Overrides};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn limits(change: impl FnOnce(&mut Limits)) -> Overrides {
    let mut limits = Limits::default();
    change(&mut limits);
    Overrides {
        limits,
        ..Overrides::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn half_open_connections_neither_block_requests_nor_stay_open_past_the_header_timeout() {
    let header_timeout = Duration::from_secs(1);
    // No cap per address: 300 connections from one address would pass it (`connections.rs`).
    let server = start_with(
        &[],
        limits(|l| {
            l.header_read_timeout = header_timeout;
            l.max_connections_per_address = 0;
        }),
    )
    .await;
    let addr = server.base.trim_start_matches("http://").to_owned();
    // 300 clients: half send the start of a request and stall, half send nothing at all.
    let mut idle = Vec::new();
    for n in 0..300 {
        let mut stream = TcpStream::connect(&addr).await.unwrap();
        if n % 2 == 0 {
            stream
                .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
                .await
                .unwrap();
        }
        idle.push(stream);
    }
    // A normal request is answered at once.
    let answered = tokio::time::timeout(
        Duration::from_secs(1),
        common::http()
            .get(format!("{}/healthz", server.base))
            .send(),
    )
    .await
    .expect("answered within a second despite 300 stalled connections")
    .unwrap();
    assert_eq!(answered.status(), 200);
    // And every stalled connection is closed by the server soon after the header timeout.
    let closed = idle.into_iter().map(|mut stream| async move {
        let mut buffer = [0u8; 1024];
        let mut seen = 0;
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => return seen,
                Ok(n) => seen += n,
            }
        }
    });
    let all = futures::future::join_all(closed);
    tokio::time::timeout(header_timeout * 3, all)
        .await
        .expect("every stalled connection was closed within the header timeout (and a margin)");
}

#[tokio::test]
async fn unauthenticated_requests_are_limited_per_address() {
    let server = start_with(&[], Overrides::default()).await;
    let mut statuses = Vec::new();
    for _ in 0..40 {
        statuses.push(get_session(&server.base, Some("not-a-token"), "").await.0);
    }
    // A burst of the per-minute limit passes (each refused as 401), then the address waits
    // (one more may slip through as the bucket refills while the requests run).
    let burst = referrer_dashboard_server::limit::UNAUTHENTICATED_PER_MIN as usize;
    assert!(statuses[..burst].iter().all(|s| *s == 401), "{statuses:?}");
    assert!(
        statuses.iter().all(|s| *s == 401 || *s == 429),
        "{statuses:?}"
    );
    let limited = statuses[burst..].iter().filter(|s| **s == 429).count();
    assert!(limited >= 8, "{statuses:?}");
    // Someone with a valid identity from the same address is not held back.
    let (status, _, _) =
        get_session(&server.base, Some(&token("u-ada", "ada@example.com")), "").await;
    assert_eq!(status, 200);
}

#[tokio::test(start_paused = true)]
async fn an_oversized_body_is_refused() {
    let app = app(&[], Overrides::default()).await;
    let size = referrer_dashboard_server::MAX_BODY_BYTES + 1;
    let request = Request::get("/api/referral-dashboard")
        .header(
            "authorization",
            format!("Bearer {}", token("u-ada", "ada@example.com")),
        )
        .header("content-length", size)
        .body(Body::from(vec![b'x'; size]))
        .unwrap();
    assert_eq!(ask_with(&app.router, request).await.0, 413);
}

#[tokio::test(start_paused = true)]
async fn requests_beyond_the_concurrency_limit_are_shed_at_once() {
    let app = app(&[], limits(|l| l.max_concurrent_requests = 2)).await;
    // Two requests held up by a slow platform fill the server.
    faults(
        app.sandbox.as_ref().unwrap(),
        serde_json::json!({"stall_ms": 3000, "stall_count": 2}),
    )
    .await;
    let slow: Vec<_> = ["ada", "linus"]
        .iter()
        .map(|name| {
            let router = app.router.clone();
            let who = token(&format!("u-{name}"), &format!("{name}@example.com"));
            tokio::spawn(async move { ask(&router, Some(&who), "").await.0 })
        })
        .collect();
    let healthz = || Request::get("/healthz").body(Body::empty()).unwrap();
    // While both are in flight, a third request is refused at once, not queued.
    let (status, headers, body) = loop {
        let answer = ask_with(&app.router, healthz()).await;
        if answer.0 == 503 {
            break answer;
        }
        assert!(
            slow.iter().any(|t| !t.is_finished()),
            "the slow requests ended before any request was shed"
        );
        tokio::task::yield_now().await;
    };
    assert_eq!(status, 503);
    assert_eq!(headers["retry-after"], "1");
    assert_eq!(body["error"]["type"], "server", "{body}");
    assert!(
        slow.iter().all(|t| !t.is_finished()),
        "shed while both were held"
    );
    for task in slow {
        assert_eq!(task.await.unwrap(), 200);
    }
    let after = ask_with(&app.router, healthz()).await;
    assert_eq!(after.0, 200, "room again once they finished");
}

#[tokio::test(start_paused = true)]
async fn a_request_that_takes_too_long_is_cut_off() {
    let app = app(
        &[],
        limits(|l| l.request_timeout = Duration::from_millis(300)),
    )
    .await;
    faults(
        app.sandbox.as_ref().unwrap(),
        serde_json::json!({"stall_ms": 5000, "stall_count": 1}),
    )
    .await;
    let started = tokio::time::Instant::now();
    let (status, _, _) = ask(&app.router, Some(&token("u-ada", "ada@example.com")), "").await;
    assert_eq!(status, 408);
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "not held for the stall"
    );
}

#[tokio::test(start_paused = true)]
async fn cors_allows_listed_origins_case_insensitively_and_cookies_only_when_asked() {
    let preflight = async |router: &axum::Router, origin: &str| {
        let request = Request::builder()
            .method(Method::OPTIONS)
            .uri("/api/referral-dashboard")
            .header("Origin", origin)
            .header("Access-Control-Request-Method", "GET")
            .header("Access-Control-Request-Headers", "authorization")
            .body(Body::empty())
            .unwrap();
        ask_with(router, request).await.1
    };
    let bearer = app(
        &["--cors-origins", "https://App.Example"],
        Overrides::default(),
    )
    .await;
    let headers = preflight(&bearer.router, "https://app.example").await;
    assert_eq!(
        headers["access-control-allow-origin"],
        "https://app.example"
    );
    assert!(
        headers.get("access-control-allow-credentials").is_none(),
        "no cookies for a bearer endpoint unless configured"
    );
    let other = preflight(&bearer.router, "https://evil.example").await;
    assert!(other.get("access-control-allow-origin").is_none());
    let get = Request::get("/api/referral-dashboard")
        .header("Origin", "https://app.example")
        .body(Body::empty())
        .unwrap();
    let (_, headers, _) = ask_with(&bearer.router, get).await;
    let exposed = headers["access-control-expose-headers"]
        .to_str()
        .unwrap()
        .to_ascii_lowercase();
    assert!(exposed.contains("retry-after"), "{exposed}");
    let cookies = app(
        &[
            "--cors-origins",
            "https://app.example",
            "--cors-credentials",
        ],
        Overrides::default(),
    )
    .await;
    let headers = preflight(&cookies.router, "https://app.example").await;
    assert_eq!(headers["access-control-allow-credentials"], "true");
}
