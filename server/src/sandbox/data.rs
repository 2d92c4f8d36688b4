//! The sandbox's accounts: users, referrals, counters, and the documented operations on them
//! (create, read, search with filters and pages), rendered in the API's JSON shapes.

use std::collections::HashMap;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// A user record as the platform stores it.
#[derive(Debug, Clone)]
pub struct User {
    /// Platform id (sequential from 1).
    pub id: u64,
    /// Campaign.
    pub campaign_id: u64,
    /// Who referred them (`None` for referrers).
    pub referrer_id: Option<u64>,
    /// First name.
    pub first_name: String,
    /// The "Last Name" campaign field.
    pub last_name: Option<String>,
    /// Email (unique per campaign).
    pub email: String,
    /// Referral code.
    pub code: String,
    /// Views of their link.
    pub reach: u64,
    /// When they joined.
    pub signed_up_at: OffsetDateTime,
    /// When they were qualified.
    pub qualified_at: Option<OffsetDateTime>,
}

/// Why an operation was refused, in the API's error terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// 404.
    NotFound,
    /// 422 with `(field, message)`.
    Invalid(&'static str, String),
    /// A create for an email already in the campaign: the existing user's id.
    Duplicate(u64),
}

/// A referrer to seed: name, email, reach, referrals and how many of them are qualified.
#[derive(Debug, Clone)]
pub struct Seed {
    /// First name.
    pub first_name: String,
    /// Last name.
    pub last_name: String,
    /// Email.
    pub email: String,
    /// Views of their link.
    pub reach: u64,
    /// Number of referrals.
    pub referrals: u64,
    /// How many of them are qualified.
    pub qualified: u64,
}

/// The demo accounts every sandbox starts with (the demo page signs in as these).
pub fn demo_seeds() -> Vec<Seed> {
    let seed = |first: &str, last: &str, email: &str, reach, referrals, qualified| Seed {
        first_name: first.into(),
        last_name: last.into(),
        email: email.into(),
        reach,
        referrals,
        qualified,
    };
    vec![
        seed("Ada", "Lovelace", "ada@example.com", 1204, 37, 12),
        seed("Grace", "Hopper", "grace@example.com", 3, 0, 0),
        seed("Linus", "Pauling", "linus@example.com", 98_765, 260, 151),
    ]
}

/// Longest first name the platform's validation accepts (Laravel's usual `max:255`).
const MAX_NAME_CHARS: usize = 255;

const FIRST_NAMES: &[&str] = &[
    "Jo", "Sam", "Alex", "Maria", "Yuki", "Noah", "Amara", "Lucas", "Ines", "Omar", "Chloe",
    "Mateo", "Aiko", "Liam", "Sofia", "Ravi", "Zoe", "Kwame", "Elena", "Finn", "Hana", "Diego",
];
const LAST_NAMES: &[&str] = &[
    "Doe", "Kim", "Garcia", "Müller", "Tanaka", "Okafor", "Silva", "Dubois", "Rossi", "Novak",
    "Haddad", "Jensen", "Costa", "Nguyen", "Smith", "Ibrahim",
];

/// All of the sandbox's data.
pub struct Data {
    campaign_id: u64,
    link_base: String,
    users: Vec<User>,
    by_referrer: HashMap<u64, Vec<u64>>,
    by_email: HashMap<String, u64>,
    by_code: HashMap<String, u64>,
    rng: StdRng,
}

impl Data {
    /// Empty data for `campaign_id`, with referral links under `link_base` (`http://host/r/`).
    pub fn new(campaign_id: u64, link_base: String) -> Self {
        Self {
            campaign_id,
            link_base,
            users: Vec::new(),
            by_referrer: HashMap::new(),
            by_email: HashMap::new(),
            by_code: HashMap::new(),
            // Fixed seed: the same sandbox every start, so demo ids and codes are stable.
            rng: StdRng::seed_from_u64(0x5eed),
        }
    }

    /// The campaign.
    pub fn campaign_id(&self) -> u64 {
        self.campaign_id
    }

    /// Adds a referrer with generated referrals; returns the referrer's id.
    pub fn seed(&mut self, seed: &Seed, now: OffsetDateTime) -> u64 {
        let joined = now - time::Duration::days(120);
        let id = self.insert(
            &seed.first_name,
            Some(&seed.last_name),
            &seed.email,
            None,
            joined,
        );
        self.users[index(id)].reach = seed.reach;
        // Referrals spread over the last 90 days, oldest first (ids ascend with time). The
        // qualified ones are spread evenly so every page shows both statuses.
        let count = seed.referrals;
        let span_secs = 90 * 86_400;
        for n in 0..count {
            let first = FIRST_NAMES[self.rng.random_range(0..FIRST_NAMES.len())];
            let last = LAST_NAMES[self.rng.random_range(0..LAST_NAMES.len())];
            let email = [
                &first.to_lowercase(),
                ".",
                &last.to_lowercase(),
                ".",
                &id.to_string(),
                "-",
                &n.to_string(),
                "@example.net",
            ]
            .concat();
            let ago = span_secs - span_secs * (n as i64 + 1) / (count as i64 + 1);
            let signed = now - time::Duration::seconds(ago);
            let referral = self.insert(first, Some(last), &email, Some(id), signed);
            let qualified =
                (n + 1) * seed.qualified / count.max(1) > n * seed.qualified / count.max(1);
            if qualified {
                self.users[index(referral)].qualified_at = Some(signed + time::Duration::hours(20));
            }
        }
        id
    }

    fn insert(
        &mut self,
        first_name: &str,
        last_name: Option<&str>,
        email: &str,
        referrer_id: Option<u64>,
        signed_up_at: OffsetDateTime,
    ) -> u64 {
        let id = self.users.len() as u64 + 1;
        let code = self.fresh_code();
        self.users.push(User {
            id,
            campaign_id: self.campaign_id,
            referrer_id,
            first_name: first_name.to_owned(),
            last_name: last_name.map(str::to_owned),
            email: email.to_owned(),
            code: code.clone(),
            reach: 0,
            signed_up_at,
            qualified_at: None,
        });
        self.by_email.insert(email_key(email), id);
        self.by_code.insert(code, id);
        if let Some(referrer) = referrer_id {
            self.by_referrer.entry(referrer).or_default().push(id);
        }
        id
    }

    fn fresh_code(&mut self) -> String {
        const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
        loop {
            let code: String = (0..8)
                .map(|_| char::from(ALPHABET[self.rng.random_range(0..ALPHABET.len())]))
                .collect();
            if !self.by_code.contains_key(&code) {
                return code;
            }
        }
    }

    /// `POST /users`.
    ///
    /// # Errors
    /// 422 for a missing or invalid field or an email already in the campaign.
    pub fn create(&mut self, body: &Value, now: OffsetDateTime) -> Result<&User, Refusal> {
        let campaign = body.get("campaign_id").and_then(as_u64);
        match campaign {
            None => {
                return Err(Refusal::Invalid(
                    "campaign_id",
                    "The campaign id field is required.".into(),
                ));
            }
            Some(c) if c != self.campaign_id => {
                return Err(Refusal::Invalid(
                    "campaign_id",
                    "The selected campaign id is invalid.".into(),
                ));
            }
            Some(_) => {}
        }
        let first_name = body
            .get("first_name")
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| {
                Refusal::Invalid("first_name", "The first name field is required.".into())
            })?;
        if first_name.chars().count() > MAX_NAME_CHARS {
            return Err(Refusal::Invalid(
                "first_name",
                "The first name may not be greater than 255 characters.".into(),
            ));
        }
        let email = body
            .get("email")
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| Refusal::Invalid("email", "The email field is required.".into()))?;
        if !email.contains('@') || email.contains(char::is_whitespace) {
            return Err(Refusal::Invalid(
                "email",
                "The email must be a valid email address.".into(),
            ));
        }
        if let Some(existing) = self.by_email.get(&email_key(email)) {
            return Err(Refusal::Duplicate(*existing));
        }
        let referrer = match body.get("referrer") {
            None | Some(Value::Null) => None,
            Some(r) => Some(self.resolve_referrer(r).ok_or_else(|| {
                Refusal::Invalid("referrer", "The selected referrer is invalid.".into())
            })?),
        };
        let last_name = body.get("meta").and_then(Value::as_array).and_then(|meta| {
            meta.iter().find_map(|m| {
                (m.get("field")?.as_str()? == "Last Name")
                    .then(|| m.get("value")?.as_str())
                    .flatten()
            })
        });
        let id = self.insert(first_name, last_name, email, referrer, now);
        Ok(&self.users[index(id)])
    }

    fn resolve_referrer(&self, referrer: &Value) -> Option<u64> {
        let value = referrer.get("value")?;
        match referrer.get("field")?.as_str()? {
            "id" => as_u64(value).filter(|id| self.user(*id).is_some()),
            "code" => self.by_code.get(value.as_str()?).copied(),
            "email" => self.by_email.get(&email_key(value.as_str()?)).copied(),
            _ => None,
        }
    }

    /// A user by id or code.
    pub fn find(&self, identifier: &str) -> Option<&User> {
        match identifier.parse::<u64>() {
            Ok(id) => self.user(id),
            Err(_) => self.by_code.get(identifier).and_then(|id| self.user(*id)),
        }
    }

    fn user(&self, id: u64) -> Option<&User> {
        id.checked_sub(1).and_then(|i| self.users.get(i as usize))
    }

    /// Counts a view of a referral link; returns the referrer's first name.
    pub fn visit(&mut self, code: &str) -> Option<String> {
        let id = *self.by_code.get(code)?;
        let user = &mut self.users[index(id)];
        user.reach += 1;
        Some(user.first_name.clone())
    }

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

    /// Looks a user up by id for rendering.
    pub fn get(&self, id: u64) -> Option<&User> {
        self.user(id)
    }
}

/// Emails are unique per campaign, trimmed and case-insensitively.
fn email_key(email: &str) -> String {
    email.trim().to_lowercase()
}

fn kind(user: &User) -> &'static str {
    if user.referrer_id.is_some() {
        "person_invited"
    } else {
        "person_referring"
    }
}

fn index(id: u64) -> usize {
    (id - 1) as usize
}

fn as_u64(value: &Value) -> Option<u64> {
    match value {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data() -> (Data, u64) {
        let mut data = Data::new(1, "http://sandbox.test/r/".into());
        let now = OffsetDateTime::now_utc();
        let id = data.seed(&demo_seeds()[0], now);
        (data, id)
    }

    #[test]
    fn seeded_counts_match_the_seed() {
        let (data, id) = data();
        let user = data.render(data.get(id).unwrap(), true);
        assert_eq!(user["analytics"]["referrals"], 37);
        assert_eq!(user["analytics"]["qualified_referrals"], 12);
        assert_eq!(user["reach"], "1204");
        assert!(
            user["url"]
                .as_str()
                .unwrap()
                .starts_with("http://sandbox.test/r/")
        );
    }

    #[test]
    fn create_is_not_an_upsert() {
        let (mut data, _) = data();
        let now = OffsetDateTime::now_utc();
        let body = json!({"campaign_id": 1, "first_name": "New", "email": "new@example.com"});
        assert!(data.create(&body, now).is_ok());
        let existing = data.create(
            &json!({"campaign_id": 1, "first_name": "X", "email": " NEW@example.com"}),
            now,
        );
        assert!(
            matches!(existing, Err(Refusal::Duplicate(_))),
            "trimmed, any case"
        );
        let wrong = json!({"campaign_id": 2, "first_name": "X", "email": "x@example.com"});
        assert!(matches!(
            data.create(&wrong, now),
            Err(Refusal::Invalid("campaign_id", _))
        ));
    }

    #[test]
    fn search_filters_by_email_and_referrer() {
        let (data, id) = data();
        let by_email = json!({"filters": {"value": [
            {"field": "email", "value": "ADA@example.com", "operator": "="},
            {"field": "campaign_id", "value": "1", "operator": "="}], "operator": "AND"}});
        assert_eq!(data.search(&by_email, false, true).unwrap(), vec![id]);
        let referrals = json!({"filters": {"value": [
            {"field": "referrer_id", "value": id, "operator": "="}], "operator": "AND"}});
        let ids = data.search(&referrals, false, false).unwrap();
        assert!(
            data.search(&referrals, false, true).is_err(),
            "a number where only strings are taken"
        );
        assert_eq!(
            data.search(&referrals, true, false).unwrap().len(),
            38,
            "everyone"
        );
        assert_eq!(ids.len(), 37);
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "ascending by id");
        let bad = json!({"filters": {"value": [{"field": "password", "value": 1}]}});
        assert!(data.search(&bad, false, false).is_err());
    }
}
