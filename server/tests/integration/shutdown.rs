//! The accept loop on shutdown: once the shutdown signal comes, no new connection is taken,
//! requests in flight are answered in full, and the server returns as soon as they are (within
//! the drain timeout). Over real sockets, on tokio's paused clock (the platform's stall takes no
//! real time).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::time::Duration;

use common::{app, faults, get_session, token};
use referrer_dashboard_server::accept::DRAIN_TIMEOUT;
use referrer_dashboard_server::{Limits, Overrides, serve_with};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::time::Instant;

#[tokio::test(start_paused = true)]
async fn a_shutdown_drains_requests_in_flight_and_takes_no_new_connection() {
    let app = app(&[], Overrides::default()).await;
    // Ada's request will wait two seconds for the platform.
    faults(
        app.sandbox.as_ref().unwrap(),
        serde_json::json!({"stall_ms": 2000, "stall_count": 1}),
    )
    .await;
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let shutdown = async {
        let _ = stopped.await;
    };
    let server = tokio::spawn(serve_with(
        listener,
        app.router,
        shutdown,
        Limits::default(),
    ));
    let base = format!("http://{addr}");
    let in_flight = {
        let base = base.clone();
        tokio::spawn(async move {
            let ada = token("u-ada", "ada@example.com");
            get_session(&base, Some(&ada), "").await
        })
    };
    // Every task now waits: the request on the stalled platform.
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(!in_flight.is_finished() && !server.is_finished());
    stop.send(()).unwrap();
    let stopped_at = Instant::now();
    // The listener is closed once the loop sees the signal: connections are refused.
    let mut tries = 0;
    while TcpStream::connect(addr).await.is_ok() {
        tries += 1;
        assert!(
            tries < 1_000,
            "new connections are still taken after the shutdown"
        );
        tokio::task::yield_now().await;
    }
    // The server returns once the request in flight is done (the platform's stall over), not
    // before and not at the end of the drain timeout...
    server.await.unwrap().unwrap();
    let drained = stopped_at.elapsed();
    assert!(
        drained >= Duration::from_millis(1_800) && drained < DRAIN_TIMEOUT,
        "{drained:?}"
    );
    // ...and that request was answered in full.
    let (status, _, body) = in_flight.await.unwrap();
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["stats"]["referrals"], 37);
}
