//! Idle sockets against the open-file limit (issue 23, item 5), with the binary started under a
//! lowered limit:
//! - the binary raises its soft limit at start: with a soft limit of 256 (the hard one higher,
//!   as on most systems), 400 idle connections do not stop `/healthz` answering. Before, accepts
//!   failed once the descriptors ran out;
//! - under `ulimit -n 1024` (soft and hard: nothing to raise), 1,000 idle sockets from one
//!   address do not stop another client's `/healthz`: that address holds its cap of
//!   connections, every one past it is closed at once. Before, they took every descriptor.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::connect_from;
use referrer_dashboard_server::connections::MAX_CONNECTIONS_PER_ADDRESS;
use tokio::io::AsyncReadExt;

const BIN: &str = env!("CARGO_BIN_EXE_referrer-dashboard-server");

/// The binary in sandbox mode after the shell command `ulimit` (`-Sn 256`: the soft limit
/// only); the child and its `127.0.0.1:port`.
fn start_under(ulimit: &str) -> (Child, String) {
    let script = format!("ulimit {ulimit} && exec \"$0\" --sandbox");
    let mut child = Command::new("sh")
        .args(["-c", &script, BIN])
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
    (child, addr)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_low_soft_file_limit_idle_sockets_do_not_stop_healthz() {
    let (mut child, addr) = start_under("-Sn 256");
    // All well inside the 10 s header timeout, which would otherwise free descriptors by
    // closing the idle connections (and so hide the limit). From two addresses, each within its
    // cap of connections, so that all 400 stay open.
    let answered = tokio::time::timeout(Duration::from_secs(5), async {
        let mut idle = Vec::new();
        for n in 0..400 {
            let from = if n % 2 == 0 { "127.0.0.2" } else { "127.0.0.3" };
            idle.push(connect_from(from, &addr).await);
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_a_hard_file_limit_of_1024_a_thousand_idle_sockets_from_one_address_do_not_stop_healthz()
 {
    // This test's own thousand sockets need descriptors too.
    referrer_dashboard_server::nofile::raise();
    let (mut child, addr) = start_under("-n 1024");
    // Inside the 10 s header timeout, as above.
    let outcome = tokio::time::timeout(Duration::from_secs(8), async {
        let mut idle = Vec::new();
        for _ in 0..1_000 {
            idle.push(connect_from("127.0.0.2", &addr).await);
        }
        let answer = common::http()
            .get(format!("http://{addr}/healthz"))
            .send()
            .await;
        // Those the server closed at once end within a second; those it holds wait for their
        // request (or the header timeout, seconds away).
        let closed = idle.iter_mut().map(|stream| async move {
            let mut buffer = [0u8; 16];
            matches!(
                tokio::time::timeout(Duration::from_secs(1), stream.read(&mut buffer)).await,
                Ok(Ok(0) | Err(_))
            )
        });
        let closed = futures::future::join_all(closed).await;
        (answer, closed.into_iter().filter(|c| *c).count())
    })
    .await;
    let _ = child.kill();
    let _ = child.wait();
    let (answer, closed) = outcome.expect("answered in time");
    assert_eq!(answer.unwrap().status(), 200, "another client's /healthz");
    assert_eq!(
        closed,
        1_000 - MAX_CONNECTIONS_PER_ADDRESS,
        "the address keeps its cap of connections, the rest are closed"
    );
}
