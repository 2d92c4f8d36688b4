//! The campaign and the rewards: `GET /campaigns/{id}`, the reward definitions
//! (`GET /rewards/dashboard/{metric}`), and a referrer's due and issued rewards
//! (`POST /rewards/{due|issued}/{metric}/search` filtered on `recipient_id`).
//!
//! What the public material documents (see the notes' "Rewards and the campaign"): the campaign
//! object and the reward definition (`id, metric, campaign_id, status, recipient, currency,
//! amount, ...`) are documented, so is the issued row (`id, reward_id, recipient_id, status,
//! coupon, count, total, issued_at`, no currency); the due row comes from a secondary source
//! only. Nothing says the search filter on `recipient_id` is honoured, how these lists are
//! paged, or whether an account without the rewards feature answers 404. So, as for referrals:
//! every row is checked against the recipient (a row of anyone else is dropped and counted),
//! paging follows whatever the answer offers ([`super::paging`]), every field is read leniently,
//! and a 404 on the definitions means "no definitions of this metric" (an account without the
//! feature), not a failure.

use std::collections::HashSet;
use std::ops::ControlFlow;

use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::decode::{envelope, text, uint};
use super::{Client, List, UpstreamError, filters};

/// What a reward is counted in (the `{metric}` of the reward routes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// A fixed amount of money.
    Amount,
    /// A share of what the referred customer spends.
    Commission,
    /// A coupon code.
    Coupon,
    /// Anything else the business hands out itself.
    Custom,
}

impl Metric {
    /// Every metric, in the order they are read and shown.
    pub const ALL: [Metric; 4] = [
        Metric::Amount,
        Metric::Commission,
        Metric::Coupon,
        Metric::Custom,
    ];

    /// Its name in routes and in the session (`kind`).
    pub fn as_str(self) -> &'static str {
        match self {
            Metric::Amount => "amount",
            Metric::Commission => "commission",
            Metric::Coupon => "coupon",
            Metric::Custom => "custom",
        }
    }
}

/// Which list of a referrer's rewards.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ledger {
    /// Due: earned by a qualified referral, not yet issued.
    Due,
    /// Issued (or being sent, sent, failed, cancelled).
    Issued,
}

impl Ledger {
    fn as_str(self) -> &'static str {
        match self {
            Ledger::Due => "due",
            Ledger::Issued => "issued",
        }
    }
}

/// A reward definition, as far as a dashboard needs it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Definition {
    /// Its id (what rows name in `reward_id`).
    pub id: u64,
    /// The metric it was listed under.
    pub metric: Metric,
    /// Its campaign, when sent.
    pub campaign_id: Option<u64>,
    /// `status` is `active` (or absent).
    pub active: bool,
    /// Its recipient is the person referring (or not said).
    pub for_referrer: bool,
    /// ISO 4217, upper case (documented lower case), when it is a valid code.
    pub currency: Option<String>,
    /// Its amount per reward, when sent.
    pub amount: Option<f64>,
}

/// One row of a referrer's due or issued rewards.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RewardRow {
    /// Its id (unique within its ledger and metric).
    pub id: u64,
    /// The definition it was earned under.
    pub reward_id: Option<u64>,
    /// `status` as sent (issued rows: `Issued | Canceled | Sending | Sent | Failed`).
    pub status: Option<String>,
    /// The coupon code (coupon rewards only).
    pub coupon: Option<String>,
    /// How many rewards the row stands for.
    pub count: Option<f64>,
    /// Their total (a float; due commissions may be 0 until the spend is entered).
    pub total: Option<f64>,
    /// `issued_at`, else `created_at`, as sent.
    pub at: Option<String>,
}

/// The campaign, as far as its state goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Campaign {
    /// `launched | draft | paused` (documented), as sent, lower case.
    pub status: Option<String>,
    /// When it starts, as sent.
    pub starts_at: Option<String>,
    /// When it ends, as sent (`null`: live until paused or deleted).
    pub ends_at: Option<String>,
}

/// A non-negative, finite number sent as a number or a numeric string.
pub fn amount(value: &Value) -> Option<f64> {
    let number = match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    }?;
    (number.is_finite() && number >= 0.0).then_some(number)
}

/// An ISO 4217 code from what was sent (`usd`, `USD`), or `None`.
pub fn currency(value: &Value) -> Option<String> {
    let code = value.as_str()?.trim();
    (code.len() == 3 && code.bytes().all(|b| b.is_ascii_alphabetic()))
        .then(|| code.to_ascii_uppercase())
}

/// A `{label, value}` object's value, or the string itself.
fn choice(value: &Value) -> Option<String> {
    let text = match value {
        Value::Object(object) => ["value", "type", "key"]
            .iter()
            .find_map(|k| object.get(*k).and_then(Value::as_str))?,
        other => other.as_str()?,
    };
    Some(text.trim().to_ascii_lowercase())
}

/// Decodes a reward definition listed under `metric`; `None` without a usable id.
pub fn decode_definition(value: &Value, metric: Metric) -> Option<Definition> {
    let object = value.as_object()?;
    let id = object.get("id").and_then(uint)?;
    let field = |name: &str| object.get(name).unwrap_or(&Value::Null);
    let active = match field("status") {
        Value::Null => true,
        status => choice(status).is_some_and(|s| s == "active"),
    };
    let for_referrer = match field("recipient") {
        Value::Null => true,
        recipient => choice(recipient).is_some_and(|r| r == "person_referring"),
    };
    Some(Definition {
        id,
        metric,
        campaign_id: uint(field("campaign_id")),
        active,
        for_referrer,
        currency: currency(field("currency")),
        amount: amount(field("amount")),
    })
}

/// Decodes a due or issued row; `None` without a usable id. Its recipient is returned apart:
/// it is checked, not kept.
pub fn decode_row(value: &Value) -> Option<(RewardRow, Option<u64>)> {
    let object = value.as_object()?;
    let id = object.get("id").and_then(uint)?;
    let field = |name: &str| object.get(name).unwrap_or(&Value::Null);
    let row = RewardRow {
        id,
        reward_id: uint(field("reward_id")),
        status: text(field("status")),
        coupon: text(field("coupon")),
        count: amount(field("count")),
        total: amount(field("total")),
        at: text(field("issued_at")).or_else(|| text(field("created_at"))),
    };
    Some((row, uint(field("recipient_id"))))
}

/// Decodes the campaign answer (with or without its `data` envelope).
pub fn decode_campaign(value: &Value) -> Option<Campaign> {
    let object = envelope(value).as_object()?;
    let field = |name: &str| object.get(name).unwrap_or(&Value::Null);
    Some(Campaign {
        status: choice(field("status")),
        starts_at: text(field("starts_at")),
        ends_at: text(field("ends_at")),
    })
}

impl Client {
    /// `GET /campaigns/{id}`: the configured campaign's state; `None` when the platform does
    /// not know it (404).
    ///
    /// # Errors
    /// Any other [`UpstreamError`]; [`UpstreamError::Malformed`] for an answer that is not an
    /// object.
    pub async fn campaign(&self) -> Result<Option<Campaign>, UpstreamError> {
        let url = self.url(&["campaigns/", &self.campaign_id.to_string()].concat())?;
        match self.call(Method::GET, url, None).await {
            Ok((_, value)) => decode_campaign(&value)
                .map(Some)
                .ok_or(UpstreamError::Malformed("the campaign is not an object")),
            Err(UpstreamError::NotFound) => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// `GET /rewards/dashboard/{metric}` for every metric, the four at once: the definitions of
    /// this campaign (those of another campaign are left out). A metric answered with 404 has
    /// none.
    ///
    /// # Errors
    /// Any other [`UpstreamError`].
    pub async fn reward_definitions(&self) -> Result<Vec<Definition>, UpstreamError> {
        let [amount, commission, coupon, custom] = Metric::ALL;
        let (amount, commission, coupon, custom) = tokio::join!(
            self.definitions_of(amount),
            self.definitions_of(commission),
            self.definitions_of(coupon),
            self.definitions_of(custom),
        );
        let mut found = amount?;
        for more in [commission?, coupon?, custom?] {
            found.extend(more);
        }
        Ok(found)
    }

    /// The definitions of one metric in this campaign; none when the route answers 404.
    async fn definitions_of(&self, metric: Metric) -> Result<Vec<Definition>, UpstreamError> {
        let path = ["rewards/dashboard/", metric.as_str()].concat();
        let list = List {
            method: Method::GET,
            path: &path,
            body: None,
        };
        let campaign = self.campaign_id;
        let (mut found, mut seen) = (Vec::new(), HashSet::new());
        let walked = self
            .walk(
                &list,
                |v| decode_definition(v, metric),
                |d| d.id,
                |definition| {
                    let ours = definition.campaign_id.is_none_or(|c| c == campaign);
                    if ours && seen.insert(definition.id) {
                        found.push(definition);
                    }
                    ControlFlow::Continue(())
                },
            )
            .await;
        match walked {
            Ok(_) => Ok(found),
            Err(UpstreamError::NotFound) => Ok(Vec::new()),
            Err(error) => Err(error),
        }
    }

    /// `POST /rewards/{ledger}/{metric}/search` on `recipient_id`: that referrer's rows, each
    /// once, checked row by row (a row for anyone else, as a platform that ignores the filter
    /// would send, is dropped).
    ///
    /// # Errors
    /// Any [`UpstreamError`]; [`UpstreamError::NotFound`] for an account without rewards.
    pub async fn reward_rows(
        &self,
        ledger: Ledger,
        metric: Metric,
        recipient: u64,
    ) -> Result<Vec<RewardRow>, UpstreamError> {
        let path = ["rewards/", ledger.as_str(), "/", metric.as_str(), "/search"].concat();
        let body = filters(&[("recipient_id", &recipient.to_string())]);
        let list = List {
            method: Method::POST,
            path: &path,
            body: Some(&body),
        };
        let (mut rows, mut seen, mut dropped) = (Vec::new(), HashSet::new(), 0usize);
        self.walk(
            &list,
            decode_row,
            |(row, _)| row.id,
            |(row, to)| {
                if to != Some(recipient) {
                    dropped += 1;
                } else if seen.insert(row.id) {
                    rows.push(row);
                }
                ControlFlow::Continue(())
            },
        )
        .await?;
        if dropped > 0 {
            tracing::warn!(
                dropped,
                ledger = ledger.as_str(),
                metric = metric.as_str(),
                "the platform returned rewards of other users; they were dropped (filter not honoured?)"
            );
        }
        Ok(rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn definitions_are_read_leniently() {
        let def = decode_definition(
            &json!({"id": "9", "campaign_id": 1, "status": "Active", "currency": "usd",
                "amount": "20", "recipient": {"label": "Person Referring", "value": "person_referring"}}),
            Metric::Amount,
        )
        .unwrap();
        assert_eq!(def.currency.as_deref(), Some("USD"));
        assert_eq!(def.amount, Some(20.0));
        assert!(def.active && def.for_referrer);
        let invited = decode_definition(
            &json!({"id": 3, "status": "inactive", "recipient": "person_invited", "currency": "dollars"}),
            Metric::Coupon,
        )
        .unwrap();
        assert!(!invited.active && !invited.for_referrer);
        assert_eq!(invited.currency, None);
        assert!(decode_definition(&json!({"name": "no id"}), Metric::Custom).is_none());
    }

    #[test]
    fn rows_keep_their_recipient_apart_and_refuse_negative_amounts() {
        let (row, to) = decode_row(&json!({"id": 4, "reward_id": "9", "recipient_id": "12",
            "status": "Sent", "total": -5, "count": "2", "issued_at": "2026-11-21"}))
        .unwrap();
        assert_eq!(to, Some(12));
        assert_eq!((row.total, row.count), (None, Some(2.0)));
        assert_eq!(row.at.as_deref(), Some("2026-11-21"));
        assert!(decode_row(&json!({"id": null})).is_none());
    }

    #[test]
    fn the_campaign_comes_with_or_without_its_envelope() {
        let wrapped = json!({"data": {"status": "Launched", "ends_at": null}});
        assert_eq!(
            decode_campaign(&wrapped).unwrap().status.as_deref(),
            Some("launched")
        );
        assert!(decode_campaign(&json!([1])).is_none());
    }
}
