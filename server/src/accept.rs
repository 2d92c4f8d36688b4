//! The accept loop: serving a router on a listener over HTTP/1.1, with the header timeout, the
//! caps on open connections, the client's address for handlers, and a drain of requests in
//! flight on shutdown.
//!
//! Unlike `axum::serve`, it closes a connection whose request headers do not arrive within the
//! header timeout, so slow or half-open clients cannot hold connections for ever; it closes at
//! once a connection over the per-address cap ([`crate::connections`]); at the global cap it
//! closes the oldest idle connection to make room (below), so idle sockets cannot use up the
//! open-file limit nor shut out a new client; and it gives handlers the client's address
//! (`ConnectInfo<SocketAddr>`, read by [`crate::client_addr`]) for per-address limits.
//!
//! Idle at the global cap: a connection with no request in flight, waiting for its first
//! request's head or between keep-alive requests. Many addresses each holding idle sockets
//! (under the per-address cap) could otherwise fill the global cap, and every new connection,
//! a load balancer's `/healthz` included, was closed until the header timeout freed a slot.
//! Now the oldest idle one is closed gracefully (at once, as it has nothing in flight, a
//! half-sent request head included) and the new one takes its place; only when every
//! connection has a request in flight is the new one closed at once.

use std::collections::BTreeMap;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::Router;
use tokio::net::TcpListener;

use crate::app::StartError;
use crate::config::Config;
use crate::connections::{Connections, Refused, Slot};
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

/// How long the accept loop waits for an idle connection it closed to give its place back.
/// Closing an idle connection takes one poll of its task; a connection whose request arrived
/// just as it was chosen finishes that request first, and the new one is closed meanwhile.
const EVICT_WAIT: Duration = Duration::from_millis(500);

/// One open connection as the accept loop sees it.
#[derive(Debug, Default)]
struct Tracked {
    /// Requests whose response is not yet produced.
    in_flight: AtomicUsize,
    /// Chosen to make room: it no longer counts as idle.
    closing: AtomicBool,
    /// Asks the connection to close gracefully.
    close: tokio::sync::Notify,
    /// Its place under the caps is free again.
    ended: tokio::sync::Notify,
}

/// A request in flight on a [`Tracked`] connection, for as long as it lives.
struct Busy(Arc<Tracked>);

impl Busy {
    fn enter(tracked: &Arc<Tracked>) -> Self {
        tracked.in_flight.fetch_add(1, Ordering::SeqCst);
        Self(tracked.clone())
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The open connections, oldest first.
#[derive(Debug, Default)]
struct Open {
    next: u64,
    by_age: BTreeMap<u64, Arc<Tracked>>,
}

fn lock_open(open: &Mutex<Open>) -> std::sync::MutexGuard<'_, Open> {
    // Each update is one step: a panic elsewhere leaves the map consistent.
    open.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The oldest connection with nothing in flight, marked as closing.
fn oldest_idle(open: &Mutex<Open>) -> Option<Arc<Tracked>> {
    let open = lock_open(open);
    let idle = open
        .by_age
        .values()
        .find(|t| t.in_flight.load(Ordering::SeqCst) == 0 && !t.closing.load(Ordering::SeqCst))?;
    idle.closing.store(true, Ordering::SeqCst);
    Some(idle.clone())
}

/// A place for a connection from `peer`: admitted, or at the global cap the place of the oldest
/// idle connection, closed for it. `None`: closed at once (over a cap, counted).
async fn place(connections: &Connections, open: &Mutex<Open>, peer: SocketAddr) -> Option<Slot> {
    let refused = match connections.admit(peer.ip()) {
        Ok(slot) => return Some(slot),
        Err(Refused::Total) => match oldest_idle(open) {
            Some(idle) => {
                idle.close.notify_one();
                let _ = tokio::time::timeout(EVICT_WAIT, idle.ended.notified()).await;
                match connections.admit(peer.ip()) {
                    Ok(slot) => {
                        crate::telemetry::metrics::connection_evicted();
                        return Some(slot);
                    }
                    Err(refused) => refused,
                }
            }
            None => Refused::Total,
        },
        Err(refused) => refused,
    };
    // Closed by the caller dropping the stream. Counted in /metrics; logged per connection at
    // debug only: a flood of them must not become a flood of log lines.
    let cap = match refused {
        Refused::Total => "total",
        Refused::PerAddress => "per_address",
    };
    crate::telemetry::metrics::connection_refused(cap);
    tracing::debug!(cap, "connection closed: over the cap");
    None
}

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
    use tower::{Service, ServiceExt};

    let connections = connections(&limits);
    let open = Arc::new(Mutex::new(Open::default()));
    let mut make_service = router.into_make_service_with_connect_info::<SocketAddr>();
    // Shutdown: every connection is asked to close gracefully, and the tasks are awaited.
    let (stop, stopping) = tokio::sync::watch::channel(false);
    let mut tasks = tokio::task::JoinSet::new();
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
        // Finished connections' tasks, reaped.
        while tasks.try_join_next().is_some() {}
        let Some(slot) = place(&connections, &open, peer).await else {
            drop(stream);
            continue;
        };
        let tracked = Arc::new(Tracked::default());
        let id = {
            let mut open = lock_open(&open);
            let id = open.next;
            open.next += 1;
            open.by_age.insert(id, tracked.clone());
            id
        };
        let Ok(service) = make_service.call(peer).await;
        let busy = tracked.clone();
        let service = hyper::service::service_fn(move |request| {
            let busy = Busy::enter(&busy);
            let answer = service.clone().oneshot(request);
            async move {
                let answer = answer.await;
                drop(busy);
                answer
            }
        });
        let connection = builder.serve_connection(TokioIo::new(stream), service);
        let (open, mut stopping) = (open.clone(), stopping.clone());
        tasks.spawn(async move {
            let mut connection = std::pin::pin!(connection);
            let mut closing = false;
            let ended = loop {
                tokio::select! {
                    ended = connection.as_mut() => break ended,
                    () = tracked.close.notified(), if !closing => {
                        connection.as_mut().graceful_shutdown();
                        closing = true;
                    }
                    _ = stopping.changed(), if !closing => {
                        connection.as_mut().graceful_shutdown();
                        closing = true;
                    }
                }
            };
            if let Err(error) = ended {
                tracing::debug!(%error, "connection ended with an error");
            }
            // Its place under the caps is free again once the connection has ended.
            lock_open(&open).by_age.remove(&id);
            drop(slot);
            tracked.ended.notify_one();
        });
    }
    drop(listener);
    let _ = stop.send(true);
    let drained = async { while tasks.join_next().await.is_some() {} };
    if tokio::time::timeout(DRAIN_TIMEOUT, drained).await.is_err() {
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
