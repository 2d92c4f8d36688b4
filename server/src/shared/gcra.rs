//! Rate limits shared by every instance: GCRA (the algorithm governor uses in-process) as one
//! Lua script, so a limit of 60 a minute is 60 a minute across the whole deployment.
//!
//! A key stores its theoretical arrival time (TAT, Redis milliseconds). Taking `n` cells moves it
//! `n` emission intervals on; that is allowed when the new TAT is at most `burst` intervals ahead
//! of now. The key expires when it would be full again, so idle identities cost no memory.

use std::time::Duration;

use redis::Script;

use super::{Shared, Unavailable};

/// KEYS[1] the TAT; ARGV interval (ms, may be fractional), burst, n.
/// Returns 0 when taken, the wait in ms when not yet, -1 when `n` exceeds the burst (never).
const TAKE: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local n = tonumber(ARGV[3])
if n > burst then return -1 end
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local new_tat = tat + n * interval
local allow_at = new_tat - burst * interval
if allow_at > now then return math.max(1, math.ceil(allow_at - now)) end
redis.call('SET', KEYS[1], string.format('%.3f', new_tat), 'PX', math.ceil(new_tat - now) + 1)
return 0
";

/// A limit of `per_minute` with bursts of `burst`, over keys in one namespace.
#[derive(Clone)]
pub struct Gcra {
    shared: Shared,
    script: std::sync::Arc<Script>,
    namespace: String,
    interval_ms: f64,
    burst: u32,
}

impl std::fmt::Debug for Gcra {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gcra")
            .field("namespace", &self.namespace)
            .field("burst", &self.burst)
            .finish_non_exhaustive()
    }
}

impl Gcra {
    /// `per_minute` cells a minute (at least 1), at most `burst` at once, for keys under
    /// `namespace`.
    pub fn new(shared: Shared, namespace: &str, per_minute: u32, burst: u32) -> Self {
        Self {
            namespace: shared.key(&["limit:", namespace, ":"].concat()),
            shared,
            script: std::sync::Arc::new(Script::new(TAKE)),
            interval_ms: 60_000.0 / f64::from(per_minute.max(1)),
            burst: burst.max(1),
        }
    }

    /// Takes `n` cells from `key`'s allowance, all or none.
    ///
    /// # Errors
    /// [`Unavailable`] when Redis cannot decide. Otherwise the inner result: `Err(wait)` when
    /// the cells are not there yet (`Duration::MAX` when they never can be at once).
    pub async fn take(&self, key: &str, n: u32) -> Result<Result<(), Duration>, Unavailable> {
        let mut invocation = self.script.prepare_invoke();
        invocation
            .key([self.namespace.as_str(), key].concat())
            .arg(self.interval_ms)
            .arg(self.burst)
            .arg(n);
        let answer: i64 = self.shared.run(&invocation).await?;
        Ok(match answer {
            0 => Ok(()),
            wait if wait > 0 => Err(Duration::from_millis(wait.unsigned_abs())),
            _ => Err(Duration::MAX),
        })
    }
}
