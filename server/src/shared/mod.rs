//! The Redis implementations of the shared facilities (`DASHBOARD_REDIS_URL`), and the one
//! connection they use.
//!
//! One process keeps its budget, caches and limits in memory. Behind a load balancer that would
//! give each instance a budget of its own (two instances could send twice the platform's limit
//! and get the IP blocked), a cache of its own (the same user fetched once per instance), and
//! limits of their own. With Redis every decision that must hold across instances is taken in
//! Redis, by a Lua script that runs atomically and reads Redis's own clock (`TIME`), so the
//! instances' clocks never matter:
//!
//! - [`call_log`]: the budget's sliding log of upstream calls (reservations and actual grants)
//!   and the 429 pause ([`crate::budget::CallLog`]);
//! - [`limits`]: the keyed rate limits, GCRA as a script ([`crate::limit::LimitStore`]);
//! - [`cache`]: cache entries, remembered failures, the single-flight lock with a fencing token,
//!   and invalidation ([`crate::cache::CacheStore`], [`crate::cache::Invalidation`]);
//! - [`keys`]: the key layout, every key any of them writes;
//! - [`scripts`]: the Lua scripts, every decision taken in Redis.
//!
//! When Redis cannot be reached, nothing here guesses: each facility says [`Unavailable`] and its
//! owner decides (the budget refuses, request limits count on this instance, caches answer from
//! the instance's copies, marked stale). [`Redis`] tracks that state for `/healthz`, logs it
//! once a minute rather than once a request, stops trying for a moment after a failure, and
//! notices by itself when Redis is back.

pub mod cache;
pub mod call_log;
pub mod keys;
pub mod limits;
pub mod scripts;

pub use cache::RedisCacheStore;
pub use call_log::RedisCallLog;
pub use limits::RedisLimits;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use tokio::time::Instant;

pub use crate::seam::Unavailable;

/// The longest one Redis command may take. Redis answers in well under a millisecond; a server
/// that takes this long is treated as down rather than holding every request.
pub const OP_TIMEOUT: Duration = Duration::from_millis(500);

/// After a failure, commands fail at once for this long instead of each waiting for a dead
/// server; the first one after it tries again (so recovery is noticed within this).
const RETRY_AFTER_FAILURE: Duration = Duration::from_secs(1);

/// How often "Redis is unreachable" is logged while it stays so: once a minute, not once a
/// request.
const LOG_EVERY: Duration = Duration::from_secs(60);

/// What went wrong the last time, and when it was logged.
struct Down {
    reason: Arc<str>,
    last_try: Instant,
    last_log: Instant,
}

struct Inner {
    conn: ConnectionManager,
    down: AtomicBool,
    state: std::sync::Mutex<Option<Down>>,
}

/// The connection to Redis, shared by every facility that needs it (cheap to clone).
#[derive(Clone)]
pub struct Redis(Arc<Inner>);

impl std::fmt::Debug for Redis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Redis")
            .field("reachable", &!self.0.down.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

impl Redis {
    /// Connects to `url` (`redis://`, `rediss://` for TLS) and checks it answers.
    ///
    /// # Errors
    /// When the URL is unusable or the server does not answer; the message never contains the
    /// URL (it may hold a password).
    pub async fn connect(url: &str) -> Result<Self, Unavailable> {
        let client = redis::Client::open(url).map_err(|e| unavailable(&e))?;
        // Reconnects are tried once per command, quickly: a command that finds Redis gone
        // fails within OP_TIMEOUT, and the next one (after RETRY_AFTER_FAILURE) tries again.
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(OP_TIMEOUT))
            .set_response_timeout(Some(OP_TIMEOUT))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_millis(200));
        let conn = tokio::time::timeout(
            OP_TIMEOUT * 4,
            ConnectionManager::new_with_config(client, config),
        )
        .await
        .map_err(|_| Unavailable("no answer in time".into()))?
        .map_err(|e| unavailable(&e))?;
        let redis = Self(Arc::new(Inner {
            conn,
            down: AtomicBool::new(false),
            state: std::sync::Mutex::new(None),
        }));
        redis.ping().await?;
        Ok(redis)
    }

    /// Runs `invocation` (a prepared script) and reads its answer as `T`.
    ///
    /// # Errors
    /// [`Unavailable`] when Redis fails, times out, or failed less than a second ago.
    pub async fn run<T: redis::FromRedisValue>(
        &self,
        invocation: &redis::ScriptInvocation<'_>,
    ) -> Result<T, Unavailable> {
        self.guard()?;
        let mut conn = self.0.conn.clone();
        let answer = tokio::time::timeout(OP_TIMEOUT, invocation.invoke_async(&mut conn)).await;
        self.note(answer)
    }

    /// Checks that Redis answers (for `/healthz`, which so also notices a recovery when no
    /// request comes).
    ///
    /// # Errors
    /// [`Unavailable`] when it does not.
    pub async fn ping(&self) -> Result<(), Unavailable> {
        let mut conn = self.0.conn.clone();
        let answer = tokio::time::timeout(
            OP_TIMEOUT,
            redis::cmd("PING").query_async::<String>(&mut conn),
        )
        .await;
        self.note(answer).map(drop)
    }

    /// Why Redis is considered unreachable, if it is.
    pub fn problem(&self) -> Option<Arc<str>> {
        if !self.0.down.load(Ordering::Relaxed) {
            return None;
        }
        self.state().as_ref().map(|down| down.reason.clone())
    }

    /// Fails at once while a recent failure stands.
    fn guard(&self) -> Result<(), Unavailable> {
        if !self.0.down.load(Ordering::Relaxed) {
            return Ok(());
        }
        let mut state = self.state();
        match state.as_mut() {
            Some(down) if down.last_try.elapsed() < RETRY_AFTER_FAILURE => {
                Err(Unavailable(down.reason.clone()))
            }
            Some(down) => {
                // This caller is the one that tries again; the others keep failing fast.
                down.last_try = Instant::now();
                Ok(())
            }
            None => Ok(()),
        }
    }

    /// Records the outcome of a command: recovery, or a failure (logged once a minute).
    fn note<T>(
        &self,
        answer: Result<redis::RedisResult<T>, tokio::time::error::Elapsed>,
    ) -> Result<T, Unavailable> {
        let error = match answer {
            Ok(Ok(value)) => {
                if self.0.down.swap(false, Ordering::Relaxed) {
                    *self.state() = None;
                    tracing::info!("Redis is reachable again; shared state is used again");
                }
                return Ok(value);
            }
            Ok(Err(error))
                if matches!(
                    error.kind(),
                    redis::ErrorKind::Server(_) | redis::ErrorKind::Extension
                ) =>
            {
                // Redis answered, with an error (a script bug, a full memory): not "down", but
                // nothing to rely on either.
                tracing::error!(%error, "a Redis command failed");
                return Err(unavailable(&error));
            }
            Ok(Err(error)) => unavailable(&error),
            Err(_) => Unavailable("no answer within 500 ms".into()),
        };
        let now = Instant::now();
        let mut state = self.state();
        let log = match state.as_mut() {
            Some(down) => {
                down.reason = error.0.clone();
                down.last_try = now;
                let due = now.duration_since(down.last_log) >= LOG_EVERY;
                if due {
                    down.last_log = now;
                }
                due
            }
            None => {
                *state = Some(Down {
                    reason: error.0.clone(),
                    last_try: now,
                    last_log: now,
                });
                true
            }
        };
        self.0.down.store(true, Ordering::Relaxed);
        drop(state);
        if log {
            tracing::warn!(
                reason = %error.0,
                "Redis is unreachable: answering from this instance's copies (stale), refusing new upstream calls until it is back"
            );
        }
        Err(error)
    }

    fn state(&self) -> std::sync::MutexGuard<'_, Option<Down>> {
        // Plain data replaced whole; a panic elsewhere cannot leave it half-written.
        self.0
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

fn unavailable(error: &redis::RedisError) -> Unavailable {
    Unavailable(error.to_string().into())
}
