//! `Retry-After` as this server writes it: whole seconds, rounded up so a client never retries
//! early, and at least 1.
//!
//! A leaf: errors, webhooks and `/healthz` all say when to come back, the same way. (Reading a
//! platform's `Retry-After`, with its caps, is the upstream client's.)

use std::time::Duration;

use axum::http::HeaderValue;

/// `wait` in whole seconds, rounded up, at least 1.
pub fn secs(wait: Duration) -> u64 {
    (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
}

/// `wait` as a `Retry-After` header value.
pub fn header(wait: Duration) -> HeaderValue {
    HeaderValue::from(secs(wait))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_are_rounded_up_to_whole_seconds_and_never_zero() {
        assert_eq!(secs(Duration::ZERO), 1);
        assert_eq!(secs(Duration::from_millis(1)), 1);
        assert_eq!(secs(Duration::from_secs(5)), 5);
        assert_eq!(secs(Duration::from_millis(5_001)), 6);
        assert_eq!(header(Duration::from_millis(1_500)), "2");
    }
}
