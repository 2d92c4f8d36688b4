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
//! If Redis loses the log (restarted without persistence, flushed), no instance can know what
//! the last minute held. An instance that has used the log before notices its marker is gone
//! and pauses everyone for a whole window: refusing a minute of new work is cheaper than an IP
//! block.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use redis::Script;
use tokio::time::Instant;

use super::{Redis, keys};
use crate::budget::{CallLog, Granted, Reserved, Window};
use crate::seam::{BoxFuture, Unavailable};

/// KEYS slots, pause, marker; ARGV limit, spacing ms, max wait ms, calls, seen-marker (0/1).
/// Returns {1, pause left, wait 1, ..., wait n} or {0, wait until the last would be free, pause
/// left}.
const RESERVE: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local limit = tonumber(ARGV[1])
local spacing = tonumber(ARGV[2])
local max_wait = tonumber(ARGV[3])
local calls = tonumber(ARGV[4])
if redis.call('EXISTS', KEYS[3]) == 0 then
  redis.call('SET', KEYS[3], string.format('%d', now))
  if ARGV[5] == '1' then
    redis.call('SET', KEYS[2], string.format('%d', now + spacing), 'PX', spacing)
  end
end
local pause = tonumber(redis.call('GET', KEYS[2]) or '0')
local left = math.max(pause - now, 0)
local raw = redis.call('LRANGE', KEYS[1], -limit, -1)
local slots = {}
for i = 1, #raw do slots[i] = tonumber(raw[i]) end
local waits = {}
for c = 1, calls do
  local n = #slots
  local at = now
  if n > 0 and slots[n] > at then at = slots[n] end
  if n >= limit and slots[n - limit + 1] + spacing > at then at = slots[n - limit + 1] + spacing end
  if pause > at then at = pause end
  if at - now > max_wait then return {0, at - now, left} end
  slots[n + 1] = at
  waits[c] = at - now
end
for c = 1, calls do redis.call('RPUSH', KEYS[1], string.format('%d', now + waits[c])) end
redis.call('LTRIM', KEYS[1], -limit, -1)
redis.call('PEXPIRE', KEYS[1], spacing + max_wait + 1000)
local answer = {1, left}
for c = 1, calls do answer[c + 2] = waits[c] end
return answer
";

/// KEYS grants, marker; ARGV limit, spacing ms. Returns 0 (granted), the wait in ms, or -1 when
/// the log was lost (see the module docs; the next reservation pauses everyone).
const GRANT: &str = r"
if redis.call('EXISTS', KEYS[2]) == 0 then return -1 end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local limit = tonumber(ARGV[1])
local spacing = tonumber(ARGV[2])
if redis.call('LLEN', KEYS[1]) >= limit then
  local oldest = tonumber(redis.call('LINDEX', KEYS[1], -limit))
  if oldest + spacing > now then return oldest + spacing - now end
end
redis.call('RPUSH', KEYS[1], string.format('%d', now))
redis.call('LTRIM', KEYS[1], -limit, -1)
redis.call('PEXPIRE', KEYS[1], spacing + 1000)
return 0
";

/// KEYS pause; ARGV ms. Extends the pause to now + ms (never shortens it).
const PAUSE: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local until_ms = now + tonumber(ARGV[1])
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if current < until_ms then
  redis.call('SET', KEYS[1], string.format('%d', until_ms), 'PX', ARGV[1])
end
return 0
";

struct Scripts {
    reserve: Script,
    grant: Script,
    pause: Script,
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
    /// Whether this instance has seen the log's marker (so a missing one means it was lost).
    seen: AtomicBool,
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
            }),
            limit: window.limit().max(1),
            spacing: window.spacing(),
            seen: AtomicBool::new(false),
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
            .arg(self.limit)
            .arg(millis(self.spacing))
            .arg(millis(max_wait))
            .arg(calls.max(1))
            .arg(u8::from(self.seen.load(Ordering::Relaxed)));
        let answer: Vec<i64> = self.redis.run(&invocation).await?;
        self.seen.store(true, Ordering::Relaxed);
        let now = Instant::now();
        let (reserved, free_in, pause) = match answer.as_slice() {
            [1, left, waits @ ..] => {
                let waits: Vec<Duration> = waits.iter().copied().map(from_millis).collect();
                let last = waits.last().copied().unwrap_or_default();
                let slots = waits.into_iter().map(|wait| now + wait).collect();
                (Reserved::Slots(slots), last, from_millis(*left))
            }
            [_, wait, left, ..] => (
                Reserved::Refused(from_millis(*wait)),
                from_millis(*wait),
                from_millis(*left),
            ),
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
}
