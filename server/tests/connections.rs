//! The caps on open connections (SPEC §6 "a connection limit", issue 23 item 5), over real
//! sockets on the real clock: a connection over its address's cap or the global cap is closed
//! as soon as it is accepted, the connections already open keep working, another address still
//! gets in, a closed connection gives its place back, and `/metrics` counts what was closed.
//! (Idle sockets against a low open-file limit, with the binary: `file_limit.rs`.)
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::{app, connect_from};
use referrer_dashboard_server::{Limits, Overrides, serve_with};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Instant;

/// How long a test waits for a state it expects (the server closing a connection, a place
/// freed): generous, since only a failing test waits it out.
const DEADLINE: Duration = Duration::from_secs(5);

/// Serves the sandbox-mode application with `limits`; its `127.0.0.1:port`.
async fn server(limits: Limits) -> String {
    let app = app(&[], Overrides::default()).await;
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
    let (status, body) = get(stream, "/metrics").await.expect("/metrics answers");
    assert_eq!(status, 200);
    let series = format!("referrer_dashboard_connections_refused_total{{cap=\"{cap}\"}} ");
    body.lines()
        .find_map(|line| line.strip_prefix(&series))
        .map_or(0.0, |value| value.trim().parse().unwrap())
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
async fn past_the_global_cap_every_address_is_closed_at_once() {
    let addr = server(Limits {
        max_connections: 4,
        max_connections_per_address: 0,
        ..Limits::default()
    })
    .await;
    let mut open = open_answering("127.0.0.1", &addr, 4).await;
    let mut fifth = connect_from("127.0.0.2", &addr).await;
    assert!(
        closed_by_server(&mut fifth).await,
        "a fifth connection is closed, from another address too"
    );
    assert!(refused(&mut open[1], "total").await >= 1.0);
    assert_eq!(healthz(&mut open[0]).await, Some(200));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_no_cap_per_address_one_address_may_hold_many() {
    let addr = server(Limits {
        max_connections: 50,
        max_connections_per_address: 0,
        ..Limits::default()
    })
    .await;
    let open = open_answering("127.0.0.1", &addr, 40).await;
    assert_eq!(open.len(), 40);
}
