//! The dashboard session of SPEC §5: what the host's endpoint returns, and its validation.
//!
//! Decoding is serde's: the structs of [`wire`] are read with serde-wasm-bindgen straight from
//! the object the browser's `JSON.parse` made (`Response.json()`), and from `serde_json::Value`
//! in host tests. Validation is plain Rust over those typed structs: what serde cannot say
//! (version, dates, non-negative integer counts, the link's scheme, status values, and the path
//! of the offending field in the message, like `referrals.items.2.status`) builds the
//! [`Session`] the widget renders, or the first [`Invalid`] field. Unknown members are ignored.
//!
//! # Layout
//! - [`wire`]: the serde structs, one per JSON object, every member a [`wire::Member`].
//! - [`time`]: RFC 3339 timestamps.
//! - [`rewards`]: the optional `rewards` and `program` members.

pub mod rewards;
pub mod time;
pub mod wire;

use wasm_bindgen::JsValue;

pub use rewards::{Program, Rewards};
pub use time::parse_rfc3339;
use wire::{Member, PageWire, ReferralWire, SessionWire};

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
    /// What the referrer has earned, when the session says.
    pub rewards: Option<Box<Rewards>>,
    /// The program's state, when the session says.
    pub program: Option<Program>,
    /// Why a malformed `rewards` or `program` member was dropped (the rest of the session
    /// stands; the widget reports it as `invalid_response`).
    pub dropped: Option<Box<Invalid>>,
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

/// Why a session was refused: the field and what was wrong with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invalid {
    /// Dotted path of the offending field, e.g. `referrals.items.2.status`.
    pub field: String,
    /// What was wrong, e.g. `must be "qualified" or "pending"`.
    pub problem: &'static str,
}

impl Invalid {
    fn new(field: &str, problem: &'static str) -> Self {
        Self {
            field: field.to_owned(),
            problem,
        }
    }

    /// A body that is not a JSON object.
    pub fn body() -> Self {
        Self::new("body", "must be a JSON object")
    }

    /// A sentence for the `rd-error` message.
    pub fn message(&self) -> String {
        let mut out = String::from("invalid session: ");
        out.push_str(&self.field);
        out.push(' ');
        out.push_str(self.problem);
        out
    }
}

const MISSING: &str = "is missing";
const NOT_A_STRING: &str = "must be a string";
const NOT_AN_OBJECT: &str = "must be an object";
const NOT_A_COUNT: &str = "must be a non-negative integer";
const NOT_A_DATE: &str = "must be an RFC 3339 date";

/// Decodes and checks a whole session as the browser parsed it.
///
/// # Errors
/// The first field that breaks the contract (`body` when it is not a JSON object).
pub fn decode_session(raw: &JsValue) -> Result<Session, Invalid> {
    validate_session(decode(raw)?)
}

/// Decodes and checks the `referrals` of a `?cursor=` answer as the browser parsed it.
///
/// # Errors
/// As [`decode_session`].
pub fn decode_page(raw: &JsValue) -> Result<Page, Invalid> {
    validate_page_answer(decode(raw)?)
}

/// serde-wasm-bindgen over the parsed body. An array is a JS object too, so it is refused
/// here, where JS types are known.
fn decode(raw: &JsValue) -> Result<SessionWire, Invalid> {
    if !raw.is_object() || js_sys::Array::is_array(raw) {
        return Err(Invalid::body());
    }
    serde_wasm_bindgen::from_value(raw.clone()).map_err(|_| Invalid::body())
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

/// A member that must be there: its value, else why not.
fn required<T>(
    member: Member<T>,
    parent: &str,
    key: &str,
    wrong: &'static str,
) -> Result<T, Invalid> {
    match member {
        Member::Valid(value) => Ok(value),
        Member::Absent => Err(Invalid::new(&path(parent, key), MISSING)),
        Member::Wrong => Err(Invalid::new(&path(parent, key), wrong)),
    }
}

/// A member that may be absent.
fn optional<T>(
    member: Member<T>,
    parent: &str,
    key: &str,
    wrong: &'static str,
) -> Result<Option<T>, Invalid> {
    match member {
        Member::Valid(value) => Ok(Some(value)),
        Member::Absent => Ok(None),
        Member::Wrong => Err(Invalid::new(&path(parent, key), wrong)),
    }
}

/// A required count: a non-negative integer a JSON number carries exactly.
fn count(member: Member<f64>, parent: &str, key: &str) -> Result<f64, Invalid> {
    let n = required(member, parent, key, NOT_A_COUNT)?;
    if n.is_finite() && n >= 0.0 && n.fract() == 0.0 && n <= MAX_SAFE_INTEGER {
        Ok(n)
    } else {
        Err(Invalid::new(&path(parent, key), NOT_A_COUNT))
    }
}

/// An optional RFC 3339 date, in ms since the epoch.
fn date(member: Member<String>, parent: &str, key: &str) -> Result<Option<f64>, Invalid> {
    match optional(member, parent, key, NOT_A_STRING)? {
        None => Ok(None),
        Some(text) => parse_rfc3339(&text)
            .map(Some)
            .ok_or_else(|| Invalid::new(&path(parent, key), NOT_A_DATE)),
    }
}

/// Checks a whole session against SPEC §5.
///
/// # Errors
/// The first field that breaks the contract.
pub fn validate_session(wire: SessionWire) -> Result<Session, Invalid> {
    match wire.version {
        Member::Valid(v) if v == VERSION => {}
        Member::Absent => return Err(Invalid::new("version", MISSING)),
        _ => return Err(Invalid::new("version", "is not supported (expected 1)")),
    }
    let expires_at = date(wire.expires_at, "", "expires_at")?
        .ok_or_else(|| Invalid::new("expires_at", MISSING))?;
    let referrer = required(wire.referrer, "", "referrer", NOT_AN_OBJECT)?;
    let link = required(referrer.link, "referrer", "link", NOT_A_STRING)?;
    if !is_web_link(&link) {
        return Err(Invalid::new(
            "referrer.link",
            "must be an http: or https: URL",
        ));
    }
    let stats = required(wire.stats, "", "stats", NOT_AN_OBJECT)?;
    let stats = Stats {
        reach: count(stats.reach, "stats", "reach")?,
        referrals: count(stats.referrals, "stats", "referrals")?,
        qualified: count(stats.qualified, "stats", "qualified")?,
    };
    let referrals = validate_page(wire.referrals)?;
    let share = match optional(wire.share, "", "share", NOT_AN_OBJECT)? {
        Some(share) => Share {
            message: optional(share.message, "share", "message", NOT_A_STRING)?,
            subject: optional(share.subject, "share", "subject", NOT_A_STRING)?,
        },
        None => Share::default(),
    };
    // Optional parts never cost the rest of the card: dropped, and named for `rd-error`.
    let mut dropped = None;
    let rewards = rewards::validate_rewards(wire.rewards).unwrap_or_else(|e| {
        dropped = Some(Box::new(e));
        None
    });
    let program = rewards::validate_program(wire.program).unwrap_or_else(|e| {
        dropped.get_or_insert(Box::new(e));
        None
    });
    Ok(Session {
        expires_at,
        referrer: Referrer {
            name: optional(referrer.name, "referrer", "name", NOT_A_STRING)?
                .filter(|n| !n.trim().is_empty()),
            link,
            code: optional(referrer.code, "referrer", "code", NOT_A_STRING)?,
        },
        stats,
        referrals,
        share,
        rewards,
        program,
        dropped,
    })
}

/// Checks the `referrals` of a `?cursor=` answer (its other members may be absent).
///
/// # Errors
/// The first field that breaks the contract.
pub fn validate_page_answer(wire: SessionWire) -> Result<Page, Invalid> {
    validate_page(wire.referrals)
}

fn validate_page(page: Member<PageWire>) -> Result<Page, Invalid> {
    const AT: &str = "referrals";
    let page = required(page, "", AT, NOT_AN_OBJECT)?;
    let items = required(page.items, AT, "items", "must be an array")?;
    let mut out = Vec::with_capacity(items.len());
    for (index, item) in items.into_iter().enumerate() {
        out.push(validate_referral(item, index)?);
    }
    Ok(Page {
        items: out,
        next: optional(page.next, AT, "next", NOT_A_STRING)?.filter(|n| !n.is_empty()),
    })
}

fn validate_referral(item: Member<ReferralWire>, index: usize) -> Result<Referral, Invalid> {
    let mut here = String::from("referrals.items.");
    push_usize(&mut here, index);
    let item = match item {
        Member::Valid(item) => item,
        Member::Absent | Member::Wrong => return Err(Invalid::new(&here, NOT_AN_OBJECT)),
    };
    let status = match required(item.status, &here, "status", NOT_A_STRING)?.as_str() {
        "qualified" => Status::Qualified,
        "pending" => Status::Pending,
        _ => {
            return Err(Invalid::new(
                &path(&here, "status"),
                "must be \"qualified\" or \"pending\"",
            ));
        }
    };
    let joined_at = date(item.joined_at, &here, "joined_at")?;
    let qualified_at = date(item.qualified_at, &here, "qualified_at")?;
    let id = match optional(item.id, &here, "id", NOT_A_STRING)? {
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
        name: optional(item.name, &here, "name", NOT_A_STRING)?.unwrap_or_default(),
        status,
        joined_at,
        qualified_at,
    })
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

    /// Decodes `json` the way the widget does, from serde_json's parsed value instead of the
    /// browser's: the same structs, the same validation.
    fn session(json: &str) -> Result<Session, Invalid> {
        let value: serde_json::Value = serde_json::from_str(json).unwrap();
        if !value.is_object() {
            return Err(Invalid::body());
        }
        validate_session(serde_json::from_value(value).unwrap())
    }

    fn page(json: &str) -> Result<Page, Invalid> {
        validate_page_answer(serde_json::from_str(json).unwrap())
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
        assert_eq!(s.referrer.name.as_deref(), Some("Ada"));
        assert_eq!(s.stats.reach, 1204.0);
        assert_eq!(s.referrals.items[0].status, Status::Qualified);
        assert_eq!(s.referrals.items[0].id, "r_91");
        assert_eq!(s.referrals.next.as_deref(), Some("abc"));
        assert_eq!(s.share.subject.as_deref(), Some("Hi"));
        assert_eq!(s.expires_at, 1_795_459_200_000.0);
    }

    #[test]
    fn wrong_version_is_refused() {
        let err = session(&with(r#""version": 1"#, r#""version": 2"#)).unwrap_err();
        assert_eq!(err.field, "version");
        let err = session(&with(r#""version": 1"#, r#""version": "1""#)).unwrap_err();
        assert_eq!(err.field, "version");
    }

    #[test]
    fn javascript_link_is_refused() {
        let err =
            session(&with("https://example.com/r/ADA123", "javascript:alert(1)")).unwrap_err();
        assert_eq!(err.field, "referrer.link");
        assert_eq!(
            err.message(),
            "invalid session: referrer.link must be an http: or https: URL"
        );
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
        assert_eq!(err.problem, "must be a non-negative integer");
        let err = session(&with(r#""name": "Ada""#, r#""name": 7"#)).unwrap_err();
        assert_eq!(
            (err.field.as_str(), err.problem),
            ("referrer.name", "must be a string")
        );
        let err = session(&with(r#""stats": {"#, r#""stats": 3, "x": {"#)).unwrap_err();
        assert_eq!(
            (err.field.as_str(), err.problem),
            ("stats", "must be an object")
        );
    }

    #[test]
    fn unknown_status_names_the_item() {
        let err = session(&with(r#""status": "qualified""#, r#""status": "maybe""#)).unwrap_err();
        assert_eq!(err.field, "referrals.items.0.status");
        assert_eq!(
            err.message(),
            r#"invalid session: referrals.items.0.status must be "qualified" or "pending""#
        );
    }

    #[test]
    fn an_item_that_is_not_an_object_is_named_by_its_index() {
        let err = session(&with(
            r#""items": ["#,
            r#""items": [{"status": "pending"}, 5, "#,
        ))
        .unwrap_err();
        assert_eq!(
            (err.field.as_str(), err.problem),
            ("referrals.items.1", "must be an object")
        );
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
        let no_link = with(r#""link": "#, r#""other": "#);
        assert_eq!(session(&no_link).unwrap_err().field, "referrer.link");
    }

    #[test]
    fn nulls_read_as_absent_and_unknown_members_are_ignored() {
        let s = session(&with(r#""next": "abc""#, r#""next": null, "later": [1]"#)).unwrap();
        assert_eq!(s.referrals.next, None);
        let s = session(&with(r#""share": {"#, r#""share": null, "x": {"#)).unwrap();
        assert_eq!(s.share, Share::default());
    }

    #[test]
    fn a_cursor_answer_needs_only_its_referrals() {
        let p =
            page(r#"{"version": 1, "referrals": {"items": [{"status": "pending"}], "next": ""}}"#)
                .unwrap();
        assert_eq!(p.items[0].id, "#0", "a missing id gets a key of its own");
        assert_eq!(p.next, None, "an empty cursor ends the list");
        let err = page(r#"{"version": 1}"#).unwrap_err();
        assert_eq!(err.field, "referrals");
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
