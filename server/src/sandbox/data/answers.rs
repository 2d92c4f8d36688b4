//! How the platform answers about its users: searches (filters, as the platform takes them)
//! and a user's JSON (with or without analytics).

use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::{Data, Refusal, User, email_key, kind};

impl Data {
    /// `POST /users/search`: the ids matching `filters`, ascending; every id when
    /// `filters_ignored`.
    ///
    /// # Errors
    /// 422 for an unknown field or operator, or (with `strings_only`) a value that is not a
    /// string.
    pub fn search(
        &self,
        body: &Value,
        filters_ignored: bool,
        strings_only: bool,
    ) -> Result<Vec<u64>, Refusal> {
        let filters = body.get("filters");
        let conditions = filters
            .and_then(|f| f.get("value"))
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let any = match filters
            .and_then(|f| f.get("operator"))
            .and_then(Value::as_str)
        {
            None => false,
            Some(op) if op.eq_ignore_ascii_case("and") => false,
            Some(op) if op.eq_ignore_ascii_case("or") => true,
            Some(_) => {
                return Err(Refusal::Invalid(
                    "filters.operator",
                    "The selected operator is invalid.".into(),
                ));
            }
        };
        let mut parsed = Vec::with_capacity(conditions.len());
        for condition in &conditions {
            let field = condition
                .get("field")
                .and_then(Value::as_str)
                .unwrap_or_default();
            if ![
                "id",
                "email",
                "campaign_id",
                "referrer_id",
                "code",
                "type",
                "first_name",
            ]
            .contains(&field)
            {
                return Err(Refusal::Invalid(
                    "filters.value.field",
                    "The selected field is invalid.".into(),
                ));
            }
            let operator = condition
                .get("operator")
                .and_then(Value::as_str)
                .unwrap_or("=");
            if operator != "=" && operator != "!=" {
                return Err(Refusal::Invalid(
                    "filters.value.operator",
                    "The selected operator is invalid.".into(),
                ));
            }
            let value = match condition.get("value") {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Number(n)) if !strings_only => n.to_string(),
                _ if strings_only => {
                    return Err(Refusal::Invalid(
                        "filters.value.value",
                        "The value must be a string.".into(),
                    ));
                }
                _ => String::new(),
            };
            parsed.push((field, operator == "=", value));
        }
        // Numbers parsed and emails folded once, not for every user compared (searches walk
        // thousands of users per page in the tests' large worlds).
        let prepared: Vec<(&str, bool, String, Option<u64>)> = parsed
            .iter()
            .map(|(field, equal, value)| {
                let value = if *field == "email" {
                    email_key(value)
                } else {
                    value.clone()
                };
                let number = value.trim().parse().ok();
                (*field, *equal, value, number)
            })
            .collect();
        let matches = |user: &User| {
            let check = |(field, equal, value, number): &(&str, bool, String, Option<u64>)| {
                let same = match *field {
                    "id" => *number == Some(user.id),
                    "campaign_id" => *number == Some(user.campaign_id),
                    "referrer_id" => match user.referrer_id {
                        Some(referrer) => *number == Some(referrer),
                        None => value.is_empty(),
                    },
                    "email" => email_key(&user.email) == *value,
                    "code" => user.code == *value,
                    "type" => kind(user) == value,
                    _ => user.first_name == *value,
                };
                same == *equal
            };
            if prepared.is_empty() {
                true
            } else if any {
                prepared.iter().any(check)
            } else {
                prepared.iter().all(check)
            }
        };
        if filters_ignored {
            return Ok(self.users.iter().map(|u| u.id).collect());
        }
        // Use an index when one equality filter narrows the candidates.
        let candidates: Box<dyn Iterator<Item = &User>> = if let Some((_, _, v)) = parsed
            .iter()
            .find(|(f, eq, _)| *f == "referrer_id" && *eq && !any)
        {
            let ids = v.parse().ok().and_then(|r: u64| self.by_referrer.get(&r));
            Box::new(ids.into_iter().flatten().filter_map(|id| self.user(*id)))
        } else if let Some((_, _, v)) = parsed
            .iter()
            .find(|(f, eq, _)| *f == "email" && *eq && !any)
        {
            Box::new(
                self.by_email
                    .get(&email_key(v))
                    .and_then(|id| self.user(*id))
                    .into_iter(),
            )
        } else {
            Box::new(self.users.iter())
        };
        Ok(candidates.filter(|u| matches(u)).map(|u| u.id).collect())
    }

    /// A user as the API renders it; `analytics` only when asked for.
    pub fn render(&self, user: &User, with_analytics: bool) -> Value {
        let date = |d: &OffsetDateTime| d.format(&Rfc3339).unwrap_or_default();
        let url = [self.link_base.as_str(), &user.code].concat();
        let socials: Vec<Value> = ["email", "twitter", "facebook", "linkedin", "whatsapp"]
            .iter()
            .map(|s| json!({"social": s, "url": format!("{url}/socials/{s}")}))
            .collect();
        let mut value = json!({
            "id": user.id,
            "campaign_id": user.campaign_id,
            "referrer_id": user.referrer_id,
            "first_name": user.first_name,
            "email": user.email,
            "code": user.code,
            // Documented as a string.
            "reach": user.reach.to_string(),
            "source": if user.referrer_id.is_some() { "Referred" } else { "Api" },
            "type": kind(user),
            "ip": "127.0.0.1",
            "url": url,
            "qr": {
                "src": format!("{url}/qr-code"),
                "download": format!("{url}/download-qr-code"),
            },
            "signed_up_at": date(&user.signed_up_at),
            "qualified_at": user.qualified_at.as_ref().map(date),
            "unsubscribed_at": null,
            "meta": user.last_name.as_ref().map_or_else(Vec::new, |l| vec![json!({"field": "Last Name", "value": l})]),
            "sharing": {
                "socials": socials,
                "subject": "Join me on Sandbox Co.",
                "text": "I use Sandbox Co. and think you'd like it too. Join with my link:",
            },
        });
        if with_analytics {
            let referrals = self
                .by_referrer
                .get(&user.id)
                .map_or(&[][..], Vec::as_slice);
            let qualified = referrals
                .iter()
                .filter(|id| self.user(**id).is_some_and(|r| r.qualified_at.is_some()))
                .count();
            value["analytics"] = json!({
                "reach": user.reach,
                "referrals": referrals.len(),
                "qualified_referrals": qualified,
            });
        }
        value
    }
}
