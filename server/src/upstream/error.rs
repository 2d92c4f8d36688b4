//! What can go wrong upstream, and which of it is worth another attempt.

use std::time::Duration;

use crate::budget::Exhausted;

/// What went wrong upstream. Messages carry statuses and field names only: never the key,
/// a URL with personal data, or an email.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UpstreamError {
    /// 401: the key was refused.
    #[error("Referral Factory refused the API key (401)")]
    Unauthorized,
    /// 403.
    #[error("Referral Factory forbade the call (403)")]
    Forbidden,
    /// 404.
    #[error("not found upstream (404)")]
    NotFound,
    /// 400 or 422 with the names of the fields it complained about.
    #[error("Referral Factory rejected the request ({status}) on: {fields:?}")]
    Unprocessable {
        /// 400 or 422.
        status: u16,
        /// Field names from the `errors` object.
        fields: Vec<String>,
    },
    /// A create refused because the email is already in the campaign (409, or 400/422 naming
    /// the email): the user exists, search again.
    #[error("Referral Factory already has a user with this email ({0})")]
    Duplicate(u16),
    /// 429 (never retried).
    #[error("Referral Factory rate-limited us (429)")]
    RateLimited {
        /// How long every call now pauses: its `Retry-After` capped, or the default.
        retry_after: Duration,
    },
    /// Any other non-2xx status after retries.
    #[error("Referral Factory answered HTTP {0}")]
    Status(u16),
    /// No answer within [`super::ATTEMPT_TIMEOUT`].
    #[error("Referral Factory did not answer in time")]
    Timeout,
    /// Connection failed.
    #[error("Referral Factory could not be reached")]
    Transport,
    /// The answer was not the documented shape.
    #[error("Referral Factory sent an unreadable answer: {0}")]
    Malformed(&'static str),
    /// Our own budget had no slot soon enough.
    #[error(transparent)]
    Budget(#[from] Exhausted),
    /// A search would read more than this many rows (see [`super::MAX_SCAN_ROWS`]).
    #[error(
        "a search read more than {0} rows without reaching its end; the referral list is too long, or the platform ignores the search filter"
    )]
    ScanLimit(usize),
}

impl UpstreamError {
    /// Whether another attempt may go better: a 5xx, a timeout, a dropped connection or a cut-off
    /// body; never a 4xx or a 429.
    pub(super) fn retryable(&self) -> bool {
        // A cut-off body is most often a dropped connection, worth one more try.
        matches!(
            self,
            Self::Status(500..=599) | Self::Timeout | Self::Transport | Self::Malformed(_)
        )
    }
}
