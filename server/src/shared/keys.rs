//! The Redis key layout: every key this backend writes, and nothing else writes them.
//!
//! Every key starts with `rd:`, so one Redis can hold other data too. Parts that could be
//! personal (a subject may be an email, an address is personal data) appear only as their
//! SHA-256 ([`crate::personal::digest`], written `{digest}` below), never as themselves.
//! Times inside values are Redis milliseconds (`TIME`), never an instance's clock.
//!
//! | key | type | holds | lives |
//! |---|---|---|---|
//! | `rd:budget:slots` | list | the budget's reserved start times, the last `limit` of them | a window past the last |
//! | `rd:budget:grants` | list | the actual grant times, the last `limit` of them | a window past the last |
//! | `rd:budget:pause` | string | until when no call starts (a platform 429) | until then |
//! | `rd:budget:marker` | string | until when the log must exist (the last reserved start plus a window), written with it; written as `0` by each instance that connects when missing. Missing at a reservation, or ahead of a log that is gone: the log was lost, and the caller pauses everyone for a window | for ever |
//! | `rd:budget:lost` | string | set while the pause for a lost log runs (so every instance says why) | the pause |
//! | `rd:limit:{limit}:{digest}` | string | one key's GCRA state (its theoretical arrival time) under a limit: `identity`, `address`, `new-users`, `allowance`, `webhook-address` | until the key is full again |
//! | `rd:{cache}:{digest}` | hash | one cache entry: the value (`v`, JSON), its fence (`vf`) and time (`at`), the fence of the last write (`fence`), a remembered failure (`cu` until, `cs` stale allowed, `ce` the error) | the cache's TTL plus an hour (the stale fallback) |
//! | `rd:{cache}:{digest}:lock` | string | the single-flight lock of that entry: the holder's fence | its lease (3 s, renewed) |
//! | `rd:fence` | counter | fencing tokens, for every cache's locks and invalidations | for ever |
//!
//! `{cache}` names a cache and its campaign, so a session of one campaign is never served for
//! another: `c{campaign}:session` (whole sessions by subject) and `c{campaign}:list` (referral
//! lists by platform user).

use crate::personal::digest;

/// The reserved start times of the budget's sliding log.
pub const BUDGET_SLOTS: &str = "rd:budget:slots";

/// The actual grant times of the budget's sliding log.
pub const BUDGET_GRANTS: &str = "rd:budget:grants";

/// Until when no call starts (after a platform 429).
pub const BUDGET_PAUSE: &str = "rd:budget:pause";

/// Until when the budget's log must exist (its absence, or a log gone before then, means it was
/// lost).
pub const BUDGET_MARKER: &str = "rd:budget:marker";

/// Set while the pause for a lost log runs.
pub const BUDGET_LOST: &str = "rd:budget:lost";

/// The fencing-token counter of every cache.
pub const FENCE: &str = "rd:fence";

/// `key`'s state under the limit named `limit`.
pub fn limit(limit: &str, key: &str) -> String {
    ["rd:limit:", limit, ":", &digest(key)].concat()
}

/// `key`'s entry in the cache named `cache`.
pub fn cache_entry(cache: &str, key: &str) -> String {
    ["rd:", cache, ":", &digest(key)].concat()
}

/// The single-flight lock of the cache entry `entry` (a [`cache_entry`]).
pub fn cache_lock(entry: &str) -> String {
    [entry, ":lock"].concat()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_never_show_a_subject_or_an_address() {
        let key = limit("identity", "ada@example.com");
        assert!(
            key.starts_with("rd:limit:identity:") && !key.contains("ada"),
            "{key}"
        );
        let key = limit("address", "10.0.0.1");
        assert!(!key.contains("10.0.0.1"), "{key}");
        let entry = cache_entry("c1:session", "u-ada");
        assert!(entry.starts_with("rd:c1:session:") && !entry.contains("u-ada"));
        assert_eq!(cache_lock(&entry), [entry.as_str(), ":lock"].concat());
    }
}
