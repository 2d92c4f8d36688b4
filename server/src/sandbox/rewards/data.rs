//! The sandbox's campaign state and rewards: reward definitions (the documented reward
//! structure), due rewards (the row as the notes give it) and issued rewards (the documented
//! issued structure), in all four metrics, and the demo users' rewards.

use serde::Deserialize;
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::sandbox::data::{Data, Refusal, as_u64};

/// The metrics, as the routes name them.
pub const METRICS: [&str; 4] = ["amount", "commission", "coupon", "custom"];

/// The campaign's state, as `GET /campaigns/{id}` shows it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CampaignState {
    /// `launched`, `draft` or `paused`.
    pub status: String,
    /// When it starts (any platform date form).
    #[serde(default)]
    pub starts_at: Option<String>,
    /// When it ends; `null`: live for ever.
    #[serde(default)]
    pub ends_at: Option<String>,
}

/// A reward definition.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Definition {
    /// Set by the sandbox.
    #[serde(default)]
    pub id: u64,
    /// `amount`, `commission`, `coupon` or `custom`.
    pub metric: String,
    /// `active` or `inactive`.
    #[serde(default = "active")]
    pub status: String,
    /// `person_referring` or `person_invited`.
    #[serde(default = "referring")]
    pub recipient: String,
    /// Lower-case ISO 4217 (amount and commission).
    #[serde(default)]
    pub currency: Option<String>,
    /// The amount per reward (amount), or the percentage (commission).
    #[serde(default)]
    pub amount: Option<f64>,
}

pub(super) fn active() -> String {
    "active".into()
}

pub(super) fn referring() -> String {
    "person_referring".into()
}

/// A reward row, due or issued.
#[derive(Debug, Clone)]
pub struct Row {
    /// Its id (one sequence for due and issued: issuing keeps the id).
    pub id: u64,
    /// Its definition.
    pub reward_id: u64,
    /// Who gets it.
    pub recipient_id: u64,
    /// `None` while due; else `Issued`, `Canceled`, `Sending`, `Sent` or `Failed`.
    pub status: Option<String>,
    /// The code (coupon rewards).
    pub coupon: Option<String>,
    /// How many rewards it stands for.
    pub count: u64,
    /// Their total (0 for a commission whose spend is not entered yet).
    pub total: f64,
    /// When it became due, or was issued.
    pub at: OffsetDateTime,
}

/// The campaign's state and every reward of the account.
pub struct Rewards {
    /// The one campaign's state.
    pub campaign: CampaignState,
    /// The definitions.
    pub definitions: Vec<Definition>,
    /// Due and issued rows.
    pub rows: Vec<Row>,
}

impl Rewards {
    /// A launched campaign without rewards.
    pub fn new() -> Self {
        Self {
            campaign: CampaignState {
                status: "launched".into(),
                starts_at: None,
                ends_at: None,
            },
            definitions: Vec::new(),
            rows: Vec::new(),
        }
    }

    /// Replaces the definitions (ids from 1, in order); the rows stay.
    pub fn define(&mut self, definitions: Vec<Definition>) {
        self.definitions = definitions
            .into_iter()
            .enumerate()
            .map(|(n, d)| Definition {
                id: n as u64 + 1,
                ..d
            })
            .collect();
    }

    /// The metric of definition `id`.
    pub fn metric_of(&self, id: u64) -> Option<&str> {
        self.definitions
            .iter()
            .find(|d| d.id == id)
            .map(|d| d.metric.as_str())
    }

    /// A reward due to `recipient` under definition `reward_id`; returns its id.
    ///
    /// # Errors
    /// 422 for an unknown definition or recipient.
    pub fn add_due(
        &mut self,
        data: &Data,
        due: &NewDue,
        now: OffsetDateTime,
    ) -> Result<u64, Refusal> {
        let Some(metric) = self.metric_of(due.reward_id).map(str::to_owned) else {
            return Err(Refusal::Invalid(
                "reward_id",
                "The selected reward id is invalid.".into(),
            ));
        };
        if data.get(due.recipient_id).is_none() {
            return Err(Refusal::Invalid(
                "recipient_id",
                "The selected recipient id is invalid.".into(),
            ));
        }
        let id = self.rows.iter().map(|r| r.id).max().unwrap_or(0) + 1;
        let count = due.count.unwrap_or(1);
        let per = self
            .definitions
            .iter()
            .find(|d| d.id == due.reward_id)
            .and_then(|d| d.amount)
            .unwrap_or(0.0);
        let total = due.total.unwrap_or(match metric.as_str() {
            "amount" => per * count as f64,
            _ => 0.0,
        });
        let coupon = (metric == "coupon").then(|| {
            due.coupon
                .clone()
                .unwrap_or_else(|| format!("RF-{id:04}-THANKS"))
        });
        self.rows.push(Row {
            id,
            reward_id: due.reward_id,
            recipient_id: due.recipient_id,
            status: None,
            coupon,
            count,
            total,
            at: now,
        });
        Ok(id)
    }

    /// Issues due reward `id` with `status` (`Issued` by default); returns its recipient.
    ///
    /// # Errors
    /// 404 for no such due reward; 422 for a status the platform does not have.
    pub fn issue(
        &mut self,
        id: u64,
        status: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<u64, Refusal> {
        let status = status.unwrap_or("Issued");
        if !["Issued", "Sending", "Sent", "Failed", "Canceled"].contains(&status) {
            return Err(Refusal::Invalid(
                "status",
                "The selected status is invalid.".into(),
            ));
        }
        let row = self
            .rows
            .iter_mut()
            .find(|r| r.id == id && r.status.is_none())
            .ok_or(Refusal::NotFound)?;
        row.status = Some(status.to_owned());
        row.at = now;
        Ok(row.recipient_id)
    }

    /// Definitions of `metric` as the API renders them.
    pub fn render_definitions(&self, metric: &str, campaign_id: u64) -> Vec<Value> {
        self.definitions
            .iter()
            .filter(|d| d.metric == metric)
            .map(|d| render_definition(d, campaign_id))
            .collect()
    }

    /// Rows of `metric`, due (`issued` false) or issued, as the API renders them.
    pub fn render_rows(&self, metric: &str, issued: bool) -> Vec<Value> {
        self.rows
            .iter()
            .filter(|r| r.status.is_some() == issued && self.metric_of(r.reward_id) == Some(metric))
            .map(|r| render_row(r, metric, issued))
            .collect()
    }

    /// The campaign as `GET /campaigns/{id}` renders it.
    pub fn render_campaign(&self, campaign_id: u64) -> Value {
        json!({
            "id": campaign_id, "name": "Sandbox Co. referral program", "code": "SANDBOX",
            "lang": "en", "url": "https://sandbox.referral-factory.test/SANDBOX", "reach": "0",
            "status": self.campaign.status, "starts_at": self.campaign.starts_at,
            "ends_at": self.campaign.ends_at, "created_at": "2026-01-05T09:00:00.000000Z",
            "fields": {"person_referring": [], "person_invited": []},
        })
    }
}

impl Default for Rewards {
    fn default() -> Self {
        Self::new()
    }
}

/// A due reward to add (`POST /__sandbox/rewards/due`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewDue {
    /// Who gets it.
    pub recipient_id: u64,
    /// Its definition.
    pub reward_id: u64,
    /// How many (default 1).
    #[serde(default)]
    pub count: Option<u64>,
    /// The total (default: the definition's amount times the count; 0 for a commission).
    #[serde(default)]
    pub total: Option<f64>,
    /// The code (coupon rewards; one is made up when absent).
    #[serde(default)]
    pub coupon: Option<String>,
}

fn render_definition(d: &Definition, campaign_id: u64) -> Value {
    let label = |value: &str| {
        let mut text = value.replace('_', " ");
        if let Some(first) = text.get_mut(..1) {
            first.make_ascii_uppercase();
        }
        json!({"label": text, "value": value})
    };
    let money = d.metric == "amount" || d.metric == "commission";
    json!({
        "id": d.id, "metric": d.metric, "campaign_id": campaign_id,
        // Internal: "won't be shown to your users".
        "name": format!("Internal reward #{}", d.id),
        "status": d.status, "auto_issue": false, "created_at": "2026-01-05T09:00:00.000000Z",
        // The docs spell it "standart".
        "type": {"label": "Standard", "value": "standart"},
        "recipient": label(&d.recipient),
        "method": {"label": "Manual", "value": "manual"},
        "currency": if money { json!(d.currency) } else { Value::Null },
        "amount": if d.metric == "amount" { json!(d.amount) } else { Value::Null },
        // Documented as an integer; the example shows a string.
        "commission": if d.metric == "commission" { json!(d.amount.map(|a| a.to_string())) } else { Value::Null },
        "commission_cap": null,
    })
}

fn render_row(r: &Row, metric: &str, issued: bool) -> Value {
    let mut value = json!({"id": r.id, "reward_id": r.reward_id, "recipient_id": r.recipient_id});
    if metric == "coupon" {
        value["coupon"] = json!(r.coupon);
    } else {
        value["count"] = json!(r.count);
        value["total"] = json!(r.total);
    }
    if issued {
        value["status"] = json!(r.status);
        value["issued_at"] = json!(r.at.date().to_string());
    } else {
        value["can_be_issued"] = json!(true);
        value["created_at"] = json!(r.at.format(&Rfc3339).unwrap_or_default());
    }
    value
}

/// Whether `row` (rendered) passes a rewards search's `filters` (fields `id`, `reward_id`,
/// `recipient_id`, `status`; operators `=` and `!=`; `AND`).
///
/// # Errors
/// 422 for an unknown field or operator.
pub fn matches(row: &Value, body: &Value) -> Result<bool, Refusal> {
    let conditions = body
        .pointer("/filters/value")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for condition in &conditions {
        let field = condition
            .get("field")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if !["id", "reward_id", "recipient_id", "status"].contains(&field) {
            return Err(Refusal::Invalid(
                "filters.value.field",
                "The selected field is invalid.".into(),
            ));
        }
        let equal = match condition
            .get("operator")
            .and_then(Value::as_str)
            .unwrap_or("=")
        {
            "=" => true,
            "!=" => false,
            _ => {
                return Err(Refusal::Invalid(
                    "filters.value.operator",
                    "The selected operator is invalid.".into(),
                ));
            }
        };
        let wanted = condition.get("value").unwrap_or(&Value::Null);
        let have = row.get(field).unwrap_or(&Value::Null);
        let same = match (as_u64(wanted), as_u64(have)) {
            (Some(a), Some(b)) => a == b,
            _ => wanted.as_str().is_some_and(|w| have.as_str() == Some(w)),
        };
        if same != equal {
            return Ok(false);
        }
    }
    Ok(true)
}
