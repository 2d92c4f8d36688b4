//! The sandbox's accounts: users, referrals, counters, and the documented operations on them
//! (create, read, search with filters and pages), rendered in the API's JSON shapes.

mod answers;

use std::collections::HashMap;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::Value;
use time::OffsetDateTime;

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

    /// A new lead for `referrer_id`, joined at `now` (what a referral link's sign-up form
    /// does); returns its id, or `None` when the referrer does not exist.
    pub fn add_referral(
        &mut self,
        referrer_id: u64,
        first_name: &str,
        last_name: Option<&str>,
        now: OffsetDateTime,
    ) -> Option<u64> {
        self.user(referrer_id)?;
        let n = self.by_referrer.get(&referrer_id).map_or(0, Vec::len);
        let email = [
            &first_name.to_lowercase(),
            ".",
            &referrer_id.to_string(),
            "-",
            &n.to_string(),
            "@example.net",
        ]
        .concat();
        Some(self.insert(first_name, last_name, &email, Some(referrer_id), now))
    }

    /// Qualifies (or, with `qualified` false, unqualifies) a lead; `None` when it does not
    /// exist. Returns whether anything changed.
    pub fn qualify(&mut self, id: u64, qualified: bool, now: OffsetDateTime) -> Option<bool> {
        let user = self
            .users
            .get_mut(usize::try_from(id.checked_sub(1)?).ok()?)?;
        let changed = user.qualified_at.is_some() != qualified;
        user.qualified_at = qualified.then_some(user.qualified_at.unwrap_or(now));
        Some(changed)
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

    /// A user by email (trimmed, any case).
    pub fn find_by_email(&self, email: &str) -> Option<&User> {
        self.by_email
            .get(&email_key(email))
            .and_then(|id| self.user(*id))
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

/// A non-negative integer sent as a number or a numeric string.
pub fn as_u64(value: &Value) -> Option<u64> {
    match value {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
