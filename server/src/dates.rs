//! Dates as the platform sends them and as sessions carry them (RFC 3339, UTC, whole seconds).
//!
//! A leaf: the upstream client (is this account new?) and the session (when did a referral
//! join?) both read platform dates, and neither should import the other for it.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Date, OffsetDateTime, PrimitiveDateTime};

/// A platform date (`2024-12-27`, `2024-12-27 10:00:00`, or RFC 3339) as RFC 3339 UTC.
pub fn normalize_date(text: &str) -> Option<String> {
    rfc3339(parse_date(text)?.to_offset(time::UtcOffset::UTC))
}

/// A platform date in any of the forms [`normalize_date`] accepts (UTC when it has no offset).
pub fn parse_date(text: &str) -> Option<OffsetDateTime> {
    let text = text.trim();
    OffsetDateTime::parse(text, &Rfc3339)
        .ok()
        .or_else(|| {
            PrimitiveDateTime::parse(
                text,
                format_description!("[year]-[month]-[day] [hour]:[minute]:[second]"),
            )
            .ok()
            .map(PrimitiveDateTime::assume_utc)
        })
        .or_else(|| {
            Date::parse(text, format_description!("[year]-[month]-[day]"))
                .ok()
                .map(|d| d.midnight().assume_utc())
        })
}

/// RFC 3339 with whole seconds and `Z`.
pub fn rfc3339(at: OffsetDateTime) -> Option<String> {
    at.replace_nanosecond(0).ok()?.format(&Rfc3339).ok()
}

/// RFC 3339 for now plus `duration` (an `expires_at`).
pub fn expires_in(duration: Duration) -> String {
    rfc3339(OffsetDateTime::now_utc() + duration).unwrap_or_default()
}

/// Seconds since the Unix epoch.
pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn platform_dates_become_rfc3339() {
        assert_eq!(
            normalize_date("2024-12-27").as_deref(),
            Some("2024-12-27T00:00:00Z")
        );
        assert_eq!(
            normalize_date("2024-12-27 10:11:12").as_deref(),
            Some("2024-12-27T10:11:12Z")
        );
        assert_eq!(
            normalize_date("2024-12-27T10:11:12.123456Z").as_deref(),
            Some("2024-12-27T10:11:12Z")
        );
        assert_eq!(
            normalize_date("2024-12-27T10:11:12+02:00").as_deref(),
            Some("2024-12-27T08:11:12Z")
        );
        assert_eq!(normalize_date("yesterday"), None);
    }
}
