//! The platform's outbound webhooks, as the sandbox sends them.
//!
//! Referral Factory sends a POST to an https URL of the business's when "a new referrer
//! joins", "a new lead is created", "a lead is qualified" or "a reward is issued"; the business
//! chooses which user fields are sent and under which names, and up to 3 headers of its own.
//! Nothing public fixes the payload beyond that, so the sandbox is configured the same way
//! (`POST /__sandbox/webhooks`): a URL, headers, JSON or form, and a name for each field it
//! sends. Deliveries are made in the background and logged (`GET /__sandbox/webhooks`), so a
//! test can wait for one to have arrived.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::data::User;

/// The events the platform sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    /// A new referrer joins.
    NewReferrer,
    /// A new lead is created (someone signed up through a referral link).
    NewLead,
    /// A lead is qualified.
    LeadQualified,
    /// A reward is issued (the user is its recipient).
    RewardIssued,
}

/// How the business configured its webhook.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Where to POST. Empty: webhooks off.
    pub url: String,
    /// Headers sent with every call (the platform allows 3).
    pub headers: BTreeMap<String, String>,
    /// `form` for `application/x-www-form-urlencoded`; JSON otherwise.
    pub form: bool,
    /// The events sent; all when empty.
    pub events: Vec<Event>,
    /// The user fields sent, each under the name given (`{"referrer_code": "ref"}` sends the
    /// referrer's code as `ref`). The fields: `event`, `id`, `code`, `email`, `first_name`,
    /// `referrer_id`, `referrer_code`, `referrer_email`. When empty, all of them under their own
    /// names.
    pub fields: BTreeMap<String, String>,
}

/// The most headers the platform lets a business add.
pub const MAX_HEADERS: usize = 3;

/// The fields a payload can carry.
pub const FIELDS: &[&str] = &[
    "event",
    "id",
    "code",
    "email",
    "first_name",
    "referrer_id",
    "referrer_code",
    "referrer_email",
];

impl Config {
    /// Whether `event` is to be sent.
    pub fn sends(&self, event: Event) -> bool {
        !self.url.is_empty() && (self.events.is_empty() || self.events.contains(&event))
    }

    /// Checks what the platform's form would refuse.
    ///
    /// # Errors
    /// What is wrong, in a sentence.
    pub fn check(&self) -> Result<(), String> {
        if self.headers.len() > MAX_HEADERS {
            return Err(format!("at most {MAX_HEADERS} headers"));
        }
        if let Some(unknown) = self.fields.keys().find(|f| !FIELDS.contains(&f.as_str())) {
            return Err(format!("unknown field {unknown}; fields are {FIELDS:?}"));
        }
        if !self.url.is_empty() && url::Url::parse(&self.url).is_err() {
            return Err("url is not a URL".into());
        }
        Ok(())
    }

    /// The payload for `event` about `user` (a lead's referrer is `referrer`), as name → value.
    pub fn payload(
        &self,
        event: Event,
        user: &User,
        referrer: Option<&User>,
    ) -> Map<String, Value> {
        let event_name = match event {
            Event::NewReferrer => "new_referrer",
            Event::NewLead => "new_lead",
            Event::LeadQualified => "lead_qualified",
            Event::RewardIssued => "reward_issued",
        };
        let value = |field: &str| -> Option<Value> {
            Some(match field {
                "event" => Value::from(event_name),
                "id" => Value::from(user.id),
                "code" => Value::from(user.code.clone()),
                "email" => Value::from(user.email.clone()),
                "first_name" => Value::from(user.first_name.clone()),
                "referrer_id" => Value::from(referrer?.id),
                "referrer_code" => Value::from(referrer?.code.clone()),
                "referrer_email" => Value::from(referrer?.email.clone()),
                _ => return None,
            })
        };
        let mut payload = Map::new();
        if self.fields.is_empty() {
            for field in FIELDS {
                if let Some(v) = value(field) {
                    payload.insert((*field).to_owned(), v);
                }
            }
        } else {
            for (field, name) in &self.fields {
                if let Some(v) = value(field) {
                    payload.insert(name.clone(), v);
                }
            }
        }
        payload
    }
}

/// One delivery, as the log shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Delivery {
    /// The event.
    pub event: Event,
    /// The status the receiver answered, or 0 when it could not be reached.
    pub status: u16,
}

/// The form-encoded body of a payload (numbers and strings as text).
pub fn form_body(payload: &Map<String, Value>) -> String {
    let mut form = url::form_urlencoded::Serializer::new(String::new());
    for (name, value) in payload {
        let text = match value {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        form.append_pair(name, &text);
    }
    form.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use time::OffsetDateTime;

    fn user(id: u64, code: &str, email: &str) -> User {
        User {
            id,
            campaign_id: 1,
            referrer_id: None,
            first_name: "Jo".into(),
            last_name: None,
            email: email.into(),
            code: code.into(),
            reach: 0,
            signed_up_at: OffsetDateTime::UNIX_EPOCH,
            qualified_at: None,
        }
    }

    #[test]
    fn fields_go_out_under_the_names_the_business_chose() {
        let config: Config = serde_json::from_value(json!({
            "url": "http://127.0.0.1:1/hook",
            "fields": {"referrer_code": "ref", "event": "type"}
        }))
        .unwrap();
        config.check().unwrap();
        let referrer = user(7, "ADA7", "ada@example.com");
        let lead = user(9, "JO9", "jo@example.net");
        let payload = config.payload(Event::NewLead, &lead, Some(&referrer));
        assert_eq!(
            Value::Object(payload.clone()),
            json!({"ref": "ADA7", "type": "new_lead"})
        );
        assert_eq!(form_body(&payload), "ref=ADA7&type=new_lead");
    }

    #[test]
    fn the_platforms_limits_are_kept() {
        let too_many: Config = serde_json::from_value(json!({
            "url": "http://x.example/", "headers": {"a": "1", "b": "2", "c": "3", "d": "4"}
        }))
        .unwrap();
        assert!(too_many.check().is_err());
        let unknown: Config = serde_json::from_value(
            json!({"url": "http://x.example/", "fields": {"password": "p"}}),
        )
        .unwrap();
        assert!(unknown.check().is_err());
        assert!(
            !Config::default().sends(Event::NewLead),
            "off without a URL"
        );
    }
}
