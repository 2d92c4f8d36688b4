//! The optional `rewards` and `program` members of a session (SPEC §5): what the referrer has
//! earned, and the program's state. Pure.
//!
//! Both are optional, and neither can cost the user the rest of the dashboard: a malformed
//! member is dropped and named (`rewards.items.1.status must be …`), and the widget reports it
//! as an `invalid_response` `rd-error` while drawing everything else
//! ([`super::Session::dropped`]).

use serde::Deserialize;

use super::wire::Member;
use super::{Invalid, MISSING, NOT_A_STRING, NOT_AN_OBJECT, optional, parse_rfc3339, path};

const NOT_AN_ARRAY: &str = "must be an array";
const NOT_AN_AMOUNT: &str = "must be a non-negative number";
const NOT_A_CURRENCY: &str = "must be an ISO 4217 code (three capital letters)";
const NOT_A_DAY: &str = "must be a date or an RFC 3339 time";

/// What the referrer has earned.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Rewards {
    /// Issued or sent, summed per currency (one entry per currency, in first-seen order).
    pub earned: Vec<Money>,
    /// Due, not yet issued, summed per currency.
    pub pending: Vec<Money>,
    /// The rewards one by one, as the session lists them.
    pub items: Vec<Reward>,
}

/// An amount in one currency.
#[derive(Clone, Debug, PartialEq)]
pub struct Money {
    /// ISO 4217, upper case.
    pub currency: String,
    /// Non-negative.
    pub amount: f64,
}

/// One reward.
#[derive(Clone, Debug, PartialEq)]
pub struct Reward {
    /// Stable identifier (the list key).
    pub id: String,
    /// What sort of reward it is.
    pub kind: Kind,
    /// Where it stands.
    pub status: RewardStatus,
    /// The amount and its currency, when the reward is worth an amount.
    pub amount: Option<f64>,
    /// ISO 4217, upper case.
    pub currency: Option<String>,
    /// The coupon code of an earned coupon reward.
    pub coupon: Option<String>,
    /// When, in ms since the epoch, and whether it was a calendar date (shown in UTC then).
    pub at: Option<(f64, bool)>,
}

/// `items[].kind`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A fixed amount.
    Amount,
    /// A share of what the referred customer spent.
    Commission,
    /// A coupon code.
    Coupon,
    /// Something the business describes itself.
    Custom,
}

/// `items[].status`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RewardStatus {
    /// Due, not yet issued.
    Pending,
    /// Being sent.
    OnItsWay,
    /// Issued or sent.
    Earned,
    /// The business must act.
    Failed,
}

/// `program.status`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Program {
    /// Running: no banner.
    Live,
    /// Paused by the business.
    Paused,
    /// Over.
    Ended,
    /// Not open yet.
    NotStarted,
}

/// `rewards` as sent.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct RewardsWire {
    /// Per-currency sums.
    pub earned: Member<Vec<Member<RewardWire>>>,
    /// Per-currency sums.
    pub pending: Member<Vec<Member<RewardWire>>>,
    /// The rewards.
    pub items: Member<Vec<Member<RewardWire>>>,
}

/// One entry of `rewards.items`; also `rewards.earned` / `pending` entries (`currency`,
/// `amount`) and `program` (`status`, `ends_at`): one struct decodes all three shapes (each
/// serde decoder is bytes in every user's browser), and validation reads only their members.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct RewardWire {
    /// Stable identifier.
    pub id: Member<String>,
    /// `amount`, `commission`, `coupon`, `custom`.
    pub kind: Member<String>,
    /// `pending`, `on_its_way`, `earned`, `failed`.
    pub status: Member<String>,
    /// Non-negative.
    pub amount: Member<f64>,
    /// ISO 4217.
    pub currency: Member<String>,
    /// The code of an earned coupon.
    pub coupon: Member<String>,
    /// A date or an RFC 3339 time.
    pub at: Member<String>,
    /// `program.ends_at`: RFC 3339 or null.
    pub ends_at: Member<String>,
}

/// Checks `rewards` (absent: `None`).
///
/// # Errors
/// The first field that breaks the contract.
pub fn validate_rewards(member: Member<RewardsWire>) -> Result<Option<Box<Rewards>>, Invalid> {
    const AT: &str = "rewards";
    let Some(wire) = optional(member, "", AT, NOT_AN_OBJECT)? else {
        return Ok(None);
    };
    let earned = sums(wire.earned, "rewards.earned")?;
    let pending = sums(wire.pending, "rewards.pending")?;
    let items = optional(wire.items, AT, "items", NOT_AN_ARRAY)?.unwrap_or_default();
    let mut out = Vec::with_capacity(items.len());
    for (index, item) in items.into_iter().enumerate() {
        out.push(reward(item, &indexed("rewards.items.", index))?);
    }
    Ok(Some(Box::new(Rewards {
        earned,
        pending,
        items: out,
    })))
}

/// Checks `program` (absent: `None`).
///
/// # Errors
/// The first field that breaks the contract.
pub fn validate_program(member: Member<RewardWire>) -> Result<Option<Program>, Invalid> {
    let Some(wire) = optional(member, "", "program", NOT_AN_OBJECT)? else {
        return Ok(None);
    };
    let status = [
        Program::Live,
        Program::Paused,
        Program::Ended,
        Program::NotStarted,
    ][one_of(
        wire.status,
        "program",
        "status",
        &["live", "paused", "ended", "not_started"],
        "must be \"live\", \"paused\", \"ended\" or \"not_started\"",
    )?];
    super::date(wire.ends_at, "program", "ends_at")?;
    Ok(Some(status))
}

/// A required string member that must be one of `names`: its index there.
fn one_of(
    member: Member<String>,
    here: &str,
    key: &str,
    names: &[&str],
    problem: &'static str,
) -> Result<usize, Invalid> {
    let value = super::required(member, here, key, NOT_A_STRING)?;
    names
        .iter()
        .position(|n| *n == value)
        .ok_or_else(|| Invalid::new(&path(here, key), problem))
}

fn indexed(prefix: &str, index: usize) -> String {
    let mut here = String::from(prefix);
    super::push_usize(&mut here, index);
    here
}

/// A list of per-currency sums; the same currency twice is added up, so each shows once.
fn sums(member: Member<Vec<Member<RewardWire>>>, at: &str) -> Result<Vec<Money>, Invalid> {
    let list = match member {
        Member::Valid(list) => list,
        Member::Absent => Vec::new(),
        Member::Wrong => return Err(Invalid::new(at, NOT_AN_ARRAY)),
    };
    let mut out: Vec<Money> = Vec::with_capacity(list.len());
    for (index, entry) in list.into_iter().enumerate() {
        let here = indexed(&[at, "."].concat(), index);
        let Member::Valid(entry) = entry else {
            return Err(Invalid::new(&here, NOT_AN_OBJECT));
        };
        let currency = currency(entry.currency, &here)?
            .ok_or_else(|| Invalid::new(&path(&here, "currency"), MISSING))?;
        let amount = amount(entry.amount, &here)?
            .ok_or_else(|| Invalid::new(&path(&here, "amount"), MISSING))?;
        add(&mut out, currency, amount);
    }
    Ok(out)
}

/// Adds `amount` to the entry of `currency`, or appends one.
pub fn add(sums: &mut Vec<Money>, currency: String, amount: f64) {
    match sums.iter_mut().find(|m| m.currency == currency) {
        Some(sum) => sum.amount += amount,
        None => sums.push(Money { currency, amount }),
    }
}

fn currency(member: Member<String>, here: &str) -> Result<Option<String>, Invalid> {
    match optional(member, here, "currency", NOT_A_CURRENCY)? {
        Some(code) if code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase()) => {
            Ok(Some(code))
        }
        Some(_) => Err(Invalid::new(&path(here, "currency"), NOT_A_CURRENCY)),
        None => Ok(None),
    }
}

fn amount(member: Member<f64>, here: &str) -> Result<Option<f64>, Invalid> {
    match optional(member, here, "amount", NOT_AN_AMOUNT)? {
        Some(n) if n.is_finite() && n >= 0.0 => Ok(Some(n)),
        Some(_) => Err(Invalid::new(&path(here, "amount"), NOT_AN_AMOUNT)),
        None => Ok(None),
    }
}

fn reward(item: Member<RewardWire>, here: &str) -> Result<Reward, Invalid> {
    let Member::Valid(item) = item else {
        return Err(Invalid::new(here, NOT_AN_OBJECT));
    };
    let kind = [Kind::Amount, Kind::Commission, Kind::Coupon, Kind::Custom][one_of(
        item.kind,
        here,
        "kind",
        &["amount", "commission", "coupon", "custom"],
        "must be \"amount\", \"commission\", \"coupon\" or \"custom\"",
    )?];
    let status = [
        RewardStatus::Pending,
        RewardStatus::OnItsWay,
        RewardStatus::Earned,
        RewardStatus::Failed,
    ][one_of(
        item.status,
        here,
        "status",
        &["pending", "on_its_way", "earned", "failed"],
        "must be \"pending\", \"on_its_way\", \"earned\" or \"failed\"",
    )?];
    let at = match optional(item.at, here, "at", NOT_A_STRING)? {
        None => None,
        Some(text) => Some(day(&text).ok_or_else(|| Invalid::new(&path(here, "at"), NOT_A_DAY))?),
    };
    Ok(Reward {
        id: optional(item.id, here, "id", NOT_A_STRING)?.unwrap_or_else(|| here.to_owned()),
        kind,
        status,
        amount: amount(item.amount, here)?,
        currency: currency(item.currency, here)?,
        coupon: optional(item.coupon, here, "coupon", NOT_A_STRING)?
            .filter(|c| !c.trim().is_empty()),
        at,
    })
}

/// A calendar date (`2026-11-21`, midnight UTC, flagged `true`) or an RFC 3339 time.
pub fn day(text: &str) -> Option<(f64, bool)> {
    if text.len() == 10 {
        return parse_rfc3339(&[text, "T00:00:00Z"].concat()).map(|ms| (ms, true));
    }
    parse_rfc3339(text).map(|ms| (ms, false))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::{Session, validate_session};

    /// A session with `rewards` and `program` members as given (JSON text).
    fn session(rewards: &str, program: &str) -> Session {
        let json = [
            r#"{"version": 1, "expires_at": "2026-11-23T18:40:00Z",
              "referrer": {"link": "https://example.com/r/ADA"},
              "stats": {"reach": 1, "referrals": 0, "qualified": 0},
              "referrals": {"items": []}, "rewards": "#,
            rewards,
            r#", "program": "#,
            program,
            "}",
        ]
        .concat();
        // Parsed first, as the browser does: members are decoded from a whole value.
        let value: serde_json::Value = serde_json::from_str(&json).unwrap();
        validate_session(serde_json::from_value(value).unwrap()).unwrap()
    }

    const SPEC_REWARDS: &str = r#"{
        "earned":  [{ "currency": "USD", "amount": 40 }],
        "pending": [{ "currency": "USD", "amount": 20 }],
        "items": [
          { "id": "w_12", "kind": "amount", "status": "earned", "amount": 20, "currency": "USD",
            "at": "2026-11-21" },
          { "id": "w_15", "kind": "coupon", "status": "earned", "coupon": "THANKS-7Q2K",
            "at": "2026-11-22T10:00:00Z" },
          { "id": "w_16", "kind": "commission", "status": "pending", "amount": 0, "currency": "USD" },
          { "id": "w_17", "kind": "custom", "status": "on_its_way" },
          { "id": "w_18", "kind": "amount", "status": "failed", "amount": 5, "currency": "EUR" }
        ]
      }"#;

    #[test]
    fn the_spec_example_rewards_and_program_are_read_with_every_status() {
        let s = session(SPEC_REWARDS, r#"{"status": "paused", "ends_at": null}"#);
        assert_eq!(s.dropped, None);
        assert_eq!(s.program, Some(Program::Paused));
        let rewards = s.rewards.unwrap();
        assert_eq!(
            rewards.earned,
            [Money {
                currency: "USD".into(),
                amount: 40.0
            }]
        );
        let statuses: Vec<RewardStatus> = rewards.items.iter().map(|r| r.status).collect();
        assert_eq!(
            statuses,
            [
                RewardStatus::Earned,
                RewardStatus::Earned,
                RewardStatus::Pending,
                RewardStatus::OnItsWay,
                RewardStatus::Failed
            ]
        );
        let kinds: Vec<Kind> = rewards.items.iter().map(|r| r.kind).collect();
        assert_eq!(
            kinds,
            [
                Kind::Amount,
                Kind::Coupon,
                Kind::Commission,
                Kind::Custom,
                Kind::Amount
            ]
        );
        assert_eq!(rewards.items[1].coupon.as_deref(), Some("THANKS-7Q2K"));
        // A calendar date is midnight UTC and flagged, so it is shown as written.
        assert_eq!(rewards.items[0].at, Some((1_795_219_200_000.0, true)));
        assert_eq!(rewards.items[1].at, Some((1_795_341_600_000.0, false)));
    }

    #[test]
    fn per_currency_sums_add_up_a_currency_sent_twice() {
        let s = session(
            r#"{"earned": [{"currency": "USD", "amount": 15}, {"currency": "EUR", "amount": 5},
                           {"currency": "USD", "amount": 25.5}]}"#,
            "null",
        );
        let rewards = s.rewards.unwrap();
        let sums: Vec<(&str, f64)> = rewards
            .earned
            .iter()
            .map(|m| (m.currency.as_str(), m.amount))
            .collect();
        assert_eq!(sums, [("USD", 40.5), ("EUR", 5.0)]);
        assert!(rewards.pending.is_empty() && rewards.items.is_empty());
    }

    #[test]
    fn a_malformed_rewards_member_is_dropped_alone_and_named() {
        for (rewards, field) in [
            (r#""lots""#, "rewards"),
            (
                r#"{"earned": [{"currency": "usd", "amount": 1}]}"#,
                "rewards.earned.0.currency",
            ),
            (
                r#"{"pending": [{"currency": "USD", "amount": -1}]}"#,
                "rewards.pending.0.amount",
            ),
            (
                r#"{"pending": [{"currency": "USD"}]}"#,
                "rewards.pending.0.amount",
            ),
            (
                r#"{"items": [{"kind": "amount", "status": "paid"}]}"#,
                "rewards.items.0.status",
            ),
            (
                r#"{"items": [{"kind": "cash", "status": "earned"}]}"#,
                "rewards.items.0.kind",
            ),
            (
                r#"{"items": [{"kind": "coupon", "status": "earned", "coupon": 7}]}"#,
                "rewards.items.0.coupon",
            ),
            (
                r#"{"items": [{"kind": "amount", "status": "earned", "at": "soon"}]}"#,
                "rewards.items.0.at",
            ),
            (r#"{"items": {}}"#, "rewards.items"),
        ] {
            let s = session(rewards, r#"{"status": "live"}"#);
            assert_eq!(s.rewards, None, "{rewards}");
            assert_eq!(
                s.dropped.map(|d| d.field).as_deref(),
                Some(field),
                "{rewards}"
            );
            assert_eq!(s.program, Some(Program::Live), "the rest stays: {rewards}");
            assert_eq!(s.referrer.link, "https://example.com/r/ADA");
        }
    }

    #[test]
    fn a_malformed_program_is_dropped_alone_and_absent_members_are_none() {
        let s = session(r#"{"items": []}"#, r#"{"status": "frozen"}"#);
        assert_eq!(s.program, None);
        assert_eq!(s.dropped.unwrap().field, "program.status");
        assert!(s.rewards.is_some());
        let s = session("null", "null");
        assert_eq!((s.rewards, s.program, s.dropped), (None, None, None));
    }
}
