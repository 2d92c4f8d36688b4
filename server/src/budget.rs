//! The global upstream call budget: at most `limit` calls in any window of `span`.
//!
//! A token bucket (governor's GCRA) bounds the average rate but lets a full burst follow a full
//! window, so two adjacent minutes could hold twice the limit. Referral Factory blocks an IP for
//! days after repeated abuse, so this keeps exact sliding logs instead, in two steps:
//!
//! 1. **Reservation**: every call reserves a start time where the window ending at it holds
//!    fewer than `limit` earlier reservations. Reservations are handed out in arrival order
//!    (fair FIFO) and predict each caller's wait; a caller whose wait would be too long is
//!    refused at once, with the time until a slot frees up.
//! 2. **Grant**: at its reserved time the caller is granted the call only if the last `limit`
//!    *actual* grants leave room; otherwise it waits for that. A busy machine wakes callers
//!    late, and reserved times alone would then let calls bunch up; actual grant times cannot.
//!
//! An upstream 429 pauses every reservation. A task that knows it needs several calls (building a
//! session) reserves them all at once, or none ([`Budget::prepaid`]), so that under a storm no
//! build spends its first call only to be refused the second.
//!
//! On top of the shared window, each host user has an allowance of their own ([`Budget::on_behalf_of`]):
//! no one subject can take more than a fair share of the window, however their requests fail.
//!
//! [`Window`] is the pure core, tested with injected instants; [`Budget`] wraps it with a
//! mutex and tokio's clock. This module knows nothing of the platform: it only hands out
//! slots, and says [`Exhausted`] when it cannot.
//!
//! Several instances sharing one key share one budget ([`Budget::with_shared`]): the same two
//! steps then run as scripts in Redis ([`crate::shared::budget`]) and the allowance as a shared
//! GCRA; the in-process window is not consulted. When Redis cannot be reached, no call is made
//! ([`Limit::Shared`]): an instance cannot know what the others have spent.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::future::Future;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use tokio::time::Instant;

use crate::personal::digest;
use crate::shared::Shared;
use crate::shared::budget::{Granted, Reserved, SharedWindow};
use crate::shared::gcra::Gcra;

/// The budget's window, per SPEC §6.
pub const WINDOW: Duration = Duration::from_secs(60);

/// Extra spacing between a call and the one `limit` calls later. A reserved start time is not
/// the moment the request reaches the API; scheduling and network jitter could otherwise let the
/// API see `limit + 1` calls within its own 60 s.
pub const SAFETY_MARGIN: Duration = Duration::from_secs(1);

/// The longest a request may queue for a slot before it is answered from stale data or with
/// 429: beyond this the widget's own 15 s timeout would fire first.
pub const MAX_QUEUE_WAIT: Duration = Duration::from_secs(5);

tokio::task_local! {
    /// Start times reserved ahead for the current task ([`Budget::prepaid`]).
    static PREPAID: RefCell<VecDeque<Instant>>;
    /// The host user the current task calls upstream for ([`Budget::on_behalf_of`]).
    static SUBJECT: String;
}

/// No call can be made soon enough.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the upstream call budget is exhausted for now ({reason})")]
pub struct Exhausted {
    /// When a call could be made again.
    pub retry_after: Duration,
    /// Which limit said no.
    pub reason: Limit,
}

/// The limit behind an [`Exhausted`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// The shared window (every user's calls together).
    Window,
    /// The one user's own allowance.
    Allowance,
    /// The budget shared through Redis could not be consulted.
    Shared,
}

impl std::fmt::Display for Limit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Window => "shared window",
            Self::Allowance => "this user's allowance",
            Self::Shared => "the shared budget is unreachable",
        })
    }
}

/// Each subject's share: at most `per_minute` calls a minute, all of them at once at most.
struct Allowance {
    per_minute: u32,
    limiter: DefaultKeyedRateLimiter<String>,
    clock: DefaultClock,
    checks: std::sync::atomic::AtomicU32,
}

/// How many allowance checks between sweeps of subjects idle long enough to be full again.
const SWEEP_EVERY: u32 = 10_000;

impl Allowance {
    fn per_minute(per_minute: u32) -> Self {
        let rate = NonZeroU32::new(per_minute.max(1)).unwrap_or(NonZeroU32::MIN);
        Self {
            per_minute: rate.get(),
            limiter: RateLimiter::keyed(Quota::per_minute(rate)),
            clock: DefaultClock::default(),
            checks: std::sync::atomic::AtomicU32::new(0),
        }
    }

    /// Takes `calls` from `subject`'s allowance, all or none.
    fn take(&self, subject: &str, calls: usize) -> Result<(), Exhausted> {
        use std::sync::atomic::Ordering;
        if self.checks.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1 {
            self.limiter.retain_recent();
        }
        let n =
            NonZeroU32::new(u32::try_from(calls).unwrap_or(u32::MAX)).unwrap_or(NonZeroU32::MIN);
        let refused = |retry_after| Exhausted {
            retry_after,
            reason: Limit::Allowance,
        };
        match self.limiter.check_key_n(&subject.to_owned(), n) {
            Ok(Ok(())) => Ok(()),
            Ok(Err(not_until)) => Err(refused(not_until.wait_time_from(self.clock.now()))),
            // More calls than the whole allowance: never possible at once.
            Err(_) => Err(refused(WINDOW)),
        }
    }
}

/// The pure sliding log.
#[derive(Debug)]
pub struct Window {
    limit: usize,
    /// Minimum distance between a call and the `limit`-th call after it.
    spacing: Duration,
    /// Reserved start times, non-decreasing; only the last `limit` matter.
    slots: VecDeque<Instant>,
    /// Actual grant times, non-decreasing; only the last `limit` matter.
    granted: VecDeque<Instant>,
    /// No reservation before this (an upstream 429).
    paused_until: Option<Instant>,
}

impl Window {
    /// At most `limit` calls in any `span`, with `margin` extra spacing.
    pub fn new(limit: u32, span: Duration, margin: Duration) -> Self {
        let limit = limit.max(1) as usize;
        Self {
            limit,
            spacing: span + margin,
            slots: VecDeque::with_capacity(limit + 1),
            granted: VecDeque::with_capacity(limit + 1),
            paused_until: None,
        }
    }

    /// The most calls in any window.
    pub fn limit(&self) -> u32 {
        u32::try_from(self.limit).unwrap_or(u32::MAX)
    }

    /// The window plus its margin: the least distance between a call and the `limit`-th after it.
    pub fn spacing(&self) -> Duration {
        self.spacing
    }

    /// The earliest start time at or after `now` that keeps the limit.
    pub fn next_free(&self, now: Instant) -> Instant {
        let mut at = now;
        if let Some(&last) = self.slots.back() {
            // Non-decreasing reservations keep the order fair and the check below sufficient.
            at = at.max(last);
        }
        if self.slots.len() >= self.limit {
            at = at.max(self.slots[self.slots.len() - self.limit] + self.spacing);
        }
        if let Some(paused) = self.paused_until {
            at = at.max(paused);
        }
        at
    }

    /// Reserves the earliest start time if it is within `max_wait` of `now`.
    ///
    /// # Errors
    /// How long until the earliest start time, when that is beyond `max_wait`.
    pub fn reserve(&mut self, now: Instant, max_wait: Duration) -> Result<Instant, Duration> {
        let at = self.next_free(now);
        let wait = at.saturating_duration_since(now);
        if wait > max_wait {
            return Err(wait);
        }
        self.slots.push_back(at);
        while self.slots.len() > self.limit {
            self.slots.pop_front();
        }
        Ok(at)
    }

    /// Reserves `calls` start times at once if the last is within `max_wait` of `now`; else
    /// reserves nothing.
    ///
    /// # Errors
    /// How long until the last of them would be free.
    pub fn reserve_many(
        &mut self,
        now: Instant,
        calls: usize,
        max_wait: Duration,
    ) -> Result<Vec<Instant>, Duration> {
        let kept = self.slots.clone();
        let mut reserved = Vec::with_capacity(calls);
        for _ in 0..calls {
            match self.reserve(now, max_wait) {
                Ok(at) => reserved.push(at),
                Err(wait) => {
                    self.slots = kept;
                    return Err(wait);
                }
            }
        }
        Ok(reserved)
    }

    /// Grants the call now if the last `limit` actual grants leave room; otherwise returns when
    /// they will.
    ///
    /// # Errors
    /// The instant to try again at.
    pub fn grant(&mut self, now: Instant) -> Result<(), Instant> {
        if self.granted.len() >= self.limit {
            let free_at = self.granted[self.granted.len() - self.limit] + self.spacing;
            if now < free_at {
                return Err(free_at);
            }
        }
        self.granted.push_back(now);
        while self.granted.len() > self.limit {
            self.granted.pop_front();
        }
        Ok(())
    }

    /// No reservation starts before `until`.
    pub fn pause_until(&mut self, until: Instant) {
        self.paused_until = Some(self.paused_until.map_or(until, |p| p.max(until)));
    }
}

/// The shared budget, and each subject's allowance within it.
pub struct Budget {
    window: Mutex<Window>,
    max_wait: Duration,
    allowance: Option<Allowance>,
    shared: Option<SharedBudget>,
}

/// The budget in Redis, for several instances.
struct SharedBudget {
    shared: Shared,
    window: SharedWindow,
    allowance: Option<Gcra>,
    /// When the last reservation said a call could start (for [`Budget::wait_estimate`]).
    free_at: Mutex<Instant>,
}

/// How long a caller refused because Redis is unreachable should wait before asking again.
const SHARED_RETRY: Duration = Duration::from_secs(5);

fn shared_unreachable() -> Exhausted {
    Exhausted {
        retry_after: SHARED_RETRY,
        reason: Limit::Shared,
    }
}

impl std::fmt::Debug for Budget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Budget")
            .field("window", &self.window)
            .field("max_wait", &self.max_wait)
            .finish_non_exhaustive()
    }
}

impl Budget {
    /// `limit` calls per [`WINDOW`], with [`SAFETY_MARGIN`] and [`MAX_QUEUE_WAIT`].
    pub fn per_minute(limit: u32) -> Self {
        Self::new(Window::new(limit, WINDOW, SAFETY_MARGIN), MAX_QUEUE_WAIT)
    }

    /// A budget over any window (tests compress time with a short span), without per-subject
    /// allowances until [`Budget::with_allowance`].
    pub fn new(window: Window, max_wait: Duration) -> Self {
        Self {
            window: Mutex::new(window),
            max_wait,
            allowance: None,
            shared: None,
        }
    }

    /// Moves the window, the pause and the allowances to Redis, shared by every instance that
    /// uses the same Redis (see the module docs).
    #[must_use]
    pub fn with_shared(mut self, shared: Shared) -> Self {
        let (limit, spacing) = {
            let window = self.lock();
            (window.limit(), window.spacing())
        };
        let allowance = self
            .allowance
            .as_ref()
            .map(|a| Gcra::new(shared.clone(), "allowance", a.per_minute, a.per_minute));
        self.shared = Some(SharedBudget {
            window: SharedWindow::new(shared.clone(), limit, spacing),
            shared,
            allowance,
            free_at: Mutex::new(Instant::now()),
        });
        self
    }

    /// Limits each subject to `per_minute` calls a minute (see [`Budget::on_behalf_of`]).
    #[must_use]
    pub fn with_allowance(mut self, per_minute: u32) -> Self {
        let allowance = Allowance::per_minute(per_minute);
        if let Some(shared) = &mut self.shared {
            shared.allowance = Some(Gcra::new(
                shared.shared.clone(),
                "allowance",
                allowance.per_minute,
                allowance.per_minute,
            ));
        }
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
        let Some(gcra) = self.shared.as_ref().and_then(|s| s.allowance.as_ref()) else {
            return match SUBJECT.try_with(|subject| allowance.take(subject, calls)) {
                Ok(result) => result,
                Err(_) => Ok(()),
            };
        };
        let Ok(subject) = SUBJECT.try_with(|subject| digest(subject)) else {
            return Ok(());
        };
        let calls = u32::try_from(calls).unwrap_or(u32::MAX);
        match gcra.take(&subject, calls).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(wait)) => Err(Exhausted {
                retry_after: wait.min(WINDOW),
                reason: Limit::Allowance,
            }),
            Err(_) => Err(shared_unreachable()),
        }
    }

    /// Reserves `calls` start times in the shared window.
    async fn reserve_shared(
        &self,
        shared: &SharedBudget,
        calls: usize,
    ) -> Result<VecDeque<Instant>, Exhausted> {
        let reserved = shared
            .window
            .reserve(calls, self.max_wait)
            .await
            .map_err(|_| shared_unreachable())?;
        let now = Instant::now();
        let (result, free_in, pause) = match reserved {
            Reserved::Slots(waits, pause) => {
                let last = waits.last().copied().unwrap_or_default();
                (
                    Ok(waits.into_iter().map(|w| now + w).collect()),
                    last,
                    pause,
                )
            }
            Reserved::Refused(wait, pause) => (Err(Self::exhausted(wait)), wait, pause),
        };
        *lock(&shared.free_at) = now + free_in;
        if !pause.is_zero() {
            // Remembered here for /healthz; the pause itself is decided in Redis.
            self.lock().pause_until(now + pause);
        }
        result
    }

    /// Waits until the shared log of actual grants has room.
    async fn grant_shared(shared: &SharedBudget) -> Result<(), Exhausted> {
        loop {
            match shared.window.grant().await {
                Ok(Granted::Now) => return Ok(()),
                Ok(Granted::Wait(wait)) => tokio::time::sleep(wait).await,
                Ok(Granted::Lost) => {
                    return Err(Exhausted {
                        retry_after: WINDOW,
                        reason: Limit::Window,
                    });
                }
                Err(_) => return Err(shared_unreachable()),
            }
        }
    }

    fn exhausted(retry_after: Duration) -> Exhausted {
        Exhausted {
            retry_after,
            reason: Limit::Window,
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
                match &self.shared {
                    Some(shared) => self
                        .reserve_shared(shared, 1)
                        .await?
                        .pop_front()
                        .unwrap_or_else(Instant::now),
                    None => self
                        .lock()
                        .reserve(Instant::now(), self.max_wait)
                        .map_err(Self::exhausted)?,
                }
            }
        };
        tokio::time::sleep_until(at).await;
        if let Some(shared) = &self.shared {
            return Self::grant_shared(shared).await;
        }
        loop {
            let granted = self.lock().grant(Instant::now());
            match granted {
                Ok(()) => return Ok(()),
                Err(free_at) => tokio::time::sleep_until(free_at).await,
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
        let slots = match &self.shared {
            Some(shared) => self.reserve_shared(shared, calls).await?,
            None => self
                .lock()
                .reserve_many(Instant::now(), calls, self.max_wait)
                .map_err(Self::exhausted)?
                .into(),
        };
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
        let now = Instant::now();
        if let Some(shared) = &self.shared {
            return lock(&shared.free_at).saturating_duration_since(now);
        }
        self.lock().next_free(now).saturating_duration_since(now)
    }

    /// Pauses every future call for `duration` (after an upstream 429).
    pub fn pause_for(&self, duration: Duration) {
        let until = Instant::now() + duration;
        self.lock().pause_until(until);
        if let Some(shared) = &self.shared {
            // Every instance pauses: the platform counts the key, not this process. Told in the
            // background (this is called from the failed call's path); if Redis cannot be told,
            // it cannot grant calls either.
            let window = shared.window.clone();
            tokio::spawn(async move {
                if let Err(error) = window.pause_for(duration).await {
                    tracing::warn!(%error, "could not share the upstream pause");
                }
            });
        }
        tracing::warn!(
            pause_ms = duration.as_millis() as u64,
            "upstream asked us to slow down; pausing all calls"
        );
    }

    /// How long calls are still paused for, if they are.
    pub fn paused_for(&self) -> Option<Duration> {
        let now = Instant::now();
        self.lock()
            .paused_until
            .filter(|until| *until > now)
            .map(|until| until - now)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Window> {
        lock(&self.window)
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // Plain data updated in a few lines that cannot panic; a poisoned lock still holds a
    // consistent value.
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
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
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    /// The property that matters: no window of `span` holds more than `limit` start times.
    fn max_in_any_window(starts: &[Instant], span: Duration) -> usize {
        starts
            .iter()
            .map(|&from| {
                starts
                    .iter()
                    .filter(|&&t| t >= from && t < from + span)
                    .count()
            })
            .max()
            .unwrap_or(0)
    }

    #[test]
    fn a_burst_is_spread_so_no_window_exceeds_the_limit() {
        let t0 = Instant::now();
        let mut window = Window::new(60, WINDOW, SAFETY_MARGIN);
        let mut starts = Vec::new();
        // 1,000 callers arrive over ten seconds and wait as long as needed.
        for i in 0..1000u32 {
            let now = t0 + 10 * MS * i;
            starts.push(window.reserve(now, Duration::from_secs(3600)).unwrap());
        }
        assert_eq!(max_in_any_window(&starts, WINDOW), 60);
        assert!(
            starts.windows(2).all(|w| w[0] <= w[1]),
            "served in arrival order"
        );
        // 1,000 calls at 60 per 61 s take about 16 minutes, not more.
        let span = starts[999] - starts[0];
        assert!(span < Duration::from_secs(17 * 60), "{span:?}");
    }

    #[test]
    fn callers_that_would_wait_too_long_are_refused_without_a_slot() {
        let t0 = Instant::now();
        let mut window = Window::new(2, WINDOW, SAFETY_MARGIN);
        assert_eq!(window.reserve(t0, MS), Ok(t0));
        assert_eq!(window.reserve(t0, MS), Ok(t0));
        let wait = window.reserve(t0 + MS, Duration::from_secs(5)).unwrap_err();
        assert_eq!(wait, WINDOW + SAFETY_MARGIN - MS);
        // The refusal reserved nothing: once the window has passed, two calls fit again.
        let later = t0 + WINDOW + SAFETY_MARGIN;
        assert_eq!(window.reserve(later, MS), Ok(later));
        assert_eq!(window.reserve(later, MS), Ok(later));
    }

    #[test]
    fn a_pause_delays_everyone() {
        let t0 = Instant::now();
        let mut window = Window::new(100, WINDOW, SAFETY_MARGIN);
        window.pause_until(t0 + Duration::from_secs(3));
        assert_eq!(
            window.reserve(t0, Duration::from_secs(5)),
            Ok(t0 + Duration::from_secs(3))
        );
        assert!(window.reserve(t0, Duration::from_secs(1)).is_err());
        // A shorter pause never shortens a longer one.
        window.pause_until(t0 + Duration::from_secs(1));
        assert_eq!(window.next_free(t0), t0 + Duration::from_secs(3));
    }

    #[test]
    fn grants_follow_actual_times_when_callers_wake_late() {
        let t0 = Instant::now();
        let mut window = Window::new(2, Duration::from_secs(10), Duration::ZERO);
        // Reserved at 0, 0 and 10, but the first two callers woke late, at 3 s.
        let late = t0 + Duration::from_secs(3);
        window.grant(late).unwrap();
        window.grant(late).unwrap();
        // The third caller, on time at 10 s, must wait until 13 s.
        let third = t0 + Duration::from_secs(10);
        assert_eq!(window.grant(third), Err(late + Duration::from_secs(10)));
        window.grant(late + Duration::from_secs(10)).unwrap();
    }

    #[test]
    fn several_calls_are_reserved_all_or_nothing() {
        let t0 = Instant::now();
        let mut window = Window::new(3, WINDOW, Duration::ZERO);
        assert!(window.reserve_many(t0, 4, Duration::from_secs(5)).is_err());
        assert_eq!(window.reserve_many(t0, 2, Duration::ZERO), Ok(vec![t0, t0]));
        // One slot left now; two are refused and the refusal leaves that one free.
        assert!(window.reserve_many(t0, 2, Duration::from_secs(5)).is_err());
        assert_eq!(window.reserve(t0, Duration::ZERO), Ok(t0));
    }

    #[tokio::test(start_paused = true)]
    async fn prepaid_calls_use_their_slots_and_later_calls_queue() {
        let budget = Budget::new(
            Window::new(2, Duration::from_secs(10), Duration::ZERO),
            Duration::from_secs(30),
        );
        let start = Instant::now();
        let waits = budget
            .prepaid(2, async {
                let mut waits = Vec::new();
                for _ in 0..3 {
                    budget.acquire().await.unwrap();
                    waits.push(Instant::now() - start);
                }
                waits
            })
            .await
            .unwrap();
        assert_eq!(
            waits,
            [Duration::ZERO, Duration::ZERO, Duration::from_secs(10)]
        );
        // Nothing left for another task: it cannot start now.
        let refused = Budget::new(
            Window::new(1, Duration::from_secs(10), Duration::ZERO),
            Duration::ZERO,
        );
        refused.acquire().await.unwrap();
        assert!(refused.prepaid(1, async {}).await.is_err());
    }

    #[tokio::test(start_paused = true)]
    async fn acquire_waits_for_the_reserved_time() {
        let budget = Budget::new(
            Window::new(1, Duration::from_secs(10), Duration::ZERO),
            Duration::from_secs(30),
        );
        let start = Instant::now();
        budget.acquire().await.unwrap();
        budget.acquire().await.unwrap();
        assert_eq!(Instant::now() - start, Duration::from_secs(10));
        assert!(budget.wait_estimate() > Duration::from_secs(9));
    }

    #[tokio::test(start_paused = true)]
    async fn one_subject_cannot_take_more_than_its_allowance_and_others_are_unaffected() {
        let budget = Budget::new(
            Window::new(1000, Duration::from_secs(60), Duration::ZERO),
            Duration::from_secs(5),
        )
        .with_allowance(10);
        let spent = budget
            .on_behalf_of("greedy", async {
                let mut granted = 0;
                for _ in 0..30 {
                    if budget.acquire().await.is_ok() {
                        granted += 1;
                    }
                }
                granted
            })
            .await;
        assert_eq!(spent, 10);
        let refused = budget
            .on_behalf_of("greedy", budget.prepaid(2, async {}))
            .await
            .unwrap_err();
        assert_eq!(refused.reason, Limit::Allowance);
        assert!(refused.retry_after > Duration::ZERO);
        budget
            .on_behalf_of("modest", budget.prepaid(2, async {}))
            .await
            .unwrap();
        // Calls made for no one in particular (start-up, tests) are not limited by allowances.
        budget.acquire().await.unwrap();
    }

    #[tokio::test(start_paused = true)]
    async fn prepaid_slots_and_the_subject_travel_into_a_spawned_task() {
        let budget = std::sync::Arc::new(
            Budget::new(
                Window::new(2, Duration::from_secs(10), Duration::ZERO),
                Duration::from_secs(30),
            )
            .with_allowance(2),
        );
        let start = Instant::now();
        let inner = budget.clone();
        let waits = budget
            .on_behalf_of(
                "ada",
                budget.prepaid(2, async move {
                    inner.acquire().await.unwrap();
                    let carried = Budget::carry();
                    let spawned = inner.clone();
                    tokio::spawn(carried.scope(async move {
                        // The second prepaid slot: no wait, and no allowance taken twice.
                        spawned.acquire().await.unwrap();
                        let used = Instant::now() - start;
                        // Ada's allowance (2) was taken by the reservation: a third is refused.
                        (used, spawned.acquire().await.unwrap_err().reason)
                    }))
                    .await
                    .unwrap()
                }),
            )
            .await
            .unwrap();
        assert_eq!(waits, (Duration::ZERO, Limit::Allowance));
    }
}
