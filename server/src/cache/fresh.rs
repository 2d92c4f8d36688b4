//! The cache's decisions, pure: whether an entry may be served, and what a failed fetch
//! answers. Both stores go through them, so an entry in this process and one in Redis are
//! treated alike.

use std::time::Duration;

/// What an entry is good for now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    /// Its value may be served as it is.
    Fresh,
    /// A failure is remembered for `remaining`: answer with it (or with the last value, stale,
    /// when `stale_ok`), without fetching.
    Cooling {
        /// How long the failure still stands.
        remaining: Duration,
        /// Whether the last value may stand in for it.
        stale_ok: bool,
    },
    /// Fetch anew.
    Expired,
}

/// What an entry is good for: `age` of its value (none: no value), whether the store still
/// holds that value (`current`), the cache's `ttl`, and a remembered failure's time left and
/// whether it allows the stale value.
pub fn freshness(
    age: Option<Duration>,
    current: bool,
    ttl: Duration,
    cooling: Option<(Duration, bool)>,
) -> Freshness {
    if current && age.is_some_and(|age| age < ttl) {
        return Freshness::Fresh;
    }
    match cooling {
        Some((remaining, stale_ok)) if !remaining.is_zero() => Freshness::Cooling {
            remaining,
            stale_ok,
        },
        _ => Freshness::Expired,
    }
}

/// What a request whose fetch failed gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failed {
    /// The last value, marked stale.
    Stale,
    /// The error, now remembered for this long (the policy's first answer).
    Remembered(Duration),
    /// The error as it is.
    Error,
}

/// What a failed fetch answers: the last value when there is one and the policy allows it,
/// else the error, said to be remembered when the policy asked for a cool-down.
pub fn after_failure(has_value: bool, stale_ok: bool, cool_down: Option<Duration>) -> Failed {
    match cool_down {
        _ if has_value && stale_ok => Failed::Stale,
        Some(cool_down) => Failed::Remembered(cool_down),
        None => Failed::Error,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TTL: Duration = Duration::from_secs(60);
    const S: Duration = Duration::from_secs(1);

    #[test]
    fn a_value_is_fresh_for_its_ttl_while_the_store_holds_it() {
        assert_eq!(freshness(Some(59 * S), true, TTL, None), Freshness::Fresh);
        assert_eq!(freshness(Some(60 * S), true, TTL, None), Freshness::Expired);
        assert_eq!(
            freshness(Some(S), false, TTL, None),
            Freshness::Expired,
            "dropped from the store (invalidated): no longer fresh"
        );
        assert_eq!(freshness(None, true, TTL, None), Freshness::Expired);
    }

    #[test]
    fn a_remembered_failure_stands_until_it_runs_out_and_a_fresh_value_wins() {
        assert_eq!(
            freshness(None, true, TTL, Some((5 * S, false))),
            Freshness::Cooling {
                remaining: 5 * S,
                stale_ok: false
            }
        );
        assert_eq!(
            freshness(Some(2 * TTL), true, TTL, Some((S, true))),
            Freshness::Cooling {
                remaining: S,
                stale_ok: true
            }
        );
        assert_eq!(
            freshness(None, true, TTL, Some((Duration::ZERO, true))),
            Freshness::Expired
        );
        assert_eq!(
            freshness(Some(S), true, TTL, Some((5 * S, false))),
            Freshness::Fresh
        );
    }

    #[test]
    fn a_failed_fetch_falls_back_only_when_allowed_and_says_when_it_is_remembered() {
        assert_eq!(after_failure(true, true, None), Failed::Stale);
        assert_eq!(after_failure(true, true, Some(S)), Failed::Stale);
        assert_eq!(after_failure(true, false, Some(S)), Failed::Remembered(S));
        assert_eq!(after_failure(false, true, Some(S)), Failed::Remembered(S));
        assert_eq!(after_failure(false, true, None), Failed::Error);
        assert_eq!(after_failure(true, false, None), Failed::Error);
    }
}
