//! Reading the platform's answers without trusting their shape (pure).
//!
//! Every value is decoded from `serde_json::Value` by hand, field by field: a field may be
//! missing, `null`, or of another type than documented (`reach` is documented as a string, ids
//! may arrive as strings), and a list may hold rows that are not users at all. What is off is
//! logged by field name, never with its value (values may be personal data).

use serde_json::Value;

use super::UpstreamError;

/// A Referral Factory user (referrer or referral), decoded tolerantly.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PlatformUser {
    /// Platform id.
    pub id: u64,
    /// Their email, as sent (compare with [`crate::personal::email_key`]).
    pub email: Option<String>,
    /// Their campaign.
    pub campaign_id: Option<u64>,
    /// Who referred them (`None` for a referrer who joined on their own).
    pub referrer_id: Option<u64>,
    /// Referral code.
    pub code: Option<String>,
    /// Referral link.
    pub url: Option<String>,
    /// First name as entered (may hold a full name).
    pub first_name: Option<String>,
    /// The "Last Name" campaign field, when present in `meta`.
    pub last_name: Option<String>,
    /// Top-level reach (documented as a string).
    pub reach: Option<u64>,
    /// `analytics`, when requested with `with=user.analytics` and sent.
    pub analytics: Option<Analytics>,
    /// When they joined, as sent.
    pub signed_up_at: Option<String>,
    /// When they were qualified, as sent; `None` means pending.
    pub qualified_at: Option<String>,
    /// `sharing.text`.
    pub share_text: Option<String>,
    /// `sharing.subject`.
    pub share_subject: Option<String>,
}

/// Per-user counters from `with=user.analytics`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Analytics {
    /// Views of the link.
    pub reach: u64,
    /// Sign-ups through the link.
    pub referrals: u64,
    /// Qualified sign-ups.
    pub qualified_referrals: u64,
}

/// One page of a search, with whatever paging information it carried.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SearchPage {
    /// How many rows the page held, usable or not: the page's size as the platform made it.
    pub rows: usize,
    /// The rows that are users (with a usable id), in the order sent.
    pub users: Vec<PlatformUser>,
    /// Whether the answer had a `links` object at all.
    pub has_links: bool,
    /// `links.next`, when it is a non-empty string.
    pub next_link: Option<String>,
    /// `meta.current_page`.
    pub current_page: Option<u64>,
    /// `meta.last_page`.
    pub last_page: Option<u64>,
    /// `meta.total`.
    pub total: Option<u64>,
}

/// A success body as JSON.
///
/// # Errors
/// [`UpstreamError::Malformed`] when it is not JSON (truncated, HTML error page, ...).
pub fn decode_response(bytes: &[u8]) -> Result<Value, UpstreamError> {
    serde_json::from_slice(bytes).map_err(|_| UpstreamError::Malformed("body is not JSON"))
}

/// A single user's answer: `{"data": {...}}` as documented, or the bare object.
pub fn envelope(value: &Value) -> &Value {
    match value.get("data") {
        Some(data) if data.is_object() => data,
        _ => value,
    }
}

/// A non-negative integer sent as a number or a numeric string.
pub fn uint(value: &Value) -> Option<u64> {
    match value {
        Value::Number(n) => n.as_u64().or_else(|| {
            n.as_f64()
                .filter(|f| *f >= 0.0 && f.fract() == 0.0 && *f < u64::MAX as f64)
                .map(|f| f as u64)
        }),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A non-empty string (trimmed), or a number as text.
pub fn text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Decodes a user object; `None` without a usable `id`. Oddities are logged by field name.
pub fn decode_user(value: &Value) -> Option<PlatformUser> {
    let Some(object) = value.as_object() else {
        tracing::warn!(field = "data", "expected a user object");
        return None;
    };
    let Some(id) = object.get("id").and_then(uint) else {
        tracing::warn!(field = "id", "user without a usable id; skipped");
        return None;
    };
    let field = |name: &str| object.get(name).unwrap_or(&Value::Null);
    let odd = |name: &'static str, expected: &'static str| {
        tracing::warn!(
            field = name,
            expected,
            user_id = id,
            "unexpected field type from upstream"
        );
    };
    let reach = match field("reach") {
        Value::Null => None,
        v => uint(v).or_else(|| {
            odd("reach", "a count");
            None
        }),
    };
    let analytics = match field("analytics") {
        Value::Null => None,
        Value::Object(a) => {
            let count = |name: &'static str| {
                a.get(name).and_then(uint).unwrap_or_else(|| {
                    odd(name, "a count in analytics");
                    0
                })
            };
            Some(Analytics {
                reach: count("reach"),
                referrals: count("referrals"),
                qualified_referrals: count("qualified_referrals"),
            })
        }
        _ => {
            odd("analytics", "an object");
            None
        }
    };
    let last_name = field("meta").as_array().and_then(|meta| {
        meta.iter().find_map(|entry| {
            let label = entry.get("field")?.as_str()?;
            label
                .eq_ignore_ascii_case("last name")
                .then(|| text(entry.get("value")?))
                .flatten()
        })
    });
    let sharing = field("sharing");
    Some(PlatformUser {
        id,
        email: text(field("email")),
        campaign_id: uint(field("campaign_id")),
        referrer_id: uint(field("referrer_id")),
        code: text(field("code")),
        url: text(field("url")),
        first_name: text(field("first_name")),
        last_name,
        reach,
        analytics,
        signed_up_at: text(field("signed_up_at")),
        qualified_at: text(field("qualified_at")),
        share_text: sharing.get("text").and_then(text),
        share_subject: sharing.get("subject").and_then(text),
    })
}

/// Decodes a search answer: `{"data": [...]}` as documented (or a bare list), with whatever of
/// `links.next` and `meta.current_page`/`last_page`/`total` it carries.
///
/// # Errors
/// [`UpstreamError::Malformed`] when there is no list of rows.
pub fn decode_page(value: &Value) -> Result<SearchPage, UpstreamError> {
    let (rows, mut page) = decode_list(value)?;
    page.users = rows.iter().filter_map(decode_user).collect();
    Ok(page)
}

/// Any list answer (users, reward definitions, reward rows): its rows as sent, and its paging
/// information in a [`SearchPage`] whose `users` is left empty.
///
/// # Errors
/// [`UpstreamError::Malformed`] when there is no list of rows.
pub fn decode_list(value: &Value) -> Result<(&[Value], SearchPage), UpstreamError> {
    let rows = match value {
        Value::Array(rows) => rows,
        _ => value
            .get("data")
            .and_then(Value::as_array)
            .ok_or(UpstreamError::Malformed("search answer has no data list"))?,
    };
    let links = value.get("links");
    let meta = value.get("meta").unwrap_or(&Value::Null);
    let number = |name: &str| meta.get(name).and_then(uint);
    let page = SearchPage {
        rows: rows.len(),
        users: Vec::new(),
        has_links: links.is_some_and(Value::is_object),
        next_link: links
            .and_then(|l| l.get("next"))
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned),
        current_page: number("current_page"),
        last_page: number("last_page"),
        total: number("total"),
    };
    Ok((rows, page))
}

/// Field names of an error body's `errors` (never their messages, which may echo input): the
/// keys of the documented object, or the `field` of each entry when it is a list.
pub fn error_fields(body: &[u8]) -> Vec<String> {
    let Ok(value) = serde_json::from_slice::<Value>(body) else {
        return Vec::new();
    };
    match value.get("errors") {
        Some(Value::Object(fields)) => fields.keys().cloned().collect(),
        Some(Value::Array(entries)) => entries
            .iter()
            .filter_map(|e| e.get("field").and_then(Value::as_str).map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reach_as_string_and_missing_fields_decode() {
        let user = decode_user(&json!({
            "id": "42", "reach": "17", "url": "https://x.example/r/A", "code": "A",
            "email": " Ada@Example.com ", "campaign_id": "3", "referrer_id": null,
            "meta": [{"field": "Last Name", "value": "Smith"}],
            "analytics": {"reach": "20", "referrals": 3, "qualified_referrals": null}
        }))
        .unwrap();
        assert_eq!(user.id, 42);
        assert_eq!(user.reach, Some(17));
        assert_eq!(user.email.as_deref(), Some("Ada@Example.com"));
        assert_eq!((user.campaign_id, user.referrer_id), (Some(3), None));
        assert_eq!(user.last_name.as_deref(), Some("Smith"));
        assert_eq!(
            user.analytics,
            Some(Analytics {
                reach: 20,
                referrals: 3,
                qualified_referrals: 0
            })
        );
        assert!(decode_user(&json!({"first_name": "x"})).is_none());
        assert!(decode_user(&json!("nope")).is_none());
    }

    #[test]
    fn a_page_counts_every_row_but_keeps_only_users() {
        let page = decode_page(&json!({"data": [{"id": 1}, {"bad": true}, "x"]})).unwrap();
        assert_eq!((page.rows, page.users.len()), (3, 1));
        assert_eq!(
            (page.current_page, page.last_page, page.total),
            (None, None, None)
        );
        assert!(!page.has_links && page.next_link.is_none());
        assert!(decode_page(&json!({"data": {}})).is_err());
        let bare = decode_page(&json!([{"id": 5}])).unwrap();
        assert_eq!(bare.users[0].id, 5);
    }

    #[test]
    fn paging_information_is_read_when_present() {
        let page = decode_page(&json!({
            "data": [],
            "links": {"next": " https://api.example/users/search?cursor=abc "},
            "meta": {"current_page": "2", "last_page": 7, "total": 160}
        }))
        .unwrap();
        assert!(page.has_links);
        assert_eq!(
            page.next_link.as_deref(),
            Some("https://api.example/users/search?cursor=abc")
        );
        assert_eq!(
            (page.current_page, page.last_page, page.total),
            (Some(2), Some(7), Some(160))
        );
        let end = decode_page(&json!({"data": [], "links": {"next": null}})).unwrap();
        assert!(end.has_links && end.next_link.is_none());
    }

    #[test]
    fn a_user_answer_may_come_with_or_without_its_envelope() {
        let wrapped = json!({"data": {"id": 3}});
        let bare = json!({"id": 3});
        assert_eq!(decode_user(envelope(&wrapped)).unwrap().id, 3);
        assert_eq!(decode_user(envelope(&bare)).unwrap().id, 3);
    }

    #[test]
    fn error_fields_come_from_an_object_or_a_list() {
        assert_eq!(
            error_fields(br#"{"errors": {"email": [{"field": "email"}]}}"#),
            ["email"]
        );
        assert_eq!(
            error_fields(br#"{"errors": [{"field": "email", "message": "taken"}]}"#),
            ["email"]
        );
        assert!(error_fields(b"not json").is_empty());
    }
}
