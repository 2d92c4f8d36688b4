//! The element's attributes (SPEC §4) parsed into a [`Config`]. Pure.

use crate::share::{self, Channel};

/// `fetch` credentials modes accepted by the `credentials` attribute.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Credentials {
    /// Cookies for same-origin endpoints only (the default).
    #[default]
    SameOrigin,
    /// Cookies for cross-origin endpoints too (the endpoint must allow credentials in CORS).
    Include,
    /// Never send cookies.
    Omit,
}

impl Credentials {
    /// Parses the attribute value; unknown values fall back to the default.
    pub fn parse(value: Option<&str>) -> Self {
        match value.map(str::trim) {
            Some(v) if v.eq_ignore_ascii_case("include") => Self::Include,
            Some(v) if v.eq_ignore_ascii_case("omit") => Self::Omit,
            _ => Self::SameOrigin,
        }
    }
}

/// Referrals shown before "Show more" when `page-size` is absent or invalid (SPEC §4).
pub const DEFAULT_PAGE_SIZE: usize = 5;

/// Upper bound for `page-size`: a larger first page would push the rest of the card out of
/// view, and a session page rarely holds more.
pub const MAX_PAGE_SIZE: usize = 100;

/// The parts of the card the `sections` attribute shows (SPEC §4), always in this order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sections(u8);

impl Sections {
    /// The names of `sections`, in card order; a part's bit is its index here.
    pub const NAMES: [&'static str; 4] = ["link", "stats", "rewards", "referrals"];
    /// Every part (the default).
    pub const ALL: Self = Self(0b1111);
    /// The link with its share actions and QR code.
    pub const LINK: Self = Self(1);
    /// The three counters.
    pub const STATS: Self = Self(1 << 1);
    /// What the referrer has earned.
    pub const REWARDS: Self = Self(1 << 2);
    /// The referrals list.
    pub const REFERRALS: Self = Self(1 << 3);

    /// Parses the space-separated attribute value. Unknown names are ignored; a value naming
    /// no part (or no attribute) shows every part, as an empty card would help nobody.
    pub fn parse(value: Option<&str>) -> Self {
        let mut bits = 0;
        for name in value.unwrap_or_default().split_ascii_whitespace() {
            if let Some(i) = Self::NAMES
                .iter()
                .position(|n| n.eq_ignore_ascii_case(name))
            {
                bits |= 1 << i;
            }
        }
        if bits == 0 { Self::ALL } else { Self(bits) }
    }

    /// Whether `part` is shown.
    pub fn has(self, part: Self) -> bool {
        self.0 & part.0 != 0
    }
}

/// Every attribute the element observes, in the order of SPEC §4 (from `src/surface.rs`).
pub const ATTRIBUTES: [&str; crate::surface::ATTRIBUTES.len()] = crate::surface::attribute_names();

/// What an attribute change requires of the element.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Changed {
    /// Nothing the Rust side acts on (e.g. `theme`, which CSS reads directly).
    Nothing,
    /// Where the session comes from changed: drop the old one and fetch anew.
    Source,
    /// Only the presentation changed: render again.
    Display,
}

/// The element's configuration, as read from its attributes.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    /// URL of the host's session endpoint.
    pub endpoint: Option<String>,
    /// The fetch credentials mode.
    pub credentials: Credentials,
    /// The `locale` attribute, if set.
    pub locale: Option<String>,
    /// Referrals shown per "Show more" step.
    pub page_size: usize,
    /// Share actions, in order.
    pub channels: Vec<Channel>,
    /// Render built-in sample data, no network.
    pub demo: bool,
    /// The `token-url` attribute: where the bearer token comes from when `getAuthToken` is not
    /// set.
    pub token_url: Option<String>,
    /// The parts of the card to show.
    pub sections: Sections,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            endpoint: None,
            credentials: Credentials::SameOrigin,
            locale: None,
            page_size: DEFAULT_PAGE_SIZE,
            channels: share::DEFAULT.to_vec(),
            demo: false,
            token_url: None,
            sections: Sections::ALL,
        }
    }
}

impl Config {
    /// Applies one attribute's new value (`None` when removed).
    pub fn set(&mut self, name: &str, value: Option<&str>) -> Changed {
        let before = self.clone();
        let text = || {
            value
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        match name {
            "endpoint" => self.endpoint = text(),
            "credentials" => self.credentials = Credentials::parse(value),
            "locale" => self.locale = text(),
            "page-size" => self.page_size = parse_page_size(value),
            "channels" => self.channels = share::parse_channels(value),
            "demo" => self.demo = value.is_some_and(|v| v != "false"),
            "token-url" => self.token_url = text(),
            "sections" => self.sections = Sections::parse(value),
            _ => return Changed::Nothing,
        }
        if *self == before {
            Changed::Nothing
        } else if self.endpoint != before.endpoint
            || self.credentials != before.credentials
            || self.demo != before.demo
            || self.token_url != before.token_url
        {
            Changed::Source
        } else {
            Changed::Display
        }
    }
}

/// Parses `page-size`: a positive integer up to [`MAX_PAGE_SIZE`], else the default.
pub fn parse_page_size(value: Option<&str>) -> usize {
    value
        .and_then(|v| v.trim().parse::<usize>().ok())
        .filter(|n| (1..=MAX_PAGE_SIZE).contains(n))
        .unwrap_or(DEFAULT_PAGE_SIZE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_attribute_values() {
        assert_eq!(Credentials::parse(None), Credentials::SameOrigin);
        assert_eq!(Credentials::parse(Some("include")), Credentials::Include);
        assert_eq!(Credentials::parse(Some("OMIT")), Credentials::Omit);
        assert_eq!(Credentials::parse(Some("bogus")), Credentials::SameOrigin);
    }

    #[test]
    fn page_size_falls_back_to_default() {
        assert_eq!(parse_page_size(None), 5);
        assert_eq!(parse_page_size(Some("12")), 12);
        assert_eq!(parse_page_size(Some("0")), 5);
        assert_eq!(parse_page_size(Some("-3")), 5);
        assert_eq!(parse_page_size(Some("1000")), 5);
        assert_eq!(parse_page_size(Some("abc")), 5);
    }

    #[test]
    fn endpoint_change_is_a_source_change() {
        let mut config = Config::default();
        assert_eq!(config.set("endpoint", Some("/api")), Changed::Source);
        assert_eq!(config.set("endpoint", Some("/api")), Changed::Nothing);
        assert_eq!(config.set("page-size", Some("3")), Changed::Display);
        assert_eq!(config.set("theme", Some("dark")), Changed::Nothing);
        assert_eq!(config.set("channels", Some("sms")), Changed::Display);
        assert_eq!(config.channels, vec![Channel::Sms]);
        assert_eq!(config.set("demo", Some("")), Changed::Source);
        assert!(config.demo);
        assert_eq!(config.set("endpoint", Some("  ")), Changed::Source);
        assert_eq!(config.endpoint, None);
    }

    #[test]
    fn sections_pick_parts_and_an_empty_choice_shows_all() {
        let credit_only = Sections::parse(Some(" link  STATS referrals unknown"));
        assert!(credit_only.has(Sections::LINK) && credit_only.has(Sections::REFERRALS));
        assert!(!credit_only.has(Sections::REWARDS));
        assert_eq!(Sections::parse(Some("rewards")), Sections::REWARDS);
        assert_eq!(Sections::parse(None), Sections::ALL);
        assert_eq!(Sections::parse(Some(" bogus ")), Sections::ALL);
        let mut config = Config::default();
        assert_eq!(config.set("sections", Some("stats")), Changed::Display);
        assert_eq!(config.set("sections", Some("stats ")), Changed::Nothing);
        assert_eq!(config.set("sections", None), Changed::Display);
    }

    #[test]
    fn a_new_token_url_is_a_new_source_and_defer_hydration_is_the_loaders() {
        let mut config = Config::default();
        assert_eq!(
            config.set("token-url", Some(" /auth/token ")),
            Changed::Source
        );
        assert_eq!(config.token_url.as_deref(), Some("/auth/token"));
        assert_eq!(
            config.set("token-url", Some("/auth/token")),
            Changed::Nothing
        );
        assert_eq!(config.set("token-url", None), Changed::Source);
        assert_eq!(config.token_url, None);
        assert_eq!(config.set("defer-hydration", Some("")), Changed::Nothing);
    }
}
