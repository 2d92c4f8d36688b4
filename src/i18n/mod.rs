//! Texts and number/date formatting.
//!
//! Every UI text has a message id ([`Msg::id`]); the host overrides any of them through the
//! element's `strings` property. The catalogue follows the locale (the `locale` attribute, else
//! the nearest `lang` ancestor, else the browser's), by primary language, falling back to
//! English. Numbers and dates go through the browser's `Intl`, so the widget carries no locale
//! data beyond its texts.
//!
//! Only English is in the wasm. The other catalogues ship as files beside it
//! (message id → text: `catalogue-<language>.js` modules in the npm package, JSON in the CDN
//! build, written by `cargo xtask dist` from
//! [`catalogues`]); the loader downloads the one an element needs and hands it over, and it
//! joins the host's overrides, below them ([`Texts::with_catalogue`]). An English reader
//! downloads none (5 KB gzip less wasm, BENCHMARKS.md).
//!
//! # Layout
//! - [`catalogues`]: the catalogues of the languages besides English, keyed by message id (the
//!   source of the files; in the wasm, only the host tests read them).
//! - [`messages`]: message ids to texts, with the fallback to English.

pub mod catalogues;
pub mod messages;

pub use crate::surface::Msg;
use js_sys::{Object, Reflect};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};

/// The primary language subtag, lowercase (`pt-BR` → `pt`).
pub fn primary_language(tag: &str) -> String {
    tag.split(['-', '_'])
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

/// Whether text in this language runs right to left.
pub fn is_rtl(tag: &str) -> bool {
    catalogues::RIGHT_TO_LEFT.contains(&primary_language(tag).as_str())
}

/// Reach at or above this is shown compact ("12K"), with the exact count in a tooltip: the
/// stat tiles are narrow on phones.
pub const COMPACT_FROM: f64 = 10_000.0;

/// The unit and value `Intl.RelativeTimeFormat` should say for a time `diff_ms` away from now
/// (negative: past): the largest unit that fits, so "3 days ago", "2 months ago".
pub fn relative_unit(diff_ms: f64) -> (f64, &'static str) {
    const UNITS: [(f64, &str); 6] = [
        (365.0 * 86_400_000.0, "year"),
        (30.0 * 86_400_000.0, "month"),
        (7.0 * 86_400_000.0, "week"),
        (86_400_000.0, "day"),
        (3_600_000.0, "hour"),
        (60_000.0, "minute"),
    ];
    for (size, unit) in UNITS {
        if diff_ms.abs() >= size {
            return ((diff_ms / size).trunc(), unit);
        }
    }
    (0.0, "minute")
}

#[wasm_bindgen]
extern "C" {
    /// `Intl.NumberFormat`.
    #[wasm_bindgen(js_namespace = Intl)]
    type NumberFormat;
    #[wasm_bindgen(constructor, js_namespace = Intl, catch)]
    fn new(locale: &str, options: &Object) -> Result<NumberFormat, JsValue>;
    #[wasm_bindgen(method)]
    fn format(this: &NumberFormat, value: f64) -> String;

    /// `Intl.DateTimeFormat`.
    #[wasm_bindgen(js_namespace = Intl)]
    type DateTimeFormat;
    #[wasm_bindgen(constructor, js_namespace = Intl, catch)]
    fn new(locale: &str, options: &Object) -> Result<DateTimeFormat, JsValue>;
    #[wasm_bindgen(method)]
    fn format(this: &DateTimeFormat, value: f64) -> String;

    /// `Intl.RelativeTimeFormat`.
    #[wasm_bindgen(js_namespace = Intl)]
    type RelativeTimeFormat;
    #[wasm_bindgen(constructor, js_namespace = Intl, catch)]
    fn new(locale: &str, options: &Object) -> Result<RelativeTimeFormat, JsValue>;
    #[wasm_bindgen(method)]
    fn format(this: &RelativeTimeFormat, value: f64, unit: &str) -> String;

    /// `Intl.getCanonicalLocales`, which throws a `RangeError` on a malformed tag.
    #[wasm_bindgen(catch, js_namespace = Intl, js_name = getCanonicalLocales)]
    fn canonical_locales(locales: &str) -> Result<js_sys::Array, JsValue>;
}

fn options(pairs: &[(&str, &str)]) -> Object {
    let object = Object::new();
    for (key, value) in pairs {
        let _ = Reflect::set(&object, &JsValue::from_str(key), &JsValue::from_str(value));
    }
    object
}

/// The browser's formatters for one locale. Constructing an `Intl` formatter is slow (the first
/// one loads the browser's locale data), so the ones not every dashboard needs are made on first
/// use: a Reach under 10,000 never needs the compact one.
struct Formatters {
    locale: String,
    number: NumberFormat,
    compact: std::cell::OnceCell<Option<NumberFormat>>,
    date: std::cell::OnceCell<Option<DateTimeFormat>>,
    relative: std::cell::OnceCell<Option<RelativeTimeFormat>>,
    /// Dates without a time, in the user's time zone and in UTC (for calendar dates).
    days: [std::cell::OnceCell<Option<DateTimeFormat>>; 2],
    /// Currency formatters, by ISO 4217 code, made as rewards need them.
    money: std::cell::RefCell<Vec<(String, Option<NumberFormat>)>>,
}

impl Formatters {
    fn new(locale: &str) -> Option<Self> {
        Some(Self {
            locale: locale.to_owned(),
            number: NumberFormat::new(locale, &options(&[])).ok()?,
            compact: std::cell::OnceCell::new(),
            date: std::cell::OnceCell::new(),
            relative: std::cell::OnceCell::new(),
            days: Default::default(),
            money: Default::default(),
        })
    }

    fn compact(&self) -> Option<&NumberFormat> {
        self.compact
            .get_or_init(|| {
                let o = options(&[("notation", "compact"), ("maximumFractionDigits", "1")]);
                NumberFormat::new(&self.locale, &o).ok()
            })
            .as_ref()
    }

    fn date(&self) -> Option<&DateTimeFormat> {
        self.date
            .get_or_init(|| {
                let o = options(&[("dateStyle", "medium"), ("timeStyle", "short")]);
                DateTimeFormat::new(&self.locale, &o).ok()
            })
            .as_ref()
    }

    fn relative(&self) -> Option<&RelativeTimeFormat> {
        self.relative
            .get_or_init(|| {
                RelativeTimeFormat::new(&self.locale, &options(&[("numeric", "auto")])).ok()
            })
            .as_ref()
    }
}

impl Formatters {
    fn day(&self, utc: bool) -> Option<&DateTimeFormat> {
        self.days[usize::from(utc)]
            .get_or_init(|| {
                let zone = if utc { "UTC" } else { "" };
                let o =
                    options(&[("dateStyle", "medium"), ("timeZone", zone)][..1 + usize::from(utc)]);
                DateTimeFormat::new(&self.locale, &o).ok()
            })
            .as_ref()
    }

    fn money(&self, amount: f64, currency: &str) -> Option<String> {
        let mut cache = self.money.borrow_mut();
        let at = match cache.iter().position(|(code, _)| code == currency) {
            Some(at) => at,
            None => {
                let o = options(&[("style", "currency"), ("currency", currency)]);
                cache.push((
                    currency.to_owned(),
                    NumberFormat::new(&self.locale, &o).ok(),
                ));
                cache.len() - 1
            }
        };
        cache[at].1.as_ref().map(|f| f.format(amount))
    }
}

/// The texts and formatters for one locale, plus the host's overrides.
pub struct Texts {
    locale: String,
    /// The host's overrides, then the locale's catalogue: the first text for an id wins.
    overrides: Vec<(String, String)>,
    formatters: Option<Formatters>,
}

impl PartialEq for Texts {
    /// Formatters follow from the locale, so locale and texts decide equality.
    fn eq(&self, other: &Self) -> bool {
        self.locale == other.locale && self.overrides == other.overrides
    }
}

impl Texts {
    /// English texts for `locale` (a BCP 47 tag) with the host's `overrides` (message id →
    /// text); [`Texts::with_catalogue`] adds the locale's own.
    pub fn new(locale: &str, overrides: Vec<(String, String)>) -> Self {
        Self {
            locale: locale.to_owned(),
            overrides,
            formatters: None,
        }
    }

    /// These texts with the locale's catalogue (message id → text) below the host's overrides
    /// and above English.
    pub fn with_catalogue(mut self, catalogue: Vec<(String, String)>) -> Self {
        self.overrides.extend(catalogue);
        self
    }

    /// The browser's canonical form of the locale and its formatters (browser only; host tests
    /// never format). A tag the browser rejects falls back to English.
    pub fn with_formatters(mut self) -> Self {
        let canonical = canonical_locales(&self.locale)
            .ok()
            .and_then(|list| list.get(0).as_string());
        self.locale = canonical.unwrap_or_else(|| "en".to_owned());
        self.formatters = Formatters::new(&self.locale);
        self
    }

    /// The locale these texts are for.
    pub fn locale(&self) -> &str {
        &self.locale
    }

    /// Whether the locale is written right to left.
    pub fn rtl(&self) -> bool {
        is_rtl(&self.locale)
    }

    /// The text of `msg`: the host's override, else the catalogue's, else English.
    pub fn get(&self, msg: Msg) -> &str {
        let id = msg.id();
        self.overrides
            .iter()
            .find(|(key, _)| key == id)
            .map(|(_, text)| text.as_str())
            .unwrap_or_else(|| messages::english(msg))
    }

    /// A count in the locale's digits and grouping.
    pub fn number(&self, n: f64) -> String {
        self.formatters
            .as_ref()
            .map(|f| f.number.format(n))
            .unwrap_or_default()
    }

    /// A count, compact when large ("12K", "1,2 Mio."); `None` when it is shown in full anyway.
    pub fn compact(&self, n: f64) -> Option<String> {
        (n >= COMPACT_FROM)
            .then(|| self.formatters.as_ref()?.compact().map(|f| f.format(n)))
            .flatten()
    }

    /// A moment (ms since the epoch) as date and time.
    pub fn date(&self, ms: f64) -> String {
        self.formatters
            .as_ref()
            .and_then(Formatters::date)
            .map(|f| f.format(ms))
            .unwrap_or_default()
    }

    /// An amount of money in the locale's currency style ("$20.00", "20,00 €"); a currency
    /// the browser does not know is shown as the number and its code.
    pub fn money(&self, amount: f64, currency: &str) -> String {
        let formatters = self.formatters.as_ref();
        formatters
            .and_then(|f| f.money(amount, currency))
            .unwrap_or_else(|| [self.number(amount).as_str(), " ", currency].concat())
    }

    /// A day (ms since the epoch): a calendar date (`utc`) as written, a moment in the user's
    /// time zone.
    pub fn day(&self, ms: f64, utc: bool) -> String {
        self.formatters
            .as_ref()
            .and_then(|f| f.day(utc))
            .map(|f| f.format(ms))
            .unwrap_or_default()
    }

    /// A moment relative to `now` ("3 days ago", "yesterday").
    pub fn relative(&self, ms: f64, now: f64) -> String {
        let (value, unit) = relative_unit(ms - now);
        self.formatters
            .as_ref()
            .and_then(Formatters::relative)
            .map(|f| f.format(value, unit))
            .unwrap_or_default()
    }
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
            let pair: js_sys::Array = entry.into();
            Some((pair.get(0).as_string()?, pair.get(1).as_string()?))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Texts for `tag` with its catalogue, as the controller makes them once the loader hands
    /// over the catalogue's file (the loader resolves aliases: `iw` reads `he`).
    fn texts(tag: &str, overrides: Vec<(String, String)>) -> Texts {
        let language = primary_language(tag);
        let language = catalogues::ALIASES
            .iter()
            .find(|(alias, _)| *alias == language)
            .map_or(language.as_str(), |(_, canonical)| canonical);
        let catalogue = catalogues::LANGUAGES
            .iter()
            .find(|(of, _)| *of == language)
            .map_or(&[][..], |(_, catalogue)| catalogue);
        let file = catalogue
            .iter()
            .map(|(id, text)| ((*id).into(), (*text).into()));
        Texts::new(tag, overrides).with_catalogue(file.collect())
    }

    #[test]
    fn overrides_win_over_the_catalogue_and_the_catalogue_over_english() {
        let overrides = || vec![("copy".into(), "Copy link".into())];
        let english = texts("en", overrides());
        assert_eq!(english.get(Msg::Copy), "Copy link");
        assert_eq!(english.get(Msg::Retry), "Try again");
        assert_eq!(texts("fr-CA", Vec::new()).get(Msg::Retry), "Réessayer");
        assert_eq!(texts("fr-CA", overrides()).get(Msg::Copy), "Copy link");
        let before = Texts::new("fr-CA", Vec::new());
        assert_eq!(
            before.get(Msg::Retry),
            "Try again",
            "English until it is there"
        );
        assert!(
            before != texts("fr-CA", Vec::new()),
            "the catalogue arriving is a change to render"
        );
    }

    #[test]
    fn a_catalogue_that_lacks_a_text_falls_back_to_english() {
        let partial = vec![("copy".into(), "Kopieren".into())];
        let texts = Texts::new("de", Vec::new()).with_catalogue(partial);
        assert_eq!(texts.get(Msg::Copy), "Kopieren");
        assert_eq!(texts.get(Msg::Retry), "Try again");
    }

    #[test]
    fn tags_pick_their_language_by_primary_subtag_and_fall_back_to_english() {
        let copy = |tag| texts(tag, Vec::new()).get(Msg::Copy).to_owned();
        assert_eq!(copy("de"), "Kopieren");
        assert_eq!(copy("de-AT"), "Kopieren");
        assert_eq!(copy("es-MX"), "Copiar");
        assert_eq!(copy("PT_br"), "Copiar");
        assert_eq!(copy("pt-PT"), "Copiar", "the one Portuguese catalogue");
        assert_eq!(copy("iw"), "העתקה");
        assert_eq!(copy("zh-Hans"), "Copy");
        assert_eq!(copy(""), "Copy");
    }

    #[test]
    fn right_to_left_languages() {
        assert!(is_rtl("ar"));
        assert!(is_rtl("he-IL"));
        assert!(is_rtl("fa"));
        assert!(!is_rtl("en-US"));
        assert!(!is_rtl("ja"));
    }

    #[test]
    fn relative_dates_use_the_largest_fitting_unit() {
        const DAY: f64 = 86_400_000.0;
        assert_eq!(relative_unit(-3.0 * DAY), (-3.0, "day"));
        assert_eq!(relative_unit(-10.0 * DAY), (-1.0, "week"));
        assert_eq!(relative_unit(-65.0 * DAY), (-2.0, "month"));
        assert_eq!(relative_unit(-400.0 * DAY), (-1.0, "year"));
        assert_eq!(relative_unit(-90_000.0), (-1.0, "minute"));
        assert_eq!(relative_unit(-5_000.0), (0.0, "minute"));
        assert_eq!(relative_unit(-2.5 * 3_600_000.0), (-2.0, "hour"));
    }
}
