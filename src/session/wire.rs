//! The session as the endpoint sent it: serde's typed view of the JSON, before validation.
//!
//! In the browser these structs are decoded with serde-wasm-bindgen straight from the object
//! `Response.json()` gives (no JSON text round trip); host tests decode them from
//! `serde_json::Value`. Every member is a [`Member`], so decoding itself never fails on a
//! member's type: it records what arrived, and [`super::validate_session`] names the field
//! (`stats.reach`, `referrals.items.2.status`) when something is wrong. Unknown members are
//! ignored (serde-wasm-bindgen reads only the members named here).

use serde::{Deserialize, Deserializer};

/// One member of a JSON object as it arrived: absent (or `null`), of the expected type, or of
/// another type.
///
/// The same idea as `serde_with::DefaultOnError`, keeping the fact of the error: decoding `T`
/// fails, the member is [`Member::Wrong`], and the object around it decodes on. That is sound
/// for self-contained inputs (a `JsValue`, a `serde_json::Value`), where each member is its own
/// deserializer; a streaming parser could be left mid-value, which is why the widget decodes
/// what the browser already parsed.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Member<T> {
    /// Not there, or `null`.
    #[default]
    Absent,
    /// Of the expected JSON type.
    Valid(T),
    /// Of another JSON type.
    Wrong,
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Member<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(match Option::<T>::deserialize(deserializer) {
            Ok(Some(value)) => Member::Valid(value),
            Ok(None) => Member::Absent,
            Err(_) => Member::Wrong,
        })
    }
}

/// A whole session (SPEC §5), or a `?cursor=` answer, whose other members may be absent.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct SessionWire {
    /// The format version; 1.
    pub version: Member<f64>,
    /// RFC 3339.
    pub expires_at: Member<String>,
    /// Whose dashboard it is.
    pub referrer: Member<ReferrerWire>,
    /// The three counters.
    pub stats: Member<StatsWire>,
    /// The first page of referrals.
    pub referrals: Member<PageWire>,
    /// Texts for sharing.
    pub share: Member<ShareWire>,
    /// What the referrer has earned.
    pub rewards: Member<super::rewards::RewardsWire>,
    /// The program's state.
    pub program: Member<super::rewards::RewardWire>,
}

/// `referrer`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct ReferrerWire {
    /// Display name.
    pub name: Member<String>,
    /// The referral link.
    pub link: Member<String>,
    /// The referral code.
    pub code: Member<String>,
}

/// `stats`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct StatsWire {
    /// Views of the link.
    pub reach: Member<f64>,
    /// Sign-ups through it.
    pub referrals: Member<f64>,
    /// Sign-ups the business approved.
    pub qualified: Member<f64>,
}

/// `referrals`: one page.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct PageWire {
    /// The referrals, newest first.
    pub items: Member<Vec<Member<ReferralWire>>>,
    /// The next page's cursor.
    pub next: Member<String>,
}

/// One entry of `referrals.items`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct ReferralWire {
    /// Stable identifier.
    pub id: Member<String>,
    /// Shortened name.
    pub name: Member<String>,
    /// `qualified` or `pending`.
    pub status: Member<String>,
    /// RFC 3339.
    pub joined_at: Member<String>,
    /// RFC 3339.
    pub qualified_at: Member<String>,
}

/// `share`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct ShareWire {
    /// Message body.
    pub message: Member<String>,
    /// Email subject.
    pub subject: Member<String>,
}
