//! When to refresh a session and when to retry a failure. Pure: times are milliseconds passed
//! in, randomness is a number in `[0, 1)` passed in.

use crate::fetch::{ErrorKind, WidgetError};

/// Never refresh sooner than this after a load, even if the endpoint hands out sessions that
/// expire at once: a misconfigured TTL must not turn into a request loop.
pub const MIN_REFRESH_DELAY_MS: f64 = 1_000.0;

/// The largest head start before expiry (long sessions refresh 30 s early).
const MAX_LEAD_MS: f64 = 30_000.0;

/// First automatic retry after a transient failure; doubles per attempt.
pub const BASE_RETRY_MS: f64 = 2_000.0;

/// The longest wait between automatic retries.
pub const MAX_RETRY_MS: f64 = 300_000.0;

/// First automatic retry after an `authentication` error, while the host gives a token source
/// (`getAuthToken` or `token-url`); doubles per attempt. A refused identity does not fix itself
/// within seconds (a host rotating its JWT secret, a sign-in renewed in another tab), and every
/// open page asks the host's backend: a minute apart at the least.
pub const AUTH_RETRY_MS: f64 = 60_000.0;

/// The longest wait between automatic retries after an `authentication` error: a quarter of an
/// hour, the longest an identity token may live (SPEC §6), so a page left open picks up a
/// fixed backend within one token's lifetime.
pub const MAX_AUTH_RETRY_MS: f64 = 900_000.0;

/// After an `authentication` error, returning to the page asks again at once, but not twice
/// within this long: switching tabs back and forth is not a reason to ask each time.
pub const AUTH_RETURN_GAP_MS: f64 = 5_000.0;

/// Milliseconds from `now` until the session expiring at `expires_at` should be re-fetched:
/// a tenth of its remaining life before expiry (at most 30 s early), never under a second.
pub fn refresh_delay(expires_at: f64, now: f64) -> f64 {
    let remaining = expires_at - now;
    let lead = (remaining / 10.0).clamp(0.0, MAX_LEAD_MS);
    (remaining - lead).max(MIN_REFRESH_DELAY_MS)
}

/// Whether an error may go away by itself, so retrying automatically makes sense. A missing
/// endpoint, a refused identity or a malformed session will not fix themselves.
pub fn is_transient(error: &WidgetError) -> bool {
    matches!(
        error.kind,
        ErrorKind::Network | ErrorKind::Server | ErrorKind::RateLimit
    )
}

/// Milliseconds before automatic retry number `attempt` (1-based): exponential from
/// [`BASE_RETRY_MS`], capped at [`MAX_RETRY_MS`], spread by `jitter` (in `[0, 1)`) over
/// ±25 % so many widgets do not retry in step, and never sooner than `Retry-After`.
pub fn retry_delay(attempt: u32, retry_after_ms: Option<f64>, jitter: f64) -> f64 {
    let exponent = attempt.saturating_sub(1).min(16);
    let base = (BASE_RETRY_MS * f64::from(1u32 << exponent)).min(MAX_RETRY_MS);
    let spread = base * (0.75 + jitter * 0.5);
    spread.max(retry_after_ms.unwrap_or(0.0))
}

/// Milliseconds before automatic retry number `attempt` (1-based) after an `authentication`
/// error: [`AUTH_RETRY_MS`] doubling per attempt (1, 2, 4, 8 minutes), spread upwards by
/// `jitter` (in `[0, 1)`) by up to a quarter so open pages do not ask in step, capped at
/// [`MAX_AUTH_RETRY_MS`]. Never under a minute.
pub fn auth_retry_delay(attempt: u32, jitter: f64) -> f64 {
    let exponent = attempt.saturating_sub(1).min(16);
    let base = AUTH_RETRY_MS * f64::from(1u32 << exponent);
    (base * (1.0 + jitter * 0.25)).min(MAX_AUTH_RETRY_MS)
}

/// Whether returning to the page at `now` may ask again after an `authentication` error, the
/// last session request having been made at `asked_at`.
pub fn may_ask_on_return(asked_at: f64, now: f64) -> bool {
    now - asked_at >= AUTH_RETURN_GAP_MS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refresh_comes_a_tenth_of_the_life_before_expiry() {
        // A 60 s session refreshes at 54 s.
        assert_eq!(refresh_delay(60_000.0, 0.0), 54_000.0);
        // A one-hour session refreshes 30 s early, not 6 minutes.
        assert_eq!(refresh_delay(3_600_000.0, 0.0), 3_570_000.0);
        // A 3 s session refreshes at 2.7 s, before it expires.
        assert_eq!(refresh_delay(3_000.0, 0.0), 2_700.0);
    }

    #[test]
    fn expired_or_instant_sessions_do_not_loop() {
        assert_eq!(refresh_delay(0.0, 5_000.0), MIN_REFRESH_DELAY_MS);
        assert_eq!(refresh_delay(500.0, 0.0), MIN_REFRESH_DELAY_MS);
    }

    #[test]
    fn backoff_doubles_and_is_capped() {
        assert_eq!(retry_delay(1, None, 0.5), 2_000.0);
        assert_eq!(retry_delay(2, None, 0.5), 4_000.0);
        assert_eq!(retry_delay(3, None, 0.5), 8_000.0);
        assert_eq!(retry_delay(30, None, 0.5), MAX_RETRY_MS);
        assert_eq!(retry_delay(1, None, 0.0), 1_500.0);
        assert!(retry_delay(1, None, 0.999) < 2_500.0);
    }

    #[test]
    fn retry_after_is_honoured() {
        assert_eq!(retry_delay(1, Some(30_000.0), 0.5), 30_000.0);
        assert_eq!(retry_delay(10, Some(1_000.0), 0.5), 300_000.0 * 1.0);
    }

    #[test]
    fn after_an_authentication_error_retries_come_a_minute_apart_then_rarer() {
        assert_eq!(auth_retry_delay(1, 0.0), 60_000.0);
        assert_eq!(auth_retry_delay(2, 0.0), 120_000.0);
        assert_eq!(auth_retry_delay(3, 0.0), 240_000.0);
        assert_eq!(auth_retry_delay(4, 0.0), 480_000.0);
        assert_eq!(auth_retry_delay(5, 0.0), MAX_AUTH_RETRY_MS);
        assert_eq!(auth_retry_delay(40, 0.999), MAX_AUTH_RETRY_MS);
        // Spread upwards only: never sooner than a minute.
        assert_eq!(auth_retry_delay(1, 0.5), 67_500.0);
        assert!(auth_retry_delay(1, 0.999) < 75_000.0);
        for attempt in 0..40 {
            for jitter in [0.0, 0.3, 0.999] {
                assert!(auth_retry_delay(attempt, jitter) >= AUTH_RETRY_MS);
            }
        }
    }

    #[test]
    fn returning_to_the_page_asks_again_only_a_few_seconds_after_the_last_request() {
        assert!(!may_ask_on_return(10_000.0, 10_000.0));
        assert!(!may_ask_on_return(10_000.0, 14_999.0));
        assert!(may_ask_on_return(10_000.0, 15_000.0));
    }

    #[test]
    fn only_transient_errors_retry_by_themselves() {
        let e = |kind| WidgetError::new(kind, "");
        assert!(is_transient(&e(ErrorKind::Network)));
        assert!(is_transient(&e(ErrorKind::Server)));
        assert!(is_transient(&e(ErrorKind::RateLimit)));
        assert!(!is_transient(&e(ErrorKind::Authentication)));
        assert!(!is_transient(&e(ErrorKind::Configuration)));
        assert!(!is_transient(&e(ErrorKind::InvalidResponse)));
    }
}
