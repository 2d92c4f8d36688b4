//! The global upstream call budget: at most `limit` calls in any window of `span`, across every
//! instance that shares the key.
//!
//! A token bucket (governor's GCRA) bounds the average rate but lets a full burst follow a full
//! window, so two adjacent minutes could hold twice the limit. Referral Factory blocks an IP for
//! days after repeated abuse, so this keeps an exact sliding log instead ([`Window`], the pure
//! core): every call reserves a start time in arrival order (fair FIFO, predictable waits; a
//! caller whose wait would be too long is refused at once, with the time until a slot frees
//! up), and at that time is granted only if the last `limit` *actual* grants leave room.
//!
//! Where the log lives is a [`CallLog`]: in this process ([`InProcessLog`]) or in Redis for every
//! instance ([`crate::shared::RedisCallLog`]); [`Budget`] does not know which. When the log
//! cannot be consulted, no call is made ([`Reason::Unreachable`]): an instance cannot know what
//! the others have spent.
//!
//! An upstream 429 pauses every reservation. A task that knows it needs several calls (building a
//! session) reserves them all at once, or none ([`Budget::prepaid`]), so that under a storm no
//! build spends its first call only to be refused the second. On top of the shared window, each
//! host user has an allowance of their own ([`Budget::on_behalf_of`], [`allowance`]): no one
//! subject can take more than a fair share of the window, however their requests fail.
//!
//! This module knows nothing of the platform: it only hands out slots, and says [`Exhausted`]
//! when it cannot.

mod log;
mod window;

use std::cell::RefCell;
use std::collections::VecDeque;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use crate::limit::{Denied, Limit, Limiter, WhenUnavailable};
pub use log::{CallLog, Granted, InProcessLog, Pause, Reserved};
pub use window::Window;

/// The budget's window, per SPEC §6.
pub const WINDOW: Duration = Duration::from_secs(60);

/// Extra spacing between a call and the one `limit` calls later. A reserved start time is not
/// the moment the request reaches the API; scheduling and network jitter could otherwise let the
/// API see `limit + 1` calls within its own 60 s.
pub const SAFETY_MARGIN: Duration = Duration::from_secs(1);

/// The longest a request may queue for a slot before it is answered from stale data or with
/// 429: beyond this the widget's own 15 s timeout would fire first.
pub const MAX_QUEUE_WAIT: Duration = Duration::from_secs(5);

/// How long a caller refused because the log is unreachable should wait before asking again.
const UNREACHABLE_RETRY: Duration = Duration::from_secs(5);

tokio::task_local! {
    /// Start times reserved ahead for the current task ([`Budget::prepaid`]).
    static PREPAID: RefCell<VecDeque<Instant>>;
    /// The host user the current task calls upstream for ([`Budget::on_behalf_of`]).
    static SUBJECT: String;
}

/// No call can be made soon enough.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{}", describe(*reason))]
pub struct Exhausted {
    /// When a call could be made again.
    pub retry_after: Duration,
    /// Which limit said no.
    pub reason: Reason,
}

/// Which limit is behind an [`Exhausted`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// The shared window (every user's calls together).
    Window,
    /// The one user's own allowance.
    Allowance,
    /// The log (or the allowance) is kept in Redis, which could not be consulted.
    Unreachable,
    /// The shared log was lost (Redis flushed or restarted empty): every call waits a window.
    Lost,
}

/// What an [`Exhausted`] says, by its reason.
fn describe(reason: Reason) -> String {
    match reason {
        Reason::Lost => LOST.to_owned(),
        other => format!("the upstream call budget is exhausted for now ({other})"),
    }
}

/// What a pause after a lost log says (in the log, and to the client).
pub const LOST: &str = "budget state was lost; pausing one window";

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Window => "shared window",
            Self::Allowance => "this user's allowance",
            Self::Unreachable => "the shared budget is unreachable",
            Self::Lost => LOST,
        })
    }
}

impl Exhausted {
    fn window(retry_after: Duration) -> Self {
        Self {
            retry_after,
            reason: Reason::Window,
        }
    }

    fn lost(retry_after: Duration) -> Self {
        Self {
            retry_after,
            reason: Reason::Lost,
        }
    }

    fn unreachable() -> Self {
        Self {
            retry_after: UNREACHABLE_RETRY,
            reason: Reason::Unreachable,
        }
    }
}

/// Each subject's share of the budget: `per_minute` calls a minute, all of them at once at
/// most; refused, not guessed, when its backing cannot be reached.
pub fn allowance(per_minute: u32) -> Limit {
    Limit {
        name: "allowance",
        per_minute,
        burst: per_minute,
        when_unavailable: WhenUnavailable::Refuse,
    }
}

/// The budget: a [`CallLog`], the longest a caller may queue, and each subject's allowance.
pub struct Budget {
    log: Arc<dyn CallLog>,
    max_wait: Duration,
    allowance: Option<Limiter>,
}

impl std::fmt::Debug for Budget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Budget")
            .field("max_wait", &self.max_wait)
            .field("allowance", &self.allowance)
            .finish_non_exhaustive()
    }
}

impl Budget {
    /// `limit` calls per [`WINDOW`], with [`SAFETY_MARGIN`] and [`MAX_QUEUE_WAIT`], in this
    /// process.
    pub fn per_minute(limit: u32) -> Self {
        Self::new(Window::new(limit, WINDOW, SAFETY_MARGIN), MAX_QUEUE_WAIT)
    }

    /// A budget over `window` in this process (tests compress time with a short span), without
    /// per-subject allowances until [`Budget::with_allowance`].
    pub fn new(window: Window, max_wait: Duration) -> Self {
        Self::over(Arc::new(InProcessLog::new(window)), max_wait)
    }

    /// A budget over `log` (see [`crate::backing::Backing::call_log`]).
    pub fn over(log: Arc<dyn CallLog>, max_wait: Duration) -> Self {
        Self {
            log,
            max_wait,
            allowance: None,
        }
    }

    /// Limits each subject's calls by `allowance` (see [`Budget::on_behalf_of`]).
    #[must_use]
    pub fn with_allowance(mut self, allowance: Limiter) -> Self {
        self.allowance = Some(allowance);
        self
    }

    /// Runs `work` with its calls charged to `subject`'s allowance.
    pub async fn on_behalf_of<F: Future>(&self, subject: &str, work: F) -> F::Output {
        SUBJECT.scope(subject.to_owned(), work).await
    }

    /// Takes `calls` from the current subject's allowance (none when there is no subject).
    async fn charge(&self, calls: usize) -> Result<(), Exhausted> {
        let Some(allowance) = &self.allowance else {
            return Ok(());
        };
        let Ok(subject) = SUBJECT.try_with(Clone::clone) else {
            return Ok(());
        };
        let calls = u32::try_from(calls).unwrap_or(u32::MAX);
        match allowance.take(&subject, calls).await {
            Ok(()) => Ok(()),
            Err(Denied::Wait(wait)) => Err(Exhausted {
                retry_after: wait.min(WINDOW),
                reason: Reason::Allowance,
            }),
            Err(Denied::Unavailable) => Err(Exhausted::unreachable()),
        }
    }

    /// Reserves `calls` start times in the log.
    async fn reserve(&self, calls: usize) -> Result<VecDeque<Instant>, Exhausted> {
        match self.log.reserve(calls, self.max_wait).await {
            Ok(Reserved::Slots(slots)) => Ok(slots.into()),
            Ok(Reserved::Refused(wait)) => Err(Exhausted::window(wait)),
            Ok(Reserved::Lost(wait)) => {
                tracing::warn!(wait_ms = wait.as_millis() as u64, "{LOST}");
                Err(Exhausted::lost(wait))
            }
            Err(_) => Err(Exhausted::unreachable()),
        }
    }

    /// Waits for this call's turn: its reserved start time, then room among the actual grants.
    ///
    /// # Errors
    /// [`Exhausted`] when the wait would exceed the queue limit or the subject's allowance is
    /// spent.
    pub async fn acquire(&self) -> Result<(), Exhausted> {
        let prepaid = PREPAID
            .try_with(|slots| slots.borrow_mut().pop_front())
            .ok()
            .flatten();
        let at = match prepaid {
            Some(at) => at,
            None => {
                self.charge(1).await?;
                self.reserve(1)
                    .await?
                    .pop_front()
                    .unwrap_or_else(Instant::now)
            }
        };
        tokio::time::sleep_until(at).await;
        loop {
            match self.log.grant().await {
                Ok(Granted::Now) => return crate::telemetry::metrics::budget_granted(),
                Ok(Granted::Wait(until)) => tokio::time::sleep_until(until).await,
                Ok(Granted::Lost) => return Err(Exhausted::lost(WINDOW)),
                Err(_) => return Err(Exhausted::unreachable()),
            }
        }
    }

    /// Runs `work` with `calls` slots reserved for it up front: its first `calls` upstream
    /// calls use them, later ones queue as usual. When the slots cannot all be had in time,
    /// `work` does not start (and so cannot spend a call and then fail half-way).
    ///
    /// # Errors
    /// [`Exhausted`] when the slots are not available within the queue limit, or not within
    /// the subject's allowance.
    pub async fn prepaid<F: Future>(&self, calls: usize, work: F) -> Result<F::Output, Exhausted> {
        self.charge(calls).await?;
        let slots = self.reserve(calls).await?;
        Ok(PREPAID.scope(RefCell::new(slots), work).await)
    }

    /// The current task's unused prepaid slots and its subject, to hand to a task it spawns
    /// (which would otherwise start without either: task-locals do not cross `spawn`).
    pub fn carry() -> Carried {
        Carried {
            slots: PREPAID
                .try_with(|slots| std::mem::take(&mut *slots.borrow_mut()))
                .unwrap_or_default(),
            subject: SUBJECT.try_with(Clone::clone).ok(),
        }
    }

    /// How long until a call could start now.
    pub fn wait_estimate(&self) -> Duration {
        self.log.wait_estimate()
    }

    /// Pauses every future call for `duration` (after an upstream 429), on every instance the
    /// log serves: the platform counts the key, not this process.
    pub async fn pause_for(&self, duration: Duration) {
        tracing::warn!(
            pause_ms = duration.as_millis() as u64,
            "upstream asked us to slow down; pausing all calls"
        );
        if let Err(error) = self.log.pause_for(duration).await {
            // This instance pauses all the same; and a log that cannot be told cannot grant
            // calls either.
            tracing::warn!(%error, "could not share the upstream pause");
        }
    }

    /// How long calls are still paused for, if they are.
    pub fn paused_for(&self) -> Option<Duration> {
        self.log.paused_for()
    }

    /// The pause every instance sharing the log is under, asked of the log (`None` when there
    /// is none, or the log cannot be asked).
    pub async fn pause(&self) -> Option<Pause> {
        self.log.pause().await.ok().flatten()
    }
}

/// Prepaid slots and a subject carried into a spawned task ([`Budget::carry`]).
#[derive(Debug, Default)]
pub struct Carried {
    slots: VecDeque<Instant>,
    subject: Option<String>,
}

impl Carried {
    /// Runs `work` with the carried slots and subject.
    pub async fn scope<F: Future>(self, work: F) -> F::Output {
        let work = PREPAID.scope(RefCell::new(self.slots), work);
        match self.subject {
            Some(subject) => SUBJECT.scope(subject, work).await,
            None => work.await,
        }
    }
}

#[cfg(test)]
mod tests;
