//! Texts and number/date formatting.
//!
//! Every UI text has a message id ([`Msg::id`]); the host overrides any of them through the
//! element's `strings` property. Numbers and dates go through the browser's `Intl`, so the
//! widget carries no locale data of its own beyond its message catalogues.

use js_sys::{Array, Intl, Object, Reflect};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};

/// Every UI text, by purpose.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Msg {
    /// Accessible name of the card region.
    Title,
    /// Label of the link field.
    LinkLabel,
    /// Copy button.
    Copy,
    /// Copy button after copying, also announced.
    Copied,
    /// Shown when the clipboard is unavailable and the link text was selected instead.
    CopyFallback,
    /// Reach stat label.
    Reach,
    /// Referrals stat label.
    Referrals,
    /// Qualified Referrals stat label.
    Qualified,
    /// Heading of the referrals list.
    ReferralsHeading,
    /// Status text of a qualified referral.
    StatusQualified,
    /// Status text of a pending referral.
    StatusPending,
    /// "Show more" button.
    ShowMore,
    /// Empty state.
    Empty,
    /// Error state title.
    ErrorTitle,
    /// Retry button.
    Retry,
    /// Notice when a refresh failed and older data is shown.
    Stale,
    /// Accessible text of the loading skeleton.
    Loading,
    /// Accessible name of the share actions group.
    ShareGroup,
    /// The native share button.
    ShareNative,
    /// The email share link.
    ShareEmail,
    /// The SMS share link.
    ShareSms,
    /// Default share message when the session has none.
    ShareMessage,
    /// Default email subject when the session has none.
    ShareSubject,
}

impl Msg {
    /// Every message, in catalogue order.
    pub const ALL: [Msg; COUNT] = [
        Msg::Title,
        Msg::LinkLabel,
        Msg::Copy,
        Msg::Copied,
        Msg::CopyFallback,
        Msg::Reach,
        Msg::Referrals,
        Msg::Qualified,
        Msg::ReferralsHeading,
        Msg::StatusQualified,
        Msg::StatusPending,
        Msg::ShowMore,
        Msg::Empty,
        Msg::ErrorTitle,
        Msg::Retry,
        Msg::Stale,
        Msg::Loading,
        Msg::ShareGroup,
        Msg::ShareNative,
        Msg::ShareEmail,
        Msg::ShareSms,
        Msg::ShareMessage,
        Msg::ShareSubject,
    ];

    /// The public message id, used as the key of the `strings` property.
    pub fn id(self) -> &'static str {
        match self {
            Msg::Title => "title",
            Msg::LinkLabel => "link-label",
            Msg::Copy => "copy",
            Msg::Copied => "copied",
            Msg::CopyFallback => "copy-fallback",
            Msg::Reach => "stat-reach",
            Msg::Referrals => "stat-referrals",
            Msg::Qualified => "stat-qualified",
            Msg::ReferralsHeading => "referrals-heading",
            Msg::StatusQualified => "status-qualified",
            Msg::StatusPending => "status-pending",
            Msg::ShowMore => "show-more",
            Msg::Empty => "empty",
            Msg::ErrorTitle => "error-title",
            Msg::Retry => "retry",
            Msg::Stale => "stale",
            Msg::Loading => "loading",
            Msg::ShareGroup => "share-group",
            Msg::ShareNative => "share-native",
            Msg::ShareEmail => "share-email",
            Msg::ShareSms => "share-sms",
            Msg::ShareMessage => "share-message",
            Msg::ShareSubject => "share-subject",
        }
    }
}

/// Number of messages.
pub const COUNT: usize = 23;

/// English, the fallback of every chain.
const EN: [&str; COUNT] = [
    "Your referral dashboard",
    "Your referral link",
    "Copy",
    "Copied",
    "Press Ctrl+C (⌘C on a Mac) to copy the selected link",
    "Reach",
    "Referrals",
    "Qualified",
    "Your referrals",
    "Qualified",
    "Pending",
    "Show more",
    "No referrals yet. Share your link to get started!",
    "We couldn't load your referral dashboard.",
    "Try again",
    "Couldn't refresh; showing earlier data.",
    "Loading your referral dashboard",
    "Share your link",
    "Share…",
    "Email",
    "Text message",
    "Join me with my referral link:",
    "An invitation for you",
];

/// The texts and formatters for one locale, plus the host's overrides.
pub struct Texts {
    locale: String,
    table: &'static [&'static str; COUNT],
    overrides: Vec<(String, String)>,
    numbers: Option<Intl::NumberFormat>,
    dates: Option<Intl::DateTimeFormat>,
}

impl PartialEq for Texts {
    /// Formatters follow from the locale, so locale and overrides decide equality.
    fn eq(&self, other: &Self) -> bool {
        self.locale == other.locale && self.overrides == other.overrides
    }
}

impl Texts {
    /// Texts for `locale` (a BCP 47 tag) with the host's `overrides` (message id → text).
    pub fn new(locale: &str, overrides: Vec<(String, String)>) -> Self {
        Self {
            locale: locale.to_owned(),
            table: &EN,
            overrides,
            numbers: None,
            dates: None,
        }
    }

    /// The locale these texts are for.
    pub fn locale(&self) -> &str {
        &self.locale
    }

    /// The text of `msg`: the host's override, else the catalogue's.
    pub fn get(&self, msg: Msg) -> &str {
        let id = msg.id();
        self.overrides
            .iter()
            .find(|(key, _)| key == id)
            .map(|(_, text)| text.as_str())
            .unwrap_or_else(|| self.table[msg as usize])
    }

    /// Prepares the `Intl` formatters (browser only; host tests never format). A locale
    /// the browser does not accept as a BCP 47 tag falls back to English.
    pub fn with_formatters(mut self) -> Self {
        let canonical = canonical_locales(&JsValue::from_str(&self.locale))
            .ok()
            .and_then(|list| list.get(0).as_string());
        self.locale = canonical.unwrap_or_else(|| "en".to_owned());
        let locales = Array::of1(&JsValue::from_str(&self.locale));
        self.numbers = Some(Intl::NumberFormat::new(&locales, &Object::new()));
        let options = Object::new();
        let _ = Reflect::set(&options, &"dateStyle".into(), &"medium".into());
        self.dates = Some(Intl::DateTimeFormat::new(&locales, &options));
        self
    }

    /// A count in the locale's digits and grouping.
    pub fn number(&self, n: f64) -> String {
        match &self.numbers {
            Some(format) => format
                .format()
                .call1(&JsValue::NULL, &JsValue::from_f64(n))
                .ok()
                .and_then(|s| s.as_string())
                .unwrap_or_default(),
            None => String::new(),
        }
    }

    /// A date (ms since the epoch) in the locale's medium style.
    pub fn date(&self, ms: f64) -> String {
        match &self.dates {
            Some(format) => format
                .format()
                .call1(&JsValue::NULL, &js_sys::Date::new(&JsValue::from_f64(ms)))
                .ok()
                .and_then(|s| s.as_string())
                .unwrap_or_default(),
            None => String::new(),
        }
    }
}

#[wasm_bindgen]
extern "C" {
    /// `Intl.getCanonicalLocales`, which throws a `RangeError` on a malformed tag; js-sys's
    /// binding would turn that into a panic, this one into an `Err`.
    #[wasm_bindgen(catch, js_namespace = Intl, js_name = getCanonicalLocales)]
    fn canonical_locales(locales: &JsValue) -> Result<Array, JsValue>;
}

/// Reads the `strings` property value (a plain object of id → text) into override pairs.
/// Non-string values are ignored.
pub fn read_overrides(value: &JsValue) -> Vec<(String, String)> {
    if !value.is_object() {
        return Vec::new();
    }
    Object::entries(value.unchecked_ref())
        .iter()
        .filter_map(|entry| {
            let pair: Array = entry.into();
            Some((pair.get(0).as_string()?, pair.get(1).as_string()?))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_ids_are_unique_and_kebab_case() {
        for (i, a) in Msg::ALL.iter().enumerate() {
            assert_eq!(*a as usize, i, "ALL is in declaration order");
            assert!(a.id().bytes().all(|b| b.is_ascii_lowercase() || b == b'-'));
            for b in &Msg::ALL[i + 1..] {
                assert_ne!(a.id(), b.id());
            }
        }
    }

    #[test]
    fn overrides_win_over_the_catalogue() {
        let texts = Texts::new("en", vec![("copy".into(), "Copy link".into())]);
        assert_eq!(texts.get(Msg::Copy), "Copy link");
        assert_eq!(texts.get(Msg::Retry), "Try again");
    }
}
