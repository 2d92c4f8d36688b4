//! The dashboard session of SPEC §5: what the host's endpoint returns, and its validation.
//!
//! The browser's `JSON.parse` (through `Response.json()`) does the parsing; [`validate_session`]
//! and [`validate_page_answer`] read the parsed value through the small [`Json`] trait, check
//! the contract (version, dates, integers, link scheme, status; unknown fields ignored) and
//! build the typed [`Session`], naming the field whenever something is wrong. The trait is
//! implemented for `JsValue` in the browser and for `serde_json::Value` in host tests, so the
//! validation is pure and tested on the host.
//!
//! No serde on this side: deserializing through serde-wasm-bindgen cost the widget 64 KB raw
//! (27 KB gzip) in generic code and error formatting, measured; reading the JS object directly
//! costs a few hundred bytes.

use js_sys::{Array, Reflect};
use wasm_bindgen::JsValue;

/// The only session format version this widget understands.
pub const VERSION: f64 = 1.0;

/// The largest integer a JSON number carries exactly (2^53 - 1); larger counts are refused
/// rather than shown rounded.
const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

/// A validated dashboard session.
#[derive(Clone, Debug, PartialEq)]
pub struct Session {
    /// When the session stops being valid, in milliseconds since the Unix epoch.
    pub expires_at: f64,
    /// The person whose dashboard this is.
    pub referrer: Referrer,
    /// Reach, Referrals and Qualified Referrals.
    pub stats: Stats,
    /// The first page of referrals, newest first.
    pub referrals: Page,
    /// Texts the host suggests for sharing.
    pub share: Share,
}

/// The referrer: their link and code.
#[derive(Clone, Debug, PartialEq)]
pub struct Referrer {
    /// Display name, if the host sent one.
    pub name: Option<String>,
    /// The referral link; always `http:` or `https:`.
    pub link: String,
    /// The referral code, if the host sent one.
    pub code: Option<String>,
}

/// The three counters.
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub struct Stats {
    /// Views of the referral link.
    pub reach: f64,
    /// People who signed up through the link.
    pub referrals: f64,
    /// Referrals the business approved.
    pub qualified: f64,
}

/// One page of referrals and the cursor of the next.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Page {
    /// The referrals of this page, newest first.
    pub items: Vec<Referral>,
    /// Opaque cursor of the next page; `None` at the end.
    pub next: Option<String>,
}

/// One referred person.
#[derive(Clone, Debug, PartialEq)]
pub struct Referral {
    /// Stable identifier (used as the list key).
    pub id: String,
    /// Shortened display name ("Jo D."); may be empty.
    pub name: String,
    /// Qualification status.
    pub status: Status,
    /// When they signed up, in ms since the epoch.
    pub joined_at: Option<f64>,
    /// When they were qualified, in ms since the epoch.
    pub qualified_at: Option<f64>,
}

/// Whether a referral has been approved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// Approved by the business.
    Qualified,
    /// Not (yet) approved.
    Pending,
}

/// Optional share texts.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Share {
    /// Message body for share actions.
    pub message: Option<String>,
    /// Subject line for email.
    pub subject: Option<String>,
}

/// A parsed JSON value, as validation reads it.
pub trait Json: Sized {
    /// Whether this is an object (not an array, not `null`).
    fn is_object(&self) -> bool;
    /// Member `key` of an object; `None` when absent or `null`, or when this is not an object.
    fn member(&self, key: &str) -> Option<Self>;
    /// The number, if this is one.
    fn number(&self) -> Option<f64>;
    /// The string, if this is one.
    fn text(&self) -> Option<String>;
    /// The elements, if this is an array.
    fn elements(&self) -> Option<Vec<Self>>;
}

impl Json for JsValue {
    fn is_object(&self) -> bool {
        JsValue::is_object(self) && !Array::is_array(self)
    }

    fn member(&self, key: &str) -> Option<Self> {
        if !Json::is_object(self) {
            return None;
        }
        // A throwing getter reads as absent.
        let value = Reflect::get(self, &JsValue::from_str(key)).ok()?;
        (!value.is_undefined() && !value.is_null()).then_some(value)
    }

    fn number(&self) -> Option<f64> {
        self.as_f64()
    }

    fn text(&self) -> Option<String> {
        self.as_string()
    }

    fn elements(&self) -> Option<Vec<Self>> {
        Array::is_array(self).then(|| Array::from(self).iter().collect())
    }
}

/// Why a session was refused: the field and what was wrong with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invalid {
    /// Dotted path of the offending field, e.g. `referrals.items.2.status`.
    pub field: String,
    /// What was wrong, e.g. `must be "qualified" or "pending"`.
    pub problem: String,
}

impl Invalid {
    fn new(field: &str, problem: &str) -> Self {
        Self {
            field: field.to_owned(),
            problem: problem.to_owned(),
        }
    }

    /// A sentence for the `rd-error` message.
    pub fn message(&self) -> String {
        let mut out = String::from("invalid session: ");
        out.push_str(&self.field);
        out.push(' ');
        out.push_str(&self.problem);
        out
    }
}

/// `parent.key` as a path.
fn path(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        return key.to_owned();
    }
    let mut out = String::from(parent);
    out.push('.');
    out.push_str(key);
    out
}

/// An optional string member.
fn text_at<J: Json>(value: &J, key: &str, at: &str) -> Result<Option<String>, Invalid> {
    match value.member(key) {
        None => Ok(None),
        Some(member) => member
            .text()
            .map(Some)
            .ok_or_else(|| Invalid::new(&path(at, key), "must be a string")),
    }
}

/// An optional object member.
fn object_at<J: Json>(value: &J, key: &str, at: &str) -> Result<Option<J>, Invalid> {
    match value.member(key) {
        None => Ok(None),
        Some(member) if member.is_object() => Ok(Some(member)),
        Some(_) => Err(Invalid::new(&path(at, key), "must be an object")),
    }
}

/// A required count member.
fn count_at<J: Json>(value: &J, key: &str, at: &str) -> Result<f64, Invalid> {
    let field = path(at, key);
    match value.member(key) {
        None => Err(Invalid::new(&field, "is missing")),
        Some(member) => match member.number() {
            Some(n) => count(Some(n), &field),
            None => Err(Invalid::new(&field, "must be a non-negative integer")),
        },
    }
}

/// Checks a whole session against SPEC §5.
///
/// # Errors
/// The first field that breaks the contract.
pub fn validate_session<J: Json>(raw: &J) -> Result<Session, Invalid> {
    if !raw.is_object() {
        return Err(Invalid::new("body", "must be a JSON object"));
    }
    match raw.member("version").map(|v| v.number()) {
        Some(Some(v)) if v == VERSION => {}
        Some(_) => return Err(Invalid::new("version", "is not supported (expected 1)")),
        None => return Err(Invalid::new("version", "is missing")),
    }
    let expires_at = required_date(text_at(raw, "expires_at", "")?.as_deref(), "expires_at")?;
    let referrer =
        object_at(raw, "referrer", "")?.ok_or_else(|| Invalid::new("referrer", "is missing"))?;
    let link = text_at(&referrer, "link", "referrer")?
        .ok_or_else(|| Invalid::new("referrer.link", "is missing"))?;
    if !is_web_link(&link) {
        return Err(Invalid::new(
            "referrer.link",
            "must be an http: or https: URL",
        ));
    }
    let stats = object_at(raw, "stats", "")?.ok_or_else(|| Invalid::new("stats", "is missing"))?;
    let stats = Stats {
        reach: count_at(&stats, "reach", "stats")?,
        referrals: count_at(&stats, "referrals", "stats")?,
        qualified: count_at(&stats, "qualified", "stats")?,
    };
    let referrals = validate_page(object_at(raw, "referrals", "")?, "referrals")?;
    let share = match object_at(raw, "share", "")? {
        Some(share) => Share {
            message: text_at(&share, "message", "share")?,
            subject: text_at(&share, "subject", "share")?,
        },
        None => Share::default(),
    };
    Ok(Session {
        expires_at,
        referrer: Referrer {
            name: text_at(&referrer, "name", "referrer")?.filter(|n| !n.trim().is_empty()),
            link,
            code: text_at(&referrer, "code", "referrer")?,
        },
        stats,
        referrals,
        share,
    })
}

/// Checks the `referrals` of a `?cursor=` answer.
///
/// # Errors
/// The first field that breaks the contract.
pub fn validate_page_answer<J: Json>(raw: &J) -> Result<Page, Invalid> {
    if !raw.is_object() {
        return Err(Invalid::new("body", "must be a JSON object"));
    }
    validate_page(object_at(raw, "referrals", "")?, "referrals")
}

fn validate_page<J: Json>(raw: Option<J>, at: &str) -> Result<Page, Invalid> {
    let raw = raw.ok_or_else(|| Invalid::new(at, "is missing"))?;
    let items_path = path(at, "items");
    let items = raw
        .member("items")
        .ok_or_else(|| Invalid::new(&items_path, "is missing"))?
        .elements()
        .ok_or_else(|| Invalid::new(&items_path, "must be an array"))?;
    let mut out = Vec::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        out.push(validate_referral(item, &items_path, index)?);
    }
    Ok(Page {
        items: out,
        next: text_at(&raw, "next", at)?.filter(|n| !n.is_empty()),
    })
}

fn validate_referral<J: Json>(raw: &J, at: &str, index: usize) -> Result<Referral, Invalid> {
    let mut here = String::from(at);
    here.push('.');
    push_usize(&mut here, index);
    if !raw.is_object() {
        return Err(Invalid::new(&here, "must be an object"));
    }
    let status = match text_at(raw, "status", &here)?.as_deref() {
        Some("qualified") => Status::Qualified,
        Some("pending") => Status::Pending,
        Some(_) => {
            return Err(Invalid::new(
                &path(&here, "status"),
                "must be \"qualified\" or \"pending\"",
            ));
        }
        None => return Err(Invalid::new(&path(&here, "status"), "is missing")),
    };
    let date = |key: &str| -> Result<Option<f64>, Invalid> {
        match text_at(raw, key, &here)? {
            None => Ok(None),
            Some(text) => parse_rfc3339(&text)
                .map(Some)
                .ok_or_else(|| Invalid::new(&path(&here, key), "must be an RFC 3339 date")),
        }
    };
    let joined_at = date("joined_at")?;
    let qualified_at = date("qualified_at")?;
    let id = match text_at(raw, "id", &here)? {
        Some(text) => text,
        None => {
            // The list key only; an index keeps keys unique within one page.
            let mut text = String::from("#");
            push_usize(&mut text, index);
            text
        }
    };
    Ok(Referral {
        id,
        name: text_at(raw, "name", &here)?.unwrap_or_default(),
        status,
        joined_at,
        qualified_at,
    })
}

fn required_date(value: Option<&str>, field: &str) -> Result<f64, Invalid> {
    let text = value.ok_or_else(|| Invalid::new(field, "is missing"))?;
    parse_rfc3339(text).ok_or_else(|| Invalid::new(field, "must be an RFC 3339 date"))
}

fn count(value: Option<f64>, field: &str) -> Result<f64, Invalid> {
    match value {
        None => Err(Invalid::new(field, "is missing")),
        Some(n) if n.is_finite() && n >= 0.0 && n.fract() == 0.0 && n <= MAX_SAFE_INTEGER => Ok(n),
        Some(_) => Err(Invalid::new(field, "must be a non-negative integer")),
    }
}

/// True for absolute `http:` and `https:` URLs (case-insensitive scheme, non-empty host).
///
/// Anything else (`javascript:`, `data:`, relative paths) is refused: the link is both rendered
/// as a share target and copied to users' clipboards.
pub fn is_web_link(link: &str) -> bool {
    // Compared as bytes: slicing the `str` could split a multi-byte character and panic.
    let bytes = link.as_bytes();
    let has_prefix = |prefix: &[u8]| {
        bytes.len() > prefix.len() && bytes[..prefix.len()].eq_ignore_ascii_case(prefix)
    };
    let rest = if has_prefix(b"https://") {
        &bytes[8..]
    } else if has_prefix(b"http://") {
        &bytes[7..]
    } else {
        return false;
    };
    let host_end = rest
        .iter()
        .position(|b| matches!(b, b'/' | b'?' | b'#'))
        .unwrap_or(rest.len());
    host_end > 0 && !link.chars().any(|c| c.is_control() || c == ' ')
}

/// Parses an RFC 3339 timestamp (`2026-11-23T18:40:00Z`, `...T18:40:00.123+01:00`) into
/// milliseconds since the Unix epoch. Returns `None` for anything else.
///
/// Hand-written because a date crate would cost the widget more bytes than this function; the
/// browser's `Date.parse` is too lenient (it accepts non-RFC 3339 forms) to validate with.
pub fn parse_rfc3339(text: &str) -> Option<f64> {
    let b = text.as_bytes();
    if b.len() < 20 {
        return None;
    }
    let num = |range: std::ops::Range<usize>| -> Option<i64> {
        let mut n = 0i64;
        for &c in b.get(range)? {
            if !c.is_ascii_digit() {
                return None;
            }
            n = n * 10 + i64::from(c - b'0');
        }
        Some(n)
    };
    let sep = |i: usize, allowed: &[u8]| b.get(i).is_some_and(|c| allowed.contains(c));
    if !(sep(4, b"-") && sep(7, b"-") && sep(10, b"Tt ") && sep(13, b":") && sep(16, b":")) {
        return None;
    }
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&month)
        || day < 1
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let mut i = 19;
    let mut millis = 0.0;
    if b[i] == b'.' {
        let start = i + 1;
        i = start;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return None;
        }
        // Only the first three digits matter at millisecond precision.
        let digits = &b[start..i.min(start + 3)];
        let mut scale = 100.0;
        for &d in digits {
            millis += f64::from(d - b'0') * scale;
            scale /= 10.0;
        }
    }
    let offset_minutes = match b.get(i) {
        Some(b'Z' | b'z') if i + 1 == b.len() => 0,
        Some(&sign @ (b'+' | b'-')) if i + 6 == b.len() && b[i + 3] == b':' => {
            let (h, m) = (num(i + 1..i + 3)?, num(i + 4..i + 6)?);
            if h > 23 || m > 59 {
                return None;
            }
            let total = h * 60 + m;
            if sign == b'+' { total } else { -total }
        }
        _ => return None,
    };
    let days = days_from_civil(year, month, day);
    let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset_minutes * 60;
    Some(seconds as f64 * 1000.0 + millis)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Appends the decimal digits of `n` (no `format!` machinery on the wasm side).
pub fn push_usize(out: &mut String, mut n: usize) {
    let mut digits = [0u8; 20];
    let mut len = 0;
    loop {
        digits[len] = b'0' + (n % 10) as u8;
        len += 1;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for &d in digits[..len].iter().rev() {
        out.push(char::from(d));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    impl Json for serde_json::Value {
        fn is_object(&self) -> bool {
            self.is_object()
        }
        fn member(&self, key: &str) -> Option<Self> {
            self.get(key).filter(|v| !v.is_null()).cloned()
        }
        fn number(&self) -> Option<f64> {
            self.as_f64()
        }
        fn text(&self) -> Option<String> {
            self.as_str().map(str::to_owned)
        }
        fn elements(&self) -> Option<Vec<Self>> {
            self.as_array().cloned()
        }
    }

    fn session(json: &str) -> Result<Session, Invalid> {
        let value: serde_json::Value = serde_json::from_str(json).unwrap();
        validate_session(&value)
    }

    const GOOD: &str = r#"{
      "version": 1, "expires_at": "2026-11-23T18:40:00Z",
      "referrer": {"name": "Ada", "link": "https://example.com/r/ADA123", "code": "ADA123"},
      "stats": {"reach": 1204, "referrals": 37, "qualified": 12},
      "referrals": {"items": [{"id": "r_91", "name": "Jo D.", "status": "qualified",
        "joined_at": "2026-11-20T10:00:00Z", "qualified_at": "2026-11-21T09:00:00Z"}],
        "next": "abc"},
      "share": {"message": "Join me", "subject": "Hi"},
      "something_new": {"ignored": true}
    }"#;

    fn with(field: &str, replacement: &str) -> String {
        GOOD.replacen(field, replacement, 1)
    }

    #[test]
    fn spec_example_session_is_accepted() {
        let s = session(GOOD).unwrap();
        assert_eq!(s.referrer.link, "https://example.com/r/ADA123");
        assert_eq!(s.stats.reach, 1204.0);
        assert_eq!(s.referrals.items[0].status, Status::Qualified);
        assert_eq!(s.referrals.next.as_deref(), Some("abc"));
        assert_eq!(s.expires_at, 1_795_459_200_000.0);
    }

    #[test]
    fn wrong_version_is_refused() {
        let err = session(&with(r#""version": 1"#, r#""version": 2"#)).unwrap_err();
        assert_eq!(err.field, "version");
    }

    #[test]
    fn javascript_link_is_refused() {
        let err =
            session(&with("https://example.com/r/ADA123", "javascript:alert(1)")).unwrap_err();
        assert_eq!(err.field, "referrer.link");
    }

    #[test]
    fn negative_and_fractional_counts_are_refused() {
        for bad in ["-1", "1.5", "1e300"] {
            let mut replacement = String::from(r#""reach": "#);
            replacement.push_str(bad);
            let err = session(&with(r#""reach": 1204"#, &replacement)).unwrap_err();
            assert_eq!(err.field, "stats.reach", "{bad}");
        }
    }

    #[test]
    fn type_mismatch_names_the_path() {
        let err = session(&with(r#""reach": 1204"#, r#""reach": "1204""#)).unwrap_err();
        assert_eq!(err.field, "stats.reach");
    }

    #[test]
    fn unknown_status_names_the_item() {
        let err = session(&with(r#""status": "qualified""#, r#""status": "maybe""#)).unwrap_err();
        assert_eq!(err.field, "referrals.items.0.status");
    }

    #[test]
    fn bad_date_is_refused() {
        let err = session(&with("2026-11-23T18:40:00Z", "tomorrow")).unwrap_err();
        assert_eq!(err.field, "expires_at");
        let err = session(&with("2026-11-20T10:00:00Z", "2026-02-30T10:00:00Z")).unwrap_err();
        assert_eq!(err.field, "referrals.items.0.joined_at");
    }

    #[test]
    fn missing_required_fields_are_named() {
        assert_eq!(session("{}").unwrap_err().field, "version");
        assert_eq!(session("[]").unwrap_err().field, "body");
        assert_eq!(session(r#""a string""#).unwrap_err().field, "body");
        let items_not_a_list = with(r#""items": ["#, r#""items": 3, "x": ["#);
        assert_eq!(
            session(&items_not_a_list).unwrap_err().field,
            "referrals.items"
        );
        let no_items = with(r#""items": ["#, r#""other": ["#);
        assert_eq!(session(&no_items).unwrap_err().field, "referrals.items");
    }

    #[test]
    fn rfc3339_forms() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(0.0));
        assert_eq!(parse_rfc3339("1970-01-01T01:00:00+01:00"), Some(0.0));
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00.25Z"), Some(250.0));
        assert_eq!(
            parse_rfc3339("2000-02-29T00:00:00Z"),
            Some(951_782_400_000.0)
        );
        assert_eq!(parse_rfc3339("1900-02-29T00:00:00Z"), None);
        assert_eq!(parse_rfc3339("2026-11-23T18:40:00"), None);
        assert_eq!(parse_rfc3339("2026-11-23"), None);
        assert_eq!(parse_rfc3339("2026-13-01T00:00:00Z"), None);
        assert_eq!(parse_rfc3339("2026-11-23T18:40:00.Z"), None);
    }

    #[test]
    fn web_links() {
        assert!(is_web_link("https://a.example/x"));
        assert!(is_web_link("HTTP://a.example"));
        assert!(!is_web_link("https://"));
        assert!(!is_web_link("//a.example"));
        assert!(!is_web_link("data:text/html,hi"));
        assert!(!is_web_link("https://a.example/\nx"));
        // A multi-byte character where the scheme would end must not panic.
        assert!(!is_web_link("https:/éxample"));
        assert!(!is_web_link("http:/é"));
        assert!(is_web_link("https://é.example"));
    }

    #[test]
    fn push_usize_writes_digits() {
        let mut s = String::new();
        push_usize(&mut s, 0);
        s.push(' ');
        push_usize(&mut s, 987_654_321);
        assert_eq!(s, "0 987654321");
    }
}
