//! A connection cannot make the server hold more than [`MAX_READ_BUFFER`] of an unfinished
//! request head (issue 23, item 5): before, hyper buffered ~400 KB per connection until the
//! header timeout, and 800 such connections took the process from 16 MB to 318 MB.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::time::Duration;

use common::start_with;
use referrer_dashboard_server::Overrides;
use referrer_dashboard_server::accept::MAX_READ_BUFFER;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_unfinished_request_head_is_refused_at_once_not_buffered() {
    let server = start_with(&[], Overrides::default()).await;
    let addr = server.base.trim_start_matches("http://").to_owned();
    let mut stream = TcpStream::connect(&addr).await.unwrap();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    // Header lines, never ending, well past the buffer (and far below hyper's default).
    let line = format!("X-Pad: {}\r\n", "a".repeat(1000));
    let mut sent = 0;
    while sent < 4 * MAX_READ_BUFFER {
        if stream.write_all(line.as_bytes()).await.is_err() {
            break; // the server already closed the connection
        }
        sent += line.len();
    }
    // Answered 431 and closed long before the 10 s header timeout.
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut answer)).await;
    let answer = String::from_utf8_lossy(&answer);
    assert!(read.is_ok(), "the connection was still open: {answer}");
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 431"),
        "{answer}"
    );
}
