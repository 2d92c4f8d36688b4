//! When to try a call again: backoff for what can recover, and the pause a 429 imposes.

use std::time::Duration;

use super::UpstreamError;

/// Attempts per call (the first plus two retries): enough to ride out a blip, few enough not
/// to burn the budget on an outage.
const MAX_ATTEMPTS: u32 = 3;

/// First retry delay for 5xx and transport failures; doubles per attempt, jittered.
const BASE_BACKOFF: Duration = Duration::from_millis(250);

/// The longest pause a 429's `Retry-After` can impose: a hostile or broken value (days, or a
/// number that overflows) must not silence the server for longer than this.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(10 * 60);

/// The pause after a 429 without `Retry-After`: the platform documents a per-minute limit.
pub const DEFAULT_RETRY_AFTER: Duration = Duration::from_secs(60);

/// How long to wait before the next attempt, or `None` to give up. `jitter` is in `[0, 1)`.
pub fn retry_delay(error: &UpstreamError, attempt: u32, jitter: f64) -> Option<Duration> {
    if attempt >= MAX_ATTEMPTS || !error.retryable() {
        return None;
    }
    Some(BASE_BACKOFF.mul_f64(f64::from(1u32 << (attempt - 1)) * (0.5 + jitter)))
}

/// The pause a 429 imposes: its `Retry-After` in seconds or as an HTTP date (relative to
/// `now`), capped at [`MAX_RETRY_AFTER`]; [`DEFAULT_RETRY_AFTER`] when absent or unreadable.
pub fn retry_after(header: Option<&str>, now: std::time::SystemTime) -> Duration {
    let Some(text) = header.map(str::trim).filter(|t| !t.is_empty()) else {
        return DEFAULT_RETRY_AFTER;
    };
    let wait = if text.bytes().all(|b| b.is_ascii_digit()) {
        // Any run of digits, however long: an overflow means "very long", so the cap.
        Some(
            text.parse::<u64>()
                .map_or(MAX_RETRY_AFTER, Duration::from_secs),
        )
    } else {
        httpdate::parse_http_date(text)
            .ok()
            .map(|at| at.duration_since(now).unwrap_or(Duration::ZERO))
    };
    wait.unwrap_or(DEFAULT_RETRY_AFTER).min(MAX_RETRY_AFTER)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_is_read_in_both_forms_and_capped() {
        use std::time::SystemTime;
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(retry_after(Some("7"), now), Duration::from_secs(7));
        assert_eq!(retry_after(None, now), DEFAULT_RETRY_AFTER);
        assert_eq!(retry_after(Some("soon"), now), DEFAULT_RETRY_AFTER);
        assert_eq!(retry_after(Some("-5"), now), DEFAULT_RETRY_AFTER);
        assert_eq!(retry_after(Some("86400"), now), MAX_RETRY_AFTER);
        assert_eq!(
            retry_after(Some("99999999999999999999999999"), now),
            MAX_RETRY_AFTER
        );
        let in_90s = httpdate::fmt_http_date(now + Duration::from_secs(90));
        assert_eq!(retry_after(Some(&in_90s), now), Duration::from_secs(90));
        let past = httpdate::fmt_http_date(now - Duration::from_secs(90));
        assert_eq!(retry_after(Some(&past), now), Duration::ZERO);
        let next_year = httpdate::fmt_http_date(now + Duration::from_secs(365 * 86_400));
        assert_eq!(retry_after(Some(&next_year), now), MAX_RETRY_AFTER);
    }

    #[test]
    fn retries_only_what_can_recover() {
        let e500 = UpstreamError::Status(503);
        assert!(retry_delay(&e500, 1, 0.0).is_some());
        assert!(retry_delay(&e500, MAX_ATTEMPTS, 0.0).is_none());
        assert!(
            retry_delay(
                &UpstreamError::Unprocessable {
                    status: 422,
                    fields: vec![]
                },
                1,
                0.0
            )
            .is_none()
        );
        assert!(retry_delay(&UpstreamError::Malformed("cut"), 1, 0.0).is_some());
        assert!(retry_delay(&UpstreamError::Status(400), 1, 0.0).is_none());
        assert!(retry_delay(&UpstreamError::NotFound, 1, 0.0).is_none());
        let wait = UpstreamError::RateLimited {
            retry_after: Duration::from_secs(2),
        };
        assert!(
            retry_delay(&wait, 1, 0.5).is_none(),
            "a 429 is never retried"
        );
    }

    #[test]
    fn backoff_doubles_with_jitter_bounds() {
        let e = UpstreamError::Timeout;
        let first_low = retry_delay(&e, 1, 0.0).unwrap();
        let first_high = retry_delay(&e, 1, 0.999).unwrap();
        let second_low = retry_delay(&e, 2, 0.0).unwrap();
        assert_eq!(first_low, Duration::from_millis(125));
        assert!(first_high < Duration::from_millis(375));
        assert_eq!(second_low, Duration::from_millis(250));
    }
}
