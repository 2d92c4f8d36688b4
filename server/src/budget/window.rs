//! The budget's pure core: a sliding log of calls, tested with injected instants.
//!
//! At most `limit` calls in any window of `span`: a call reserves a start time where the window
//! ending at it holds fewer than `limit` earlier reservations (in arrival order, so waits are
//! fair and predictable), and at that time it is granted only if the last `limit` *actual*
//! grants leave room (a busy machine wakes callers late, and reserved times alone would then
//! let calls bunch up). A pause (after an upstream 429) holds every reservation back.

use std::collections::VecDeque;
use std::time::Duration;

use tokio::time::Instant;

/// The pure sliding log: reservations and actual grants, at instants passed in.
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

    /// Until when reservations are paused, if they ever were.
    pub fn paused_until(&self) -> Option<Instant> {
        self.paused_until
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::budget::{SAFETY_MARGIN, WINDOW};

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
}
