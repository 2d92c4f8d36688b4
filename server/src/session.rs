//! The dashboard session of SPEC §5 as the server builds it: the JSON shape, name masking
//! and the signed cursors of referral pages. Pure.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use time::OffsetDateTime;

use crate::dates::{normalize_date, parse_date};
use crate::rewards::{ProgramBody, RewardsBody};
use crate::upstream::PlatformUser;

/// The session format version (SPEC §5).
pub const VERSION: u8 = 1;

/// Referrals per session page: the widget shows 5 at first, so 25 gives several "Show more"
/// steps without a round trip while keeping each session small.
pub const PAGE_SIZE: usize = 25;

/// A whole session, or (for `?cursor=`) only its `referrals`.
#[derive(Debug, Clone, Serialize, PartialEq, Deserialize)]
pub struct SessionBody {
    /// Always [`VERSION`].
    pub version: u8,
    /// RFC 3339.
    pub expires_at: String,
    /// Absent in cursor answers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub referrer: Option<ReferrerBody>,
    /// Absent in cursor answers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stats: Option<StatsBody>,
    /// The page of referrals.
    pub referrals: PageBody,
    /// Share texts, when the platform has any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub share: Option<ShareBody>,
    /// What the referrer has earned; absent when rewards are off, the campaign has no reward
    /// for referrers, or the platform's rewards could not be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rewards: Option<RewardsBody>,
    /// The program's state; absent when rewards are off or the campaign could not be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub program: Option<ProgramBody>,
    /// True when served from data older than the TTL because the upstream budget was spent.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub stale: bool,
}

/// `referrer`.
#[derive(Debug, Clone, Serialize, PartialEq, Deserialize)]
pub struct ReferrerBody {
    /// Display name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The referral link.
    pub link: String,
    /// The referral code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
}

/// `stats`.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq, Default, Deserialize)]
pub struct StatsBody {
    /// Views of the link.
    pub reach: u64,
    /// Sign-ups through it.
    pub referrals: u64,
    /// Approved sign-ups.
    pub qualified: u64,
}

/// `referrals`.
#[derive(Debug, Clone, Serialize, PartialEq, Default, Deserialize)]
pub struct PageBody {
    /// Newest first.
    pub items: Vec<ReferralBody>,
    /// Cursor of the next page, `null` at the end.
    pub next: Option<String>,
}

/// One referral: masked name, status, dates. Never an email.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ReferralBody {
    /// Opaque id.
    pub id: String,
    /// Shortened name ("Jo D.").
    pub name: String,
    /// `qualified` or `pending`.
    pub status: &'static str,
    /// RFC 3339.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub joined_at: Option<String>,
    /// RFC 3339.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub qualified_at: Option<String>,
}

/// A [`ReferralBody`] as read back from a shared cache (its status owned, then mapped back to
/// one of the two this module writes).
#[derive(Deserialize)]
struct ReferralWire {
    id: String,
    name: String,
    status: String,
    joined_at: Option<String>,
    qualified_at: Option<String>,
}

impl<'de> Deserialize<'de> for ReferralBody {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let wire = ReferralWire::deserialize(deserializer)?;
        Ok(Self {
            id: wire.id,
            name: wire.name,
            status: if wire.status == "qualified" {
                "qualified"
            } else {
                "pending"
            },
            joined_at: wire.joined_at,
            qualified_at: wire.qualified_at,
        })
    }
}

/// `share`.
#[derive(Debug, Clone, Serialize, PartialEq, Deserialize)]
pub struct ShareBody {
    /// Message text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Email subject.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
}

/// A referral as shown to its referrer: the first name and the initial of the last ("Jo D.").
///
/// Anything that looks like an email is dropped, not shortened: some sign-up forms put the
/// email in the name field, and a referred person's email must never reach the session.
pub fn mask_name(first_name: Option<&str>, last_name: Option<&str>) -> String {
    let clean = |s: Option<&str>| -> Vec<String> {
        s.unwrap_or_default()
            .split_whitespace()
            .filter(|word| !word.contains('@'))
            .map(str::to_owned)
            .collect()
    };
    let mut words = clean(first_name);
    words.extend(clean(last_name));
    let Some(first) = words.first() else {
        return String::new();
    };
    let mut out: String = first.chars().take(MAX_FIRST_NAME_CHARS).collect();
    if let Some(initial) = words
        .get(1)
        .and_then(|w| w.chars().find(|c| c.is_alphanumeric()))
    {
        out.push(' ');
        out.extend(initial.to_uppercase());
        out.push('.');
    }
    out
}

/// Longest first name kept; longer ones are more likely a pasted sentence than a name.
const MAX_FIRST_NAME_CHARS: usize = 40;

/// Referrals for the session, newest first: by `signed_up_at` descending (those without a
/// readable date last), then by id descending. The platform's own order is not documented, so
/// this order is imposed here whatever it was.
pub fn newest_first(mut users: Vec<PlatformUser>) -> Vec<ReferralBody> {
    let mut keyed: Vec<(Option<OffsetDateTime>, PlatformUser)> = users
        .drain(..)
        .map(|u| (u.signed_up_at.as_deref().and_then(parse_date), u))
        .collect();
    keyed.sort_by(|(a_at, a), (b_at, b)| b_at.cmp(a_at).then(b.id.cmp(&a.id)));
    keyed.iter().map(|(_, user)| referral(user)).collect()
}

/// A referral for the session.
pub fn referral(user: &PlatformUser) -> ReferralBody {
    let qualified_at = user.qualified_at.as_deref().and_then(normalize_date);
    ReferralBody {
        id: ["r_", &user.id.to_string()].concat(),
        name: mask_name(user.first_name.as_deref(), user.last_name.as_deref()),
        status: if user.qualified_at.is_some() {
            "qualified"
        } else {
            "pending"
        },
        joined_at: user.signed_up_at.as_deref().and_then(normalize_date),
        qualified_at,
    }
}

/// Where a page of referrals starts: the position in the newest-first list and the list's
/// length when the listing began (new referrals then do not shift later pages), for which
/// platform user, until when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    /// The platform user whose list this is; a cursor is refused once the subject maps to
    /// another one.
    pub referrer_id: u64,
    /// Index in the newest-first list.
    pub offset: u64,
    /// Length of the list when the listing began.
    pub total: u64,
    /// Unix seconds after which the cursor is refused.
    pub expires: u64,
}

/// Signs and checks cursors. The MAC covers the requesting user's subject, so a cursor is
/// useless to anyone else even though its payload is readable.
#[derive(Clone)]
pub struct CursorKey(Vec<u8>);

type HmacSha256 = Hmac<Sha256>;

impl CursorKey {
    /// A key derived from `secret` for cursors only (domain-separated from its JWT use).
    pub fn derive(secret: &[u8]) -> Self {
        let mut mac = HmacSha256::new_from_slice(secret).unwrap_or_else(|_| unreachable_hmac());
        mac.update(b"referrer-dashboard cursor key v1");
        Self(mac.finalize().into_bytes().to_vec())
    }

    /// The cursor as an opaque string for `subject`.
    pub fn sign(&self, subject: &str, cursor: Cursor) -> String {
        let payload = [
            cursor.referrer_id.to_string(),
            cursor.offset.to_string(),
            cursor.total.to_string(),
            cursor.expires.to_string(),
        ]
        .join(".");
        let tag = self.tag(subject, &payload);
        [URL_SAFE_NO_PAD.encode(payload), URL_SAFE_NO_PAD.encode(tag)].join(".")
    }

    /// The cursor, if `text` was signed by [`CursorKey::sign`] for `subject` and has not
    /// expired at `now` (Unix seconds).
    pub fn verify(&self, subject: &str, text: &str, now: u64) -> Option<Cursor> {
        // Nothing this long was issued by `sign`; refuse before decoding.
        if text.len() > MAX_CURSOR_LEN {
            return None;
        }
        let (payload, tag) = text.split_once('.')?;
        let payload = String::from_utf8(URL_SAFE_NO_PAD.decode(payload).ok()?).ok()?;
        let tag = URL_SAFE_NO_PAD.decode(tag).ok()?;
        self.mac(subject, &payload).verify_slice(&tag).ok()?;
        let mut parts = payload.split('.').map(str::parse::<u64>);
        let cursor = Cursor {
            referrer_id: parts.next()?.ok()?,
            offset: parts.next()?.ok()?,
            total: parts.next()?.ok()?,
            expires: parts.next()?.ok()?,
        };
        (parts.next().is_none() && cursor.expires > now).then_some(cursor)
    }

    fn mac(&self, subject: &str, payload: &str) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(&self.0).unwrap_or_else(|_| unreachable_hmac());
        // Length-prefix the subject so no (subject, payload) pair collides with another.
        mac.update(&(subject.len() as u64).to_be_bytes());
        mac.update(subject.as_bytes());
        mac.update(payload.as_bytes());
        mac
    }

    fn tag(&self, subject: &str, payload: &str) -> Vec<u8> {
        self.mac(subject, payload).finalize().into_bytes().to_vec()
    }
}

/// Longest cursor accepted: four numbers and a 32-byte tag, base64, fit in well under this.
const MAX_CURSOR_LEN: usize = 256;

/// HMAC accepts keys of any length, so `new_from_slice` cannot fail.
fn unreachable_hmac() -> HmacSha256 {
    unreachable!("HMAC-SHA256 accepts keys of any length")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_shortened_and_emails_dropped() {
        assert_eq!(mask_name(Some("Johanna"), Some("Doe")), "Johanna D.");
        assert_eq!(mask_name(Some("jo  smith"), None), "jo S.");
        assert_eq!(mask_name(Some("Jo"), None), "Jo");
        assert_eq!(mask_name(Some("jo.doe@example.com"), Some("Doe")), "Doe");
        assert_eq!(mask_name(Some("Jo"), Some("x@y.z")), "Jo");
        assert_eq!(mask_name(None, None), "");
        assert_eq!(mask_name(Some("Émile"), Some("égal")), "Émile É.");
    }

    #[test]
    fn cursors_verify_only_for_their_subject_and_until_they_expire() {
        let key = CursorKey::derive(b"secret");
        let cursor = Cursor {
            referrer_id: 7,
            offset: 25,
            total: 260,
            expires: 1_000,
        };
        let text = key.sign("alice", cursor);
        assert_eq!(key.verify("alice", &text, 999), Some(cursor));
        assert_eq!(key.verify("alice", &text, 1_000), None, "expired");
        assert_eq!(key.verify("bob", &text, 0), None);
        assert_eq!(CursorKey::derive(b"other").verify("alice", &text, 0), None);
        // Tampering with the payload (a later expiry, another offset) breaks the tag.
        let (_, tag) = text.split_once('.').unwrap();
        for payload in ["7.0.260.1000", "7.25.260.9999"] {
            let forged = [URL_SAFE_NO_PAD.encode(payload), tag.to_owned()].join(".");
            assert_eq!(key.verify("alice", &forged, 0), None, "{payload}");
        }
        assert_eq!(key.verify("alice", "garbage", 0), None);
        assert_eq!(key.verify("alice", &"a.".repeat(500), 0), None);
    }

    #[test]
    fn session_json_has_the_spec_shape() {
        let body = SessionBody {
            version: VERSION,
            expires_at: "2026-11-23T18:40:00Z".into(),
            referrer: Some(ReferrerBody {
                name: Some("Ada".into()),
                link: "https://x.example/r/A".into(),
                code: None,
            }),
            stats: Some(StatsBody {
                reach: 1,
                referrals: 2,
                qualified: 1,
            }),
            referrals: PageBody::default(),
            share: None,
            rewards: None,
            program: None,
            stale: false,
        };
        let json = serde_json::to_value(&body).unwrap();
        assert_eq!(json["version"], 1);
        assert_eq!(json["referrals"]["next"], serde_json::Value::Null);
        assert!(json.get("stale").is_none() && json.get("share").is_none());
        assert!(json["referrer"].get("code").is_none());
    }

    #[test]
    fn referrals_are_listed_newest_first_whatever_order_they_came_in() {
        let user = |id, at: Option<&str>| PlatformUser {
            id,
            signed_up_at: at.map(str::to_owned),
            ..PlatformUser::default()
        };
        let sorted = newest_first(vec![
            user(1, Some("2026-01-01")),
            user(2, None),
            user(3, Some("2026-03-01 10:00:00")),
            user(4, Some("2026-01-01T00:00:00Z")),
            user(5, Some("2026-02-01T00:00:00+01:00")),
        ]);
        let ids: Vec<&str> = sorted.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["r_3", "r_5", "r_4", "r_1", "r_2"]);
    }
}
