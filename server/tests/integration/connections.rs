//! The caps on open connections (SPEC §6 "a connection limit", issue 23 item 5), over real
//! sockets on the real clock: a connection over its address's cap is closed as soon as it is
//! accepted, the connections already open keep working, another address still gets in, a
//! closed connection gives its place back; at the global cap the oldest idle connection makes
//! room for a new one, and only when every connection has a request in flight is the new one
//! closed; `/metrics` counts both.
//! (Idle sockets against a low open-file limit, with the binary: `file_limit.rs`.)
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::time::Duration;

use common::{app, connect_from};
use referrer_dashboard_server::{Limits, Overrides, serve_with};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Instant;

/// How long a test waits for a state it expects (the server closing a connection, a place
/// freed): generous, since only a failing test waits it out.
const DEADLINE: Duration = Duration::from_secs(5);

/// The webhook's secret in these tests: its handler reads a body, so a request whose body is
/// still arriving stays in flight.
const WEBHOOK_SECRET: &str = "a-webhook-secret-for-the-connection-tests-0123";

/// Serves the sandbox-mode application (with the webhook) with `limits`; its `127.0.0.1:port`.
async fn server(limits: Limits) -> String {
    let app = app(&["--webhook-secret", WEBHOOK_SECRET], Overrides::default()).await;
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    tokio::spawn(serve_with(
        listener,
        app.router,
        std::future::pending(),
        limits,
    ));
    addr
}

/// [`server`] with a global cap of `max` connections and none per address.
async fn server_with_global_cap(max: usize) -> String {
    server(Limits {
        max_connections: max,
        max_connections_per_address: 0,
        ..Limits::default()
    })
    .await
}

/// `GET /healthz` on `stream` (kept alive): the status, or `None` when the connection is closed
/// or answers nothing within the deadline.
async fn healthz(stream: &mut TcpStream) -> Option<u16> {
    get(stream, "/healthz").await.map(|(status, _)| status)
}

/// `GET path` on `stream` (kept alive): status and body, or `None` when the connection is
/// closed or answers nothing within the deadline.
async fn get(stream: &mut TcpStream, path: &str) -> Option<(u16, String)> {
    let request = format!("GET {path} HTTP/1.1\r\nHost: test\r\n\r\n");
    let ask = async {
        stream.write_all(request.as_bytes()).await.ok()?;
        let mut answer = Vec::new();
        let mut buffer = [0u8; 4096];
        loop {
            let n = stream.read(&mut buffer).await.ok()?;
            if n == 0 {
                return None;
            }
            answer.extend_from_slice(&buffer[..n]);
            let text = String::from_utf8_lossy(&answer);
            let Some(end) = text.find("\r\n\r\n") else {
                continue;
            };
            let head = text[..end].to_ascii_lowercase();
            let length: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .map_or(0, |v| v.trim().parse().unwrap());
            if answer.len() >= end + 4 + length {
                let body = text[end + 4..].to_string();
                return Some((head.get(9..12)?.parse().ok()?, body));
            }
        }
    };
    tokio::time::timeout(DEADLINE, ask).await.ok().flatten()
}

/// Whether the server closes `stream` (end of stream or reset) before the deadline, without
/// being asked anything.
async fn closed_by_server(stream: &mut TcpStream) -> bool {
    let mut buffer = [0u8; 64];
    match tokio::time::timeout(DEADLINE, stream.read(&mut buffer)).await {
        Ok(Ok(0) | Err(_)) => true,
        Ok(Ok(_)) | Err(_) => false,
    }
}

/// The connections refused over `cap` so far, as `/metrics` counts them (in this test binary:
/// the recorder is one per process).
async fn refused(stream: &mut TcpStream, cap: &str) -> f64 {
    metric(
        stream,
        &format!("referrer_dashboard_connections_refused_total{{cap=\"{cap}\"}} "),
    )
    .await
}

/// The value of `series` (its name and labels, then a space) on `/metrics`, 0 when absent.
async fn metric(stream: &mut TcpStream, series: &str) -> f64 {
    let (status, body) = get(stream, "/metrics").await.expect("/metrics answers");
    assert_eq!(status, 200);
    body.lines()
        .find_map(|line| line.strip_prefix(series))
        .map_or(0.0, |value| value.trim().parse().unwrap())
}

/// A webhook call on `stream` whose body has not been sent: its handler waits for it, so the
/// request stays in flight. Sent with `Expect: 100-continue`, which hyper answers once the
/// handler asks for the body: when this returns, the request is in flight on the server.
/// Returns the body, still to send.
async fn webhook_in_flight(stream: &mut TcpStream) -> &'static [u8] {
    const BODY: &[u8] = br#"{"referrer_code":"NOBODY"}"#;
    let head = format!(
        "POST /api/referral-factory/webhook HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nX-Dashboard-Webhook-Secret: {WEBHOOK_SECRET}\r\nContent-Length: {}\r\nExpect: 100-continue\r\n\r\n",
        BODY.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let mut byte = [0u8; 1];
    while !answer.ends_with(b"\r\n\r\n") {
        let read = tokio::time::timeout(DEADLINE, stream.read(&mut byte)).await;
        assert_eq!(read.ok().and_then(Result::ok), Some(1), "no 100 Continue");
        answer.push(byte[0]);
    }
    assert!(answer.starts_with(b"HTTP/1.1 100"), "{answer:?}");
    BODY
}

/// Opens `n` connections from `local` to `addr`, each answering `/healthz` (so each is counted
/// by the server before the next is opened).
async fn open_answering(local: &str, addr: &str, n: usize) -> Vec<TcpStream> {
    let mut open = Vec::new();
    for i in 0..n {
        let mut stream = connect_from(local, addr).await;
        assert_eq!(healthz(&mut stream).await, Some(200), "connection {i}");
        open.push(stream);
    }
    open
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_address_over_its_cap_is_closed_at_once_while_its_open_connections_still_work() {
    let addr = server(Limits {
        max_connections_per_address: 3,
        ..Limits::default()
    })
    .await;
    let mut open = open_answering("127.0.0.1", &addr, 3).await;
    let mut fourth = connect_from("127.0.0.1", &addr).await;
    assert!(
        closed_by_server(&mut fourth).await,
        "the fourth connection from one address is closed"
    );
    assert!(refused(&mut open[0], "per_address").await >= 1.0);
    // The three within the cap are untouched, and another address gets in.
    for stream in &mut open {
        assert_eq!(healthz(stream).await, Some(200));
    }
    let mut other = connect_from("127.0.0.2", &addr).await;
    assert_eq!(healthz(&mut other).await, Some(200), "another address");
    // Once one of the three is closed, the address may open another (as soon as the server has
    // seen the close).
    drop(open.pop());
    let started = Instant::now();
    loop {
        let mut again = connect_from("127.0.0.1", &addr).await;
        if healthz(&mut again).await == Some(200) {
            break;
        }
        assert!(
            started.elapsed() < DEADLINE,
            "a closed connection never gave its place back"
        );
        tokio::task::yield_now().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_the_global_cap_the_oldest_idle_connection_makes_room_for_a_new_one() {
    let addr = server_with_global_cap(4).await;
    // Four idle keep-alive connections (many addresses holding idle sockets) fill the cap.
    let mut open = open_answering("127.0.0.1", &addr, 4).await;
    let mut newcomer = connect_from("127.0.0.2", &addr).await;
    assert_eq!(
        healthz(&mut newcomer).await,
        Some(200),
        "a new client (a load balancer's probe) gets in at once"
    );
    assert!(
        closed_by_server(&mut open[0]).await,
        "the oldest idle connection made room"
    );
    for stream in &mut open[1..] {
        assert_eq!(healthz(stream).await, Some(200), "the others are untouched");
    }
    let evicted = "referrer_dashboard_connections_evicted_total ";
    assert!(metric(&mut newcomer, evicted).await >= 1.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_the_global_cap_a_connection_sending_its_head_slowly_makes_room() {
    let addr = server_with_global_cap(3).await;
    // Slow clients: each connection sends the start of a request head and no more (the header
    // timeout, 10 s by default, would end them only then).
    let mut open = open_answering("127.0.0.1", &addr, 3).await;
    for stream in &mut open {
        stream
            .write_all(b"GET /healthz HTTP/1.1\r\nHost:")
            .await
            .unwrap();
    }
    let mut newcomer = connect_from("127.0.0.2", &addr).await;
    assert_eq!(
        healthz(&mut newcomer).await,
        Some(200),
        "a new client gets in, not shut out until the slow heads time out"
    );
    assert!(closed_by_server(&mut open[0]).await, "the oldest made room");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_the_global_cap_with_a_request_in_flight_everywhere_a_new_connection_is_closed() {
    let addr = server_with_global_cap(3).await;
    let mut open = open_answering("127.0.0.1", &addr, 3).await;
    let mut rests = Vec::new();
    for stream in &mut open {
        rests.push(webhook_in_flight(stream).await);
    }
    let mut fourth = connect_from("127.0.0.2", &addr).await;
    assert!(
        closed_by_server(&mut fourth).await,
        "nothing is idle: the new connection is closed, no request is cut off"
    );
    // Every request in flight still gets its answer, and its connection stays open.
    for (stream, rest) in open.iter_mut().zip(rests) {
        stream.write_all(rest).await.unwrap();
        let mut head = [0u8; 12];
        stream.read_exact(&mut head).await.unwrap();
        assert_eq!(&head, b"HTTP/1.1 202", "the webhook was answered");
    }
    let mut fresh = connect_from("127.0.0.3", &addr).await;
    assert_eq!(
        healthz(&mut fresh).await,
        Some(200),
        "once idle, the oldest makes room again"
    );
    assert!(refused(&mut fresh, "total").await >= 1.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_no_cap_per_address_one_address_may_hold_many() {
    let addr = server_with_global_cap(50).await;
    let open = open_answering("127.0.0.1", &addr, 40).await;
    assert_eq!(open.len(), 40);
}
