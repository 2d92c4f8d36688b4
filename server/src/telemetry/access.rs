//! Access logs: one line per request at `info` (request id, method, path, status, latency),
//! and refusals summarised.
//!
//! Anyone can make the server refuse (a flood of bad tokens, of requests past a limit), so a
//! refusal does not get a line of its own every time: per reason (status, error type and
//! message), the first in any second is logged in full with its request id, and the next line
//! for that reason says how many were left out since ([`Summary`]). The count of every refusal
//! is in `/metrics` all the same. Server failures are summarised the same way, at `error`.
//!
//! No token, email or query string is ever in a line: the request's span carries its method and
//! path only ([`crate::router::layers`]).

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use axum::http::{Response, StatusCode};
use tokio::time::Instant;

/// The least time between two lines for one refusal reason.
pub const REFUSAL_LINE_EVERY: Duration = Duration::from_secs(1);

/// What [`crate::error::Error`] puts on its answer, for the access line: why it was refused,
/// and the internal detail (logged, never sent).
#[derive(Clone, Debug)]
pub struct Refused {
    /// `error.type` of the answer.
    pub kind: &'static str,
    /// The answer's message.
    pub message: &'static str,
    /// The error as logged (may name a database error; never the key or a token).
    pub detail: String,
}

/// Per refusal reason, when its last line was written and how many were left out since.
#[derive(Debug, Default)]
pub struct Summary {
    reasons: HashMap<(u16, &'static str, &'static str), (Instant, u64)>,
}

impl Summary {
    /// Notes one refusal for `reason` at `now`: `Some(left_out)` when a line is due (with how
    /// many of this reason were not logged since the last), `None` when it is only counted.
    pub fn note(&mut self, reason: (u16, &'static str, &'static str), now: Instant) -> Option<u64> {
        match self.reasons.get_mut(&reason) {
            Some((last, left_out)) if now.duration_since(*last) < REFUSAL_LINE_EVERY => {
                *left_out += 1;
                None
            }
            Some((last, left_out)) => {
                *last = now;
                Some(std::mem::take(left_out))
            }
            None => {
                self.reasons.insert(reason, (now, 0));
                Some(0)
            }
        }
    }
}

/// The process's summary (reasons are a small fixed set: statuses, types and static messages).
static SUMMARY: Mutex<Option<Summary>> = Mutex::new(None);

/// The access line of `response`, inside the request's span: at `info` when it was answered,
/// summarised when it was refused (see the module's documentation).
pub fn log<B>(response: &Response<B>, latency: Duration) {
    let status = response.status();
    let latency_ms = latency.as_secs_f64() * 1000.0;
    let Some(refused) = response.extensions().get::<Refused>() else {
        tracing::info!(status = status.as_u16(), latency_ms, "answered");
        return;
    };
    let reason = (status.as_u16(), refused.kind, refused.message);
    let due = SUMMARY
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get_or_insert_with(Summary::default)
        .note(reason, Instant::now());
    let Some(left_out) = due else { return };
    let (kind, message, detail) = (refused.kind, refused.message, &refused.detail);
    if status.is_server_error() && status != StatusCode::SERVICE_UNAVAILABLE {
        tracing::error!(status = status.as_u16(), latency_ms, kind, reason = message, error = %detail, left_out, "failed");
    } else {
        tracing::info!(status = status.as_u16(), latency_ms, kind, reason = message, error = %detail, left_out, "refused");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BAD_TOKEN: (u16, &str, &str) = (401, "authentication", "invalid token");
    const LIMITED: (u16, &str, &str) = (429, "rate_limit", "too many requests; try again later");

    #[tokio::test(start_paused = true)]
    async fn a_flood_writes_one_line_per_reason_a_second_with_the_count_left_out() {
        let mut summary = Summary::default();
        let start = Instant::now();
        // 1000 bad tokens and 1000 limited requests within the same second: one line each.
        let mut lines = 0;
        for i in 0..1000u64 {
            let now = start + Duration::from_micros(i * 900);
            lines += u64::from(summary.note(BAD_TOKEN, now).is_some());
            lines += u64::from(summary.note(LIMITED, now).is_some());
        }
        assert_eq!(lines, 2);
        // The next second's first line says how many were left out.
        assert_eq!(
            summary.note(BAD_TOKEN, start + Duration::from_secs(1)),
            Some(999)
        );
        assert_eq!(
            summary.note(BAD_TOKEN, start + Duration::from_millis(1500)),
            None
        );
        assert_eq!(
            summary.note(LIMITED, start + Duration::from_secs(5)),
            Some(999)
        );
        assert_eq!(
            summary.note(BAD_TOKEN, start + Duration::from_secs(5)),
            Some(1)
        );
    }
}
