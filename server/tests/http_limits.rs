//! The HTTP limits of SPEC §6, over real sockets: slow and half-open connections are closed
//! after the header timeout without holding up anyone else, unauthenticated floods are limited
//! per address, bodies are small, a request has a deadline, the server sheds what it cannot
//! take at once, and CORS says exactly what it was configured to.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::{faults, get_session, start_with, token};
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
    let server = start_with(&[], limits(|l| l.header_read_timeout = header_timeout)).await;
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

#[tokio::test]
async fn an_oversized_body_is_refused() {
    let server = start_with(&[], Overrides::default()).await;
    let response = common::http()
        .get(format!("{}/api/referral-dashboard", server.base))
        .bearer_auth(token("u-ada", "ada@example.com"))
        .body(vec![b'x'; referrer_dashboard_server::MAX_BODY_BYTES + 1])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_beyond_the_concurrency_limit_are_shed_at_once() {
    let server = start_with(&[], limits(|l| l.max_concurrent_requests = 2)).await;
    // Two requests held up by a slow platform fill the server.
    faults(
        &server.sandbox,
        serde_json::json!({"stall_ms": 3000, "stall_count": 2}),
    )
    .await;
    let slow: Vec<_> = ["ada", "linus"]
        .iter()
        .map(|name| {
            let base = server.base.clone();
            let who = token(&format!("u-{name}"), &format!("{name}@example.com"));
            tokio::spawn(async move { get_session(&base, Some(&who), "").await.0 })
        })
        .collect();
    // While both are in flight, a third request is refused at once, not queued.
    let shed = loop {
        let response = common::http_get(format!("{}/healthz", server.base)).await;
        if response.status() == 503 {
            break response;
        }
        assert!(
            slow.iter().any(|t| !t.is_finished()),
            "the slow requests ended before any request was shed"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(shed.headers()["retry-after"], "1");
    assert!(
        slow.iter().all(|t| !t.is_finished()),
        "shed while both were held"
    );
    for task in slow {
        assert_eq!(task.await.unwrap(), 200);
    }
    let after = common::http_get(format!("{}/healthz", server.base)).await;
    assert_eq!(after.status(), 200, "room again once they finished");
}

#[tokio::test]
async fn a_request_that_takes_too_long_is_cut_off() {
    let server = start_with(
        &[],
        limits(|l| l.request_timeout = Duration::from_millis(300)),
    )
    .await;
    faults(
        &server.sandbox,
        serde_json::json!({"stall_ms": 5000, "stall_count": 1}),
    )
    .await;
    let started = std::time::Instant::now();
    let (status, _, _) =
        get_session(&server.base, Some(&token("u-ada", "ada@example.com")), "").await;
    assert_eq!(status, 408);
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "not held for the stall"
    );
}

#[tokio::test]
async fn cors_allows_listed_origins_case_insensitively_and_cookies_only_when_asked() {
    let preflight = async |base: &str, origin: &str| {
        common::http()
            .request(
                reqwest::Method::OPTIONS,
                format!("{base}/api/referral-dashboard"),
            )
            .header("Origin", origin)
            .header("Access-Control-Request-Method", "GET")
            .header("Access-Control-Request-Headers", "authorization")
            .send()
            .await
            .unwrap()
    };
    let bearer = start_with(
        &["--cors-origins", "https://App.Example"],
        Overrides::default(),
    )
    .await;
    let response = preflight(&bearer.base, "https://app.example").await;
    assert_eq!(
        response.headers()["access-control-allow-origin"],
        "https://app.example"
    );
    assert!(
        response
            .headers()
            .get("access-control-allow-credentials")
            .is_none(),
        "no cookies for a bearer endpoint unless configured"
    );
    let other = preflight(&bearer.base, "https://evil.example").await;
    assert!(other.headers().get("access-control-allow-origin").is_none());
    let get = common::http()
        .get(format!("{}/api/referral-dashboard", bearer.base))
        .header("Origin", "https://app.example")
        .send()
        .await
        .unwrap();
    let exposed = get.headers()["access-control-expose-headers"]
        .to_str()
        .unwrap()
        .to_ascii_lowercase();
    assert!(exposed.contains("retry-after"), "{exposed}");
    let cookies = start_with(
        &[
            "--cors-origins",
            "https://app.example",
            "--cors-credentials",
        ],
        Overrides::default(),
    )
    .await;
    let response = preflight(&cookies.base, "https://app.example").await;
    assert_eq!(
        response.headers()["access-control-allow-credentials"],
        "true"
    );
}
