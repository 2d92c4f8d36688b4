//! The binary raises its open-file limit at start (issue 23, item 5): started with a soft limit
//! of 256 (the hard one higher, as on most systems), 400 idle connections do not stop `/healthz`
//! answering. Before, accepts failed once the descriptors ran out.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use tokio::net::TcpStream;

const BIN: &str = env!("CARGO_BIN_EXE_referrer-dashboard-server");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_low_soft_file_limit_idle_sockets_do_not_stop_healthz() {
    let mut child = Command::new("sh")
        .args(["-c", "ulimit -Sn 256 && exec \"$0\" --sandbox", BIN])
        .env("PORT", "0")
        .env("DASHBOARD_DB", ":memory:")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let base = BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
        .find_map(|line| {
            line.find("listening on http://")
                .map(|at| line[at + "listening on ".len()..].trim().to_owned())
        })
        .expect("the server says where it listens");
    let addr = base
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_owned();
    // All well inside the 10 s header timeout, which would otherwise free descriptors by
    // closing the idle connections (and so hide the limit).
    let answered = tokio::time::timeout(Duration::from_secs(5), async {
        let mut idle = Vec::new();
        for _ in 0..400 {
            idle.push(TcpStream::connect(&addr).await.unwrap());
        }
        let answer = common::http()
            .get(format!("http://{addr}/healthz"))
            .send()
            .await;
        drop(idle);
        answer
    })
    .await;
    let _ = child.kill();
    let _ = child.wait();
    let status = answered.expect("answered in time").unwrap().status();
    assert_eq!(status, 200);
}
