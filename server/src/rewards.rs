//! The `rewards` and `program` members of the session (SPEC §5), made from what the platform
//! sent: reward rows joined with their definitions, statuses in the session's words, sums per
//! currency, and the campaign's state on a given day. Pure: time is passed in.
//!
//! Statuses: a due row is `pending` (a due commission whose spend is not entered yet has a total
//! of 0 or none: amount 0, "amount being confirmed"); an issued row is `earned` when `Issued` or
//! `Sent`, `on_its_way` when `Sending`, `failed` when `Failed`, and left out when `Canceled`
//! (or a status nobody documented, logged). Sums: `earned` adds up `earned` and `on_its_way`
//! (both were issued; one is still travelling), `pending` adds up `pending`; a failed reward is
//! in neither (the business must act, and the widget says so); a currency whose sum is 0 is
//! left out. Amounts and commissions take their currency from their definition (issued rows
//! carry none): a row whose definition or currency is unknown is left out and logged, never
//! summed in a guessed currency.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::macros::format_description;

use crate::dates::{normalize_date, parse_date};
use crate::upstream::rewards::{Campaign, Definition, Ledger, Metric, RewardRow};

/// The most rewards listed one by one in a session, newest first; the sums cover them all. A
/// dashboard shows a handful; this keeps a long-standing referrer's session small.
pub const MAX_ITEMS: usize = 100;

/// Decimal places sums are rounded to: no currency has more than 4 (CLF), and float addition
/// must not show `0.30000000000000004`.
const SUM_DECIMALS: i32 = 4;

/// `rewards`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RewardsBody {
    /// Issued (or being sent) rewards, summed per currency.
    pub earned: Vec<Sum>,
    /// Due rewards, summed per currency.
    pub pending: Vec<Sum>,
    /// The rewards one by one: due first, then newest first.
    pub items: Vec<RewardItem>,
}

/// A sum in one currency.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sum {
    /// ISO 4217, upper case.
    pub currency: String,
    /// Non-negative.
    pub amount: f64,
}

/// How far along a reward is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Due, not yet issued.
    Pending,
    /// Being sent.
    OnItsWay,
    /// Issued or sent.
    Earned,
    /// Sending failed: the business must act.
    Failed,
}

/// One reward.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RewardItem {
    /// Opaque, unique in the session.
    pub id: String,
    /// `amount`, `commission`, `coupon` or `custom`.
    pub kind: Metric,
    /// Where it stands.
    pub status: Status,
    /// Amounts and commissions: the amount (0 while a commission is being confirmed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount: Option<f64>,
    /// With `amount`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// Earned coupon rewards only: the code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coupon: Option<String>,
    /// A date (`2026-11-21`) or an RFC 3339 time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
}

/// The state of the referral program.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProgramStatus {
    /// Running.
    Live,
    /// Paused (or still a draft).
    Paused,
    /// Past its end.
    Ended,
    /// Launched, before its start.
    NotStarted,
}

/// `program`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProgramBody {
    /// Where it stands.
    pub status: ProgramStatus,
    /// RFC 3339, or null.
    pub ends_at: Option<String>,
}

/// An issued row's status in the session's words; `None` for a cancelled reward (left out) or
/// a status nobody documented (left out, and logged).
pub fn issued_status(status: Option<&str>) -> Option<Status> {
    let status = status.map(|s| s.trim().to_ascii_lowercase());
    match status.as_deref() {
        Some("issued" | "sent") => Some(Status::Earned),
        Some("sending") => Some(Status::OnItsWay),
        Some("failed") => Some(Status::Failed),
        Some("canceled" | "cancelled") => None,
        other => {
            tracing::warn!(
                status = other.unwrap_or("(none)"),
                "an issued reward with an unknown status; left out"
            );
            None
        }
    }
}

/// One row as the session shows it, joined with its definition; `None` when it is left out.
fn item(
    definitions: &[Definition],
    metric: Metric,
    ledger: Ledger,
    row: &RewardRow,
) -> Option<RewardItem> {
    let status = match ledger {
        Ledger::Due => Status::Pending,
        Ledger::Issued => issued_status(row.status.as_deref())?,
    };
    let definition = row.reward_id.and_then(|id| {
        definitions
            .iter()
            .find(|d| d.id == id && d.metric == metric)
            .or_else(|| definitions.iter().find(|d| d.id == id))
    });
    let (mut amount, mut currency, mut coupon) = (None, None, None);
    match metric {
        Metric::Amount | Metric::Commission => {
            let Some(code) = definition.and_then(|d| d.currency.clone()) else {
                tracing::warn!(
                    metric = metric.as_str(),
                    reward_id = row.reward_id,
                    "a reward whose definition or currency is unknown; left out"
                );
                return None;
            };
            let per_reward = definition.and_then(|d| d.amount);
            amount = Some(match (metric, row.total) {
                (_, Some(total)) => total,
                // An amount reward without its total: the definition's amount per reward.
                (Metric::Amount, None) => per_reward.unwrap_or(0.0) * row.count.unwrap_or(1.0),
                // A commission without a total: the spend is not entered yet.
                _ => 0.0,
            });
            currency = Some(code);
        }
        Metric::Coupon => {
            coupon = (status == Status::Earned)
                .then(|| row.coupon.clone())
                .flatten();
        }
        Metric::Custom => {}
    }
    let prefix = match ledger {
        Ledger::Due => "d",
        Ledger::Issued => "i",
    };
    Some(RewardItem {
        id: ["w_", metric.as_str(), "_", prefix, &row.id.to_string()].concat(),
        kind: metric,
        status,
        amount,
        currency,
        coupon,
        at: row.at.as_deref().and_then(session_date),
    })
}

/// A platform date for the session: a plain date stays a date, anything else RFC 3339.
fn session_date(text: &str) -> Option<String> {
    let text = text.trim();
    let plain = time::Date::parse(text, format_description!("[year]-[month]-[day]")).is_ok();
    if plain {
        Some(text.to_owned())
    } else {
        normalize_date(text)
    }
}

/// The `rewards` member: `rows` (with the metric and ledger each came from) joined with
/// `definitions`, sorted, summed, the list cut at [`MAX_ITEMS`].
pub fn rewards(definitions: &[Definition], rows: &[(Metric, Ledger, RewardRow)]) -> RewardsBody {
    let mut items: Vec<RewardItem> = rows
        .iter()
        .filter_map(|(metric, ledger, row)| item(definitions, *metric, *ledger, row))
        .collect();
    let mut earned = Sums::default();
    let mut pending = Sums::default();
    for item in &items {
        let (Some(amount), Some(currency)) = (item.amount, &item.currency) else {
            continue;
        };
        match item.status {
            Status::Earned | Status::OnItsWay => earned.add(currency, amount),
            Status::Pending => pending.add(currency, amount),
            Status::Failed => {}
        }
    }
    // Due first (they have no date, or the newest), then newest first; ties by id, stably.
    let key = |item: &RewardItem| item.at.as_deref().and_then(parse_date);
    items.sort_by(|a, b| {
        (b.status == Status::Pending)
            .cmp(&(a.status == Status::Pending))
            .then(key(b).cmp(&key(a)))
            .then(b.id.cmp(&a.id))
    });
    items.truncate(MAX_ITEMS);
    RewardsBody {
        earned: earned.done(),
        pending: pending.done(),
        items,
    }
}

/// Sums per currency, in alphabetical order of the code.
#[derive(Default)]
struct Sums(std::collections::BTreeMap<String, f64>);

impl Sums {
    fn add(&mut self, currency: &str, amount: f64) {
        *self.0.entry(currency.to_owned()).or_default() += amount;
    }

    fn done(self) -> Vec<Sum> {
        let scale = 10f64.powi(SUM_DECIMALS);
        self.0
            .into_iter()
            .map(|(currency, amount)| Sum {
                currency,
                amount: (amount * scale).round() / scale,
            })
            .filter(|sum| sum.amount > 0.0)
            .collect()
    }
}

/// The `program` member on `now`: `launched` is `live`, or `not_started` before `starts_at`;
/// `paused` and `draft` are `paused`; any of them is `ended` from `ends_at` on (a plain date
/// ends when that day does, in UTC). `None` for a status nobody documented (no banner rather
/// than a wrong one).
pub fn program(campaign: &Campaign, now: OffsetDateTime) -> Option<ProgramBody> {
    let ends = campaign.ends_at.as_deref().and_then(|text| {
        let at = parse_date(text)?;
        let plain = time::Date::parse(text.trim(), format_description!("[year]-[month]-[day]"));
        Some(if plain.is_ok() {
            at + time::Duration::DAY
        } else {
            at
        })
    });
    let starts = campaign.starts_at.as_deref().and_then(parse_date);
    let launched = match campaign.status.as_deref() {
        Some("launched" | "live" | "active") => true,
        Some("paused" | "draft") => false,
        other => {
            tracing::warn!(
                status = other.unwrap_or("(none)"),
                "the campaign has an unknown status; no program state shown"
            );
            return None;
        }
    };
    let status = if ends.is_some_and(|end| end <= now) {
        ProgramStatus::Ended
    } else if !launched {
        ProgramStatus::Paused
    } else if starts.is_some_and(|start| start > now) {
        ProgramStatus::NotStarted
    } else {
        ProgramStatus::Live
    };
    Some(ProgramBody {
        status,
        ends_at: ends.and_then(|end| crate::dates::rfc3339(end.to_offset(time::UtcOffset::UTC))),
    })
}

#[cfg(test)]
mod tests;
