//! The budget's call log in Redis ([`CallLog`]): [`crate::budget::Window`]'s two steps as Lua
//! scripts over lists of Redis timestamps, so every instance draws on one log.
//!
//! - **reserve**: `calls` start times, all or none, each where the window ending at it holds
//!   fewer than `limit` earlier reservations, never before the shared 429 pause; refused when the
//!   last would start more than `max_wait` from now. Answers with waits, not instants: the caller
//!   sleeps that long on its own clock.
//! - **grant**: at its time, the call goes only if the last `limit` *actual* grants leave room.
//! - **pause**: after a 429, no reservation starts before the pause ends (a key with an expiry).
//!
//! If Redis loses the log (restarted without persistence, flushed, its keys evicted, a replica
//! behind), no instance can know what the last minute held. The marker says until when the log
//! must exist; whoever reserves next and finds it missing, or the log gone before then, pauses
//! everyone for a whole window (see [`RESERVE`]): refusing a minute of new work is cheaper than
//! an IP block. Each instance writes the marker when it connects ([`mark`]), so a new Redis is
//! not taken for a lost one. Left open: an instance started after the loss (and before anyone
//! reserved) writes the marker anew and cannot know.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use redis::Script;
use tokio::time::Instant;

use super::scripts::{GRANT, MARK, PAUSE, PAUSED, RESERVE};
use super::{Redis, keys};
use crate::budget::{CallLog, Granted, Pause, Reserved, Window};
use crate::seam::{BoxFuture, Unavailable};

struct Scripts {
    reserve: Script,
    grant: Script,
    pause: Script,
    paused: Script,
}

/// Writes the budget's marker when Redis has none (a new Redis): called once per instance as it
/// connects.
///
/// # Errors
/// [`Unavailable`] when Redis does not answer.
pub async fn mark(redis: &Redis) -> Result<(), Unavailable> {
    let script = Script::new(MARK);
    let mut invocation = script.prepare_invoke();
    invocation.key(keys::BUDGET_MARKER);
    redis.run::<i64>(&invocation).await.map(drop)
}

/// What this instance last heard from the log: for estimates and `/healthz`, never for
/// decisions (those are Redis's).
#[derive(Debug)]
struct Heard {
    /// When the last reservation said a call could start.
    free_at: Instant,
    /// Until when the last answer (or this instance's own 429) said calls are paused.
    paused_until: Option<Instant>,
}

/// The sliding log of one API key's calls, in Redis.
pub struct RedisCallLog {
    redis: Redis,
    scripts: Arc<Scripts>,
    limit: u32,
    spacing: Duration,
    heard: Mutex<Heard>,
}

impl std::fmt::Debug for RedisCallLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisCallLog")
            .field("limit", &self.limit)
            .field("spacing", &self.spacing)
            .finish_non_exhaustive()
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

fn from_millis(ms: i64) -> Duration {
    Duration::from_millis(ms.max(0).unsigned_abs())
}

impl RedisCallLog {
    /// The log of `window`'s limit and spacing (the window plus its safety margin).
    pub fn new(redis: Redis, window: &Window) -> Self {
        Self {
            redis,
            scripts: Arc::new(Scripts {
                reserve: Script::new(RESERVE),
                grant: Script::new(GRANT),
                pause: Script::new(PAUSE),
                paused: Script::new(PAUSED),
            }),
            limit: window.limit().max(1),
            spacing: window.spacing(),
            heard: Mutex::new(Heard {
                free_at: Instant::now(),
                paused_until: None,
            }),
        }
    }

    fn heard(&self) -> std::sync::MutexGuard<'_, Heard> {
        // Plain data replaced field by field; a panic elsewhere cannot leave it half-written.
        self.heard
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Remembers a pause that runs until `until`.
    fn heard_pause(&self, until: Instant) {
        let mut heard = self.heard();
        heard.paused_until = Some(heard.paused_until.map_or(until, |p| p.max(until)));
    }

    async fn reserve_in_redis(
        &self,
        calls: usize,
        max_wait: Duration,
    ) -> Result<Reserved, Unavailable> {
        let mut invocation = self.scripts.reserve.prepare_invoke();
        invocation
            .key(keys::BUDGET_SLOTS)
            .key(keys::BUDGET_PAUSE)
            .key(keys::BUDGET_MARKER)
            .key(keys::BUDGET_LOST)
            .arg(self.limit)
            .arg(millis(self.spacing))
            .arg(millis(max_wait))
            .arg(calls.max(1));
        let answer: Vec<i64> = self.redis.run(&invocation).await?;
        let now = Instant::now();
        let (reserved, free_in, pause) = match answer.as_slice() {
            [1, left, _lost, waits @ ..] => {
                let waits: Vec<Duration> = waits.iter().copied().map(from_millis).collect();
                let last = waits.last().copied().unwrap_or_default();
                let slots = waits.into_iter().map(|wait| now + wait).collect();
                (Reserved::Slots(slots), last, from_millis(*left))
            }
            [_, wait, left, lost, ..] => {
                let wait = from_millis(*wait);
                let reserved = if *lost == 1 {
                    Reserved::Lost(wait)
                } else {
                    Reserved::Refused(wait)
                };
                (reserved, wait, from_millis(*left))
            }
            _ => {
                return Err(Unavailable(
                    "unexpected answer from the budget script".into(),
                ));
            }
        };
        self.heard().free_at = now + free_in;
        if !pause.is_zero() {
            self.heard_pause(now + pause);
        }
        Ok(reserved)
    }

    async fn grant_in_redis(&self) -> Result<Granted, Unavailable> {
        let mut invocation = self.scripts.grant.prepare_invoke();
        invocation
            .key(keys::BUDGET_GRANTS)
            .key(keys::BUDGET_MARKER)
            .arg(self.limit)
            .arg(millis(self.spacing));
        let answer: i64 = self.redis.run(&invocation).await?;
        Ok(match answer {
            0 => Granted::Now,
            wait if wait > 0 => Granted::Wait(Instant::now() + from_millis(wait)),
            _ => Granted::Lost,
        })
    }

    async fn pause_in_redis(&self, duration: Duration) -> Result<(), Unavailable> {
        let mut invocation = self.scripts.pause.prepare_invoke();
        invocation
            .key(keys::BUDGET_PAUSE)
            .arg(millis(duration).max(1));
        self.redis.run::<i64>(&invocation).await.map(drop)
    }

    async fn pause_in_redis_now(&self) -> Result<Option<Pause>, Unavailable> {
        let mut invocation = self.scripts.paused.prepare_invoke();
        invocation.key(keys::BUDGET_PAUSE).key(keys::BUDGET_LOST);
        let answer: Vec<i64> = self.redis.run(&invocation).await?;
        Ok(match answer.as_slice() {
            [left, lost] if *left > 0 => Some(Pause {
                left: from_millis(*left),
                lost: *lost == 1,
            }),
            _ => None,
        })
    }
}

impl CallLog for RedisCallLog {
    fn reserve(
        &self,
        calls: usize,
        max_wait: Duration,
    ) -> BoxFuture<'_, Result<Reserved, Unavailable>> {
        Box::pin(self.reserve_in_redis(calls, max_wait))
    }

    fn grant(&self) -> BoxFuture<'_, Result<Granted, Unavailable>> {
        Box::pin(self.grant_in_redis())
    }

    fn pause_for(&self, duration: Duration) -> BoxFuture<'_, Result<(), Unavailable>> {
        self.heard_pause(Instant::now() + duration);
        Box::pin(self.pause_in_redis(duration))
    }

    fn wait_estimate(&self) -> Duration {
        self.heard()
            .free_at
            .saturating_duration_since(Instant::now())
    }

    fn paused_for(&self) -> Option<Duration> {
        let now = Instant::now();
        let until = self.heard().paused_until?;
        (until > now).then(|| until - now)
    }

    fn pause(&self) -> BoxFuture<'_, Result<Option<Pause>, Unavailable>> {
        Box::pin(self.pause_in_redis_now())
    }
}
