//! The accept loop: serving a router on a listener over HTTP/1.1, with the header timeout, the
//! caps on open connections, the client's address for handlers, and a drain of requests in
//! flight on shutdown.
//!
//! Unlike `axum::serve`, it closes a connection whose request headers do not arrive within the
//! header timeout, so slow or half-open clients cannot hold connections for ever; it closes at
//! once a connection over the global or the per-address cap ([`crate::connections`]), so idle
//! sockets cannot use up the open-file limit; and it gives handlers the client's address
//! (`ConnectInfo<SocketAddr>`, read by [`crate::client_addr`]) for per-address limits.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use tokio::net::TcpListener;

use crate::app::StartError;
use crate::config::Config;
use crate::connections::{Connections, Refused};
use crate::router::Limits;

/// How long in-flight requests may finish after a shutdown signal.
pub const DRAIN_TIMEOUT: Duration = Duration::from_secs(15);

/// The most a connection may buffer of a request it is reading (headers, mostly): hyper's
/// default is ~400 KB, so 800 unfinished request heads took the process from 16 MB to 318 MB
/// until the header timeout. Our requests carry a token and a few headers; a head larger than
/// this is answered 431 and the connection closed.
pub const MAX_READ_BUFFER: usize = 32 * 1024;

/// How long to wait after a failed accept (out of file descriptors, a connection reset before it
/// was accepted) rather than spin.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// Serves the application on `listener` until `shutdown` completes, then drains requests.
///
/// # Errors
/// A [`StartError`] when the configuration is unusable or serving fails.
pub async fn run(
    listener: TcpListener,
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), StartError> {
    let app = crate::app::build(&config).await?;
    serve_with(listener, app.router, shutdown, Limits::configured(&config)).await?;
    Ok(())
}

/// [`serve_with`] the default [`Limits`].
///
/// # Errors
/// When the listener fails for good.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_with(listener, router, shutdown, Limits::default()).await
}

/// Serves `router` on `listener` over HTTP/1.1 until `shutdown` completes, then stops accepting
/// and lets requests in flight finish (up to [`DRAIN_TIMEOUT`]). A connection over a cap of
/// `limits` is closed as soon as it is accepted.
///
/// # Errors
/// When the listener fails for good.
pub async fn serve_with(
    listener: TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
    limits: Limits,
) -> std::io::Result<()> {
    use hyper_util::rt::{TokioIo, TokioTimer};
    use hyper_util::server::graceful::GracefulShutdown;
    use hyper_util::service::TowerToHyperService;
    use tower::Service;

    let connections = connections(&limits);
    let mut make_service = router.into_make_service_with_connect_info::<SocketAddr>();
    let graceful = GracefulShutdown::new();
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .max_buf_size(MAX_READ_BUFFER)
        .keep_alive(true);
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors, or a connection reset before it was accepted:
                    // wait a moment rather than spin, and go on.
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let slot = match connections.admit(peer.ip()) {
            Ok(slot) => slot,
            Err(refused) => {
                // Dropping the stream closes it. Counted in /metrics; logged per connection at
                // debug only: a flood of them must not become a flood of log lines.
                drop(stream);
                let cap = match refused {
                    Refused::Total => "total",
                    Refused::PerAddress => "per_address",
                };
                crate::telemetry::metrics::connection_refused(cap);
                tracing::debug!(cap, "connection closed: over the cap");
                continue;
            }
        };
        let Ok(service) = make_service.call(peer).await;
        let connection =
            builder.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%error, "connection ended with an error");
            }
            // Its place under the caps is free again once the connection has ended.
            drop(slot);
        });
    }
    drop(listener);
    if tokio::time::timeout(DRAIN_TIMEOUT, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("requests still running after the drain timeout were cut off");
    }
    Ok(())
}

/// The caps of `limits`, the global one lowered to what this process's open-file limit leaves
/// ([`crate::nofile::room`]): past it, an accept would fail for everyone, `/healthz` included.
fn connections(limits: &Limits) -> Connections {
    let room = crate::nofile::current().map_or(usize::MAX, crate::nofile::room);
    let max = limits.max_connections.min(room).max(1);
    if max < limits.max_connections {
        tracing::info!(
            max,
            configured = limits.max_connections,
            "DASHBOARD_MAX_CONNECTIONS lowered to what the open-file limit leaves"
        );
    }
    Connections::new(
        max,
        limits.max_connections_per_address,
        limits.trusted_proxies.clone(),
    )
}
