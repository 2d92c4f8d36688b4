//! How the session and list caches treat failures: what may be covered by the last good data,
//! what is remembered (and for how long), and how a remembered failure is written down for other
//! instances and answered again.

use std::time::Duration;

use crate::cache::Policy;
use crate::error::Error;
use crate::seam::Unavailable;
use crate::upstream::UpstreamError;

use super::linking::{TAKEN, UNVERIFIED};

/// The longest a user's requests share a "not now" failure before one tries again.
const MAX_COOL_DOWN: Duration = Duration::from_secs(10);

/// How long a refusal that asking again will not change is remembered for the subject: its
/// repeats get the same answer and cost no upstream call.
pub const REMEMBER_REFUSAL: Duration = Duration::from_secs(60);

/// How the session and list caches treat failures.
pub(super) struct FailurePolicy;

impl Policy<Error> for FailurePolicy {
    /// The last good data may stand in when the platform is busy, slow or down, or the database
    /// is (PostgreSQL unreachable); refusals (bad key, validation) are never papered over.
    fn serve_stale(&self, error: &Error) -> bool {
        transient(error) || matches!(error, Error::Store(_))
    }

    /// Budget and platform rate limits say "not now": the requests queued behind one should not
    /// each spend calls finding that out again. Refusals that asking again will not change are
    /// remembered for a minute, so one failing user cannot spend everyone's budget.
    fn cool_down(&self, error: &Error) -> Option<Duration> {
        match error {
            Error::RateLimited { retry_after }
            | Error::Upstream(UpstreamError::RateLimited { retry_after }) => {
                Some((*retry_after).min(MAX_COOL_DOWN))
            }
            Error::Upstream(UpstreamError::Budget(exhausted)) => {
                Some(exhausted.retry_after.min(MAX_COOL_DOWN))
            }
            error if !transient(error) && !matches!(error, Error::Store(_) | Error::Conflict) => {
                Some(REMEMBER_REFUSAL)
            }
            _ => None,
        }
    }

    /// A remembered refusal says from the first answer on how long it stands.
    fn first_answer(&self, error: Error, cool_down: Duration) -> Error {
        if transient(&error) {
            error
        } else {
            Error::Again {
                error: Box::new(error),
                retry_after: cool_down,
            }
        }
    }

    fn encode(&self, error: &Error) -> Option<String> {
        error.encode()
    }

    fn decode(&self, text: &str) -> Option<Error> {
        Error::decode(text, &[UNVERIFIED, TAKEN])
    }

    /// No build while Redis is down: it could not be single-flight, and the budget would refuse
    /// its calls anyway.
    fn unavailable(&self, why: &Unavailable) -> Option<Error> {
        tracing::debug!(%why, "no local copy to answer with while shared state is unreachable");
        Some(Error::Unavailable)
    }

    fn cooling(&self, error: &Error, remaining: Duration) -> Error {
        match error {
            Error::RateLimited { .. }
            | Error::Upstream(UpstreamError::RateLimited { .. } | UpstreamError::Budget(_)) => {
                Error::RateLimited {
                    retry_after: remaining,
                }
            }
            other => Error::Again {
                error: Box::new(other.clone()),
                retry_after: remaining,
            },
        }
    }
}

/// Failures that pass by themselves: the platform busy, slow, down or garbled, our budget spent,
/// shared state unreachable.
fn transient(error: &Error) -> bool {
    matches!(
        error,
        Error::Timeout
            | Error::Unavailable
            | Error::RateLimited { .. }
            | Error::Upstream(
                UpstreamError::Budget(_)
                    | UpstreamError::RateLimited { .. }
                    | UpstreamError::Timeout
                    | UpstreamError::Transport
                    | UpstreamError::Malformed(_)
                    | UpstreamError::Status(500..=599)
            )
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_are_remembered_and_transient_failures_are_not() {
        let policy = FailurePolicy;
        for refusal in [
            Error::Forbidden(TAKEN),
            Error::Upstream(UpstreamError::Unprocessable {
                status: 422,
                fields: vec!["first_name".into()],
            }),
            Error::Upstream(UpstreamError::Unauthorized),
            Error::Upstream(UpstreamError::Status(400)),
        ] {
            assert_eq!(
                policy.cool_down(&refusal),
                Some(REMEMBER_REFUSAL),
                "{refusal}"
            );
            assert!(!policy.serve_stale(&refusal));
            assert!(matches!(
                policy.cooling(&refusal, Duration::from_secs(3)),
                Error::Again { .. }
            ));
        }
        for passing in [
            Error::Upstream(UpstreamError::Status(503)),
            Error::Upstream(UpstreamError::Transport),
            Error::Timeout,
        ] {
            assert_eq!(policy.cool_down(&passing), None, "{passing}");
            assert!(policy.serve_stale(&passing));
        }
    }
}
