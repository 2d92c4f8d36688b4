//! Where the budget's sliding log lives: the [`CallLog`] trait and its in-process
//! implementation, a [`Window`] under a mutex.

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

use super::Window;
use crate::seam::{BoxFuture, Unavailable};

/// What [`CallLog::reserve`] decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reserved {
    /// The start times reserved, in order.
    Slots(Vec<Instant>),
    /// None reserved: the last call would wait this long, over the limit asked for.
    Refused(Duration),
    /// None reserved: the log was lost (Redis flushed, restarted empty, its keys evicted), and
    /// every call waits out one window, this long still.
    Lost(Duration),
}

/// A pause of every call, as the log reports it (for `/healthz`: the same on every instance
/// that shares the log).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pause {
    /// How long it still runs.
    pub left: Duration,
    /// Whether it is the pause after a lost log (else after a platform 429).
    pub lost: bool,
}

/// What [`CallLog::grant`] decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Granted {
    /// Go.
    Now,
    /// The last `limit` actual grants leave no room before this: ask again then.
    Wait(Instant),
    /// The log was lost (Redis restarted empty): no one can know what the last window held, so
    /// no call.
    Lost,
}

/// The sliding log of one API key's upstream calls (see [`Window`] for the two steps). Every
/// implementation keeps the same promise: no window of the log's span holds more than its limit
/// of grants, whoever asks.
pub trait CallLog: Send + Sync {
    /// Reserves `calls` start times, all or none, none inside a pause; refused when the last
    /// would start more than `max_wait` from now.
    ///
    /// # Errors
    /// [`Unavailable`] when the log cannot be consulted.
    fn reserve(
        &self,
        calls: usize,
        max_wait: Duration,
    ) -> BoxFuture<'_, Result<Reserved, Unavailable>>;

    /// Grants one call now if the last `limit` actual grants leave room.
    ///
    /// # Errors
    /// [`Unavailable`] when the log cannot be consulted.
    fn grant(&self) -> BoxFuture<'_, Result<Granted, Unavailable>>;

    /// Holds every reservation back for `duration` (after an upstream 429), for every caller the
    /// log serves.
    ///
    /// # Errors
    /// [`Unavailable`] when the pause could not be shared (this caller's own view pauses all the
    /// same).
    fn pause_for(&self, duration: Duration) -> BoxFuture<'_, Result<(), Unavailable>>;

    /// How long until a call could start, as the log last said (for stale answers' `expires_at`).
    fn wait_estimate(&self) -> Duration;

    /// How long calls are still paused for, as this caller last heard.
    fn paused_for(&self) -> Option<Duration>;

    /// The pause every caller of the log is under, if any, asked of the log itself.
    ///
    /// # Errors
    /// [`Unavailable`] when the log cannot be consulted.
    fn pause(&self) -> BoxFuture<'_, Result<Option<Pause>, Unavailable>>;
}

/// The log in this process.
#[derive(Debug)]
pub struct InProcessLog {
    window: Mutex<Window>,
}

impl InProcessLog {
    /// A log of `window`.
    pub fn new(window: Window) -> Self {
        Self {
            window: Mutex::new(window),
        }
    }

    fn window(&self) -> std::sync::MutexGuard<'_, Window> {
        // Plain data updated in a few lines that cannot panic; a poisoned lock still holds a
        // consistent value.
        self.window
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl CallLog for InProcessLog {
    fn reserve(
        &self,
        calls: usize,
        max_wait: Duration,
    ) -> BoxFuture<'_, Result<Reserved, Unavailable>> {
        let reserved = match self.window().reserve_many(Instant::now(), calls, max_wait) {
            Ok(slots) => Reserved::Slots(slots),
            Err(wait) => Reserved::Refused(wait),
        };
        Box::pin(async move { Ok(reserved) })
    }

    fn grant(&self) -> BoxFuture<'_, Result<Granted, Unavailable>> {
        let granted = match self.window().grant(Instant::now()) {
            Ok(()) => Granted::Now,
            Err(free_at) => Granted::Wait(free_at),
        };
        Box::pin(async move { Ok(granted) })
    }

    fn pause_for(&self, duration: Duration) -> BoxFuture<'_, Result<(), Unavailable>> {
        self.window().pause_until(Instant::now() + duration);
        Box::pin(async { Ok(()) })
    }

    fn wait_estimate(&self) -> Duration {
        let now = Instant::now();
        self.window().next_free(now).saturating_duration_since(now)
    }

    fn paused_for(&self) -> Option<Duration> {
        let now = Instant::now();
        let until = self.window().paused_until()?;
        (until > now).then(|| until - now)
    }

    fn pause(&self) -> BoxFuture<'_, Result<Option<Pause>, Unavailable>> {
        let pause = self.paused_for().map(|left| Pause { left, lost: false });
        Box::pin(async move { Ok(pause) })
    }
}
