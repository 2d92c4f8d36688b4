//! Readiness and the drain on shutdown.
//!
//! A load balancer sends traffic to an instance while its readiness probe passes. On SIGTERM
//! the instance first fails `/readyz` and keeps serving for the drain period, so the balancer
//! notices and moves traffic away before anything is refused; every answer in that phase
//! carries `Connection: close`, so clients open their next request on another instance instead
//! of reusing a connection that is about to go. Only then does the listener close and requests
//! still in flight finish ([`crate::accept`]).

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::dashboard::SessionBuilder;

/// How long an instance keeps serving after SIGTERM with `/readyz` failing: long enough for a
/// load balancer probing every second or two to see it fail a few times (Kubernetes' default
/// period is 10 s with one failure needed; set `DASHBOARD_DRAIN_SECS` to your balancer's).
pub const DEFAULT_DRAIN: Duration = Duration::from_secs(5);

/// Whether this instance is draining (cheap to clone; every clone sees the same state).
#[derive(Clone, Debug, Default)]
pub struct Readiness {
    draining: Arc<AtomicBool>,
}

impl Readiness {
    /// A ready instance.
    pub fn new() -> Self {
        Self::default()
    }

    /// From now on `/readyz` answers 503 and every answer closes its connection.
    pub fn drain(&self) {
        self.draining.store(true, Ordering::SeqCst);
    }

    /// Whether [`Readiness::drain`] was called.
    pub fn is_draining(&self) -> bool {
        self.draining.load(Ordering::SeqCst)
    }

    /// A shutdown future for [`crate::serve`]: when `signal` completes, drains, keeps serving
    /// for `period`, then completes (and the listener closes).
    pub fn after(
        &self,
        signal: impl Future<Output = ()> + Send + 'static,
        period: Duration,
    ) -> impl Future<Output = ()> + Send + 'static {
        let readiness = self.clone();
        async move {
            signal.await;
            readiness.drain();
            tracing::info!(
                drain_secs = period.as_secs_f64(),
                "draining: /readyz answers 503, answers close their connections; the listener closes after the drain period"
            );
            tokio::time::sleep(period).await;
            tracing::info!("drain period over: no new connections; finishing requests in flight");
        }
    }
}

/// `GET /readyz`: 200 `{"status": "ready"}` when the store answers (and Redis, when
/// configured); 503 with what is wrong otherwise, and `{"status": "draining"}` after SIGTERM.
/// Asks both each time, so it also sees them come back.
pub async fn readyz(sessions: Arc<SessionBuilder>, readiness: Readiness) -> Response {
    if readiness.is_draining() {
        return unready(json!({"status": "draining"}));
    }
    let store = sessions.store_reachable().await;
    let redis = sessions.backing().check().await;
    crate::telemetry::metrics::dependencies(store.is_ok(), redis.as_ref().map(Result::is_ok));
    let mut body = json!({"status": "ready", "store": if store.is_ok() { "reachable" } else { "unreachable" }});
    if let Some(redis) = &redis {
        body["redis"] = if redis.is_ok() {
            "reachable"
        } else {
            "unreachable"
        }
        .into();
    }
    if store.is_err() || redis.is_some_and(|r| r.is_err()) {
        body["status"] = "unavailable".into();
        return unready(body);
    }
    (StatusCode::OK, no_store(axum::Json(body).into_response())).into_response()
}

fn unready(body: serde_json::Value) -> Response {
    no_store((StatusCode::SERVICE_UNAVAILABLE, axum::Json(body)).into_response())
}

fn no_store(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Middleware: while draining, every answer says `Connection: close`, so the client does not
/// send its next request on a connection that is about to close (that race is what a client
/// sees as a reset).
pub async fn close_while_draining(readiness: Readiness, request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    if readiness.is_draining() {
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn the_shutdown_future_drains_at_once_and_completes_after_the_period() {
        let readiness = Readiness::new();
        let (signal, signalled) = tokio::sync::oneshot::channel::<()>();
        let shutdown = tokio::spawn(readiness.after(
            async {
                let _ = signalled.await;
            },
            Duration::from_secs(5),
        ));
        tokio::task::yield_now().await;
        assert!(!readiness.is_draining());
        signal.send(()).unwrap();
        let start = tokio::time::Instant::now();
        while !readiness.is_draining() {
            tokio::task::yield_now().await;
        }
        assert!(!shutdown.is_finished());
        shutdown.await.unwrap();
        assert_eq!(start.elapsed(), Duration::from_secs(5));
    }
}
