//! The element's public surface, listed once: attributes, properties and methods, events, CSS
//! custom properties (with their defaults) and parts.
//!
//! `pkg-template/custom-elements.json` is generated from this table, and tests check the
//! TypeScript declarations, the README tables, the stylesheet, the components, the JS loader
//! and the runtime lists against it, so none of them can drift. Nothing here is used by the
//! wasm build, so the table costs the bundle nothing.

/// An observed attribute, reflected as a property.
pub struct Attribute {
    /// The attribute name (kebab-case).
    pub name: &'static str,
    /// The property name (camelCase).
    pub property: &'static str,
    /// The property's TypeScript type.
    pub ts: &'static str,
    /// The default, as documented.
    pub default: &'static str,
    /// What it does.
    pub description: &'static str,
}

/// Every attribute, in SPEC §4 order.
pub const ATTRIBUTES: [Attribute; 7] = [
    Attribute {
        name: "endpoint",
        property: "endpoint",
        ts: "string | null",
        default: "required unless demo",
        description: "URL of the host's dashboard-session endpoint (GET).",
    },
    Attribute {
        name: "credentials",
        property: "credentials",
        ts: "'same-origin' | 'include' | 'omit' | null",
        default: "same-origin",
        description: "fetch credentials mode for the endpoint.",
    },
    Attribute {
        name: "theme",
        property: "theme",
        ts: "'light' | 'dark' | 'auto' | null",
        default: "auto",
        description: "Colour theme; auto follows prefers-color-scheme.",
    },
    Attribute {
        name: "locale",
        property: "locale",
        ts: "string | null",
        default: "nearest lang ancestor, then the browser's",
        description: "BCP 47 tag for texts, numbers and dates.",
    },
    Attribute {
        name: "page-size",
        property: "pageSize",
        ts: "number | null",
        default: "5",
        description: "Referrals shown before \"Show more\" (1-100).",
    },
    Attribute {
        name: "channels",
        property: "channels",
        ts: "string | null",
        default: "native email x whatsapp linkedin",
        description: "Space-separated share actions, in order, from native email x whatsapp linkedin facebook telegram sms.",
    },
    Attribute {
        name: "demo",
        property: "demo",
        ts: "boolean",
        default: "false",
        description: "Render built-in sample data, with no network.",
    },
];

/// A property or method that is not an attribute.
pub struct Member {
    /// The name.
    pub name: &'static str,
    /// `field` or `method`.
    pub kind: &'static str,
    /// The TypeScript type (for a method, its return type).
    pub ts: &'static str,
    /// Read-only field.
    pub readonly: bool,
    /// What it does.
    pub description: &'static str,
}

/// Properties and methods beyond the attributes.
pub const MEMBERS: [Member; 4] = [
    Member {
        name: "getAuthToken",
        kind: "field",
        ts: "(() => string | null | Promise<string | null>) | null",
        readonly: false,
        description: "Called and awaited before each request (it may return the token or a promise of it); a non-null result is sent as Authorization: Bearer <token>.",
    },
    Member {
        name: "strings",
        kind: "field",
        ts: "Record<string, string>",
        readonly: false,
        description: "Overrides of UI texts by message id.",
    },
    Member {
        name: "session",
        kind: "field",
        ts: "ReferrerDashboardSession | null",
        readonly: true,
        description: "The last valid dashboard session as received, or null.",
    },
    Member {
        name: "refresh",
        kind: "method",
        ts: "Promise<void>",
        readonly: false,
        description: "Fetches a new session now (or joins the request in flight); resolves when it has settled.",
    },
];

/// An event the element fires (all bubble and are composed).
pub struct Event {
    /// The event name.
    pub name: &'static str,
    /// The TypeScript type of `detail`.
    pub detail: &'static str,
    /// Whether the host may cancel it.
    pub cancelable: bool,
    /// When it fires.
    pub description: &'static str,
}

/// Every event, as SPEC §4 lists them.
pub const EVENTS: [Event; 4] = [
    Event {
        name: "rd-load",
        detail: "{ stats: ReferrerDashboardStats }",
        cancelable: false,
        description: "A session was rendered (the first and each refresh).",
    },
    Event {
        name: "rd-copy",
        detail: "{ link: string }",
        cancelable: false,
        description: "The link was copied.",
    },
    Event {
        name: "rd-share",
        detail: "{ channel: ReferrerDashboardChannel; link: string }",
        cancelable: true,
        description: "A share action was taken; call preventDefault() to handle it yourself.",
    },
    Event {
        name: "rd-error",
        detail: "{ type: ReferrerDashboardErrorType; message: string; status?: number }",
        cancelable: false,
        description: "A request failed or a session was invalid.",
    },
];

/// A themable custom property.
pub struct CssProperty {
    /// The name.
    pub name: &'static str,
    /// Default in the light theme.
    pub light: &'static str,
    /// Default in the dark theme.
    pub dark: &'static str,
    /// What it styles.
    pub description: &'static str,
}

/// Every `--rd-*` property, in SPEC §4 order.
pub const CSS_PROPERTIES: [CssProperty; 14] = [
    CssProperty {
        name: "--rd-font-family",
        light: "inherit",
        dark: "inherit",
        description: "Font of all text (the host page's by default).",
    },
    CssProperty {
        name: "--rd-font-size",
        light: "1rem",
        dark: "1rem",
        description: "Base size; everything scales with it.",
    },
    CssProperty {
        name: "--rd-color-primary",
        light: "#2563eb",
        dark: "#93c5fd",
        description: "Copy and retry buttons, focus ring.",
    },
    CssProperty {
        name: "--rd-color-on-primary",
        light: "#ffffff",
        dark: "#0b1220",
        description: "Text on primary.",
    },
    CssProperty {
        name: "--rd-color-text",
        light: "#111827",
        dark: "#f9fafb",
        description: "Text.",
    },
    CssProperty {
        name: "--rd-color-muted",
        light: "#4b5563",
        dark: "#a3acb9",
        description: "Labels, dates, hints.",
    },
    CssProperty {
        name: "--rd-color-surface",
        light: "#ffffff",
        dark: "#111827",
        description: "The card.",
    },
    CssProperty {
        name: "--rd-color-background",
        light: "#f3f4f6",
        dark: "#1f2937",
        description: "Link field, stat tiles, empty state.",
    },
    CssProperty {
        name: "--rd-color-border",
        light: "#d1d5db",
        dark: "#4b5563",
        description: "Borders and dividers.",
    },
    CssProperty {
        name: "--rd-color-success",
        light: "#047857",
        dark: "#6ee7b7",
        description: "The Qualified badge.",
    },
    CssProperty {
        name: "--rd-color-warning",
        light: "#b45309",
        dark: "#fcd34d",
        description: "The Pending badge.",
    },
    CssProperty {
        name: "--rd-color-danger",
        light: "#b91c1c",
        dark: "#fca5a5",
        description: "The error state.",
    },
    CssProperty {
        name: "--rd-radius",
        light: "12px",
        dark: "12px",
        description: "Card corners (controls use half).",
    },
    CssProperty {
        name: "--rd-spacing",
        light: "16px",
        dark: "16px",
        description: "Padding and gaps.",
    },
];

/// A `::part()` name.
pub struct Part {
    /// The name.
    pub name: &'static str,
    /// The element it names.
    pub description: &'static str,
}

/// Every part, in SPEC §4 order.
pub const PARTS: [Part; 16] = [
    Part {
        name: "card",
        description: "The whole card (a section, a labelled region).",
    },
    Part {
        name: "link",
        description: "The read-only link field.",
    },
    Part {
        name: "copy-button",
        description: "The copy button (background var(--rd-color-primary)).",
    },
    Part {
        name: "share",
        description: "The group of share actions.",
    },
    Part {
        name: "qr",
        description: "The QR code figure (always dark on white, for scanners).",
    },
    Part {
        name: "stats",
        description: "The three counters (dl).",
    },
    Part {
        name: "stat",
        description: "One counter.",
    },
    Part {
        name: "stat-value",
        description: "A counter's number.",
    },
    Part {
        name: "stat-label",
        description: "A counter's label.",
    },
    Part {
        name: "referrals",
        description: "The list of referrals (ul).",
    },
    Part {
        name: "referral",
        description: "One referral (li).",
    },
    Part {
        name: "status",
        description: "A referral's status badge (text, not colour alone).",
    },
    Part {
        name: "more-button",
        description: "\"Show more\".",
    },
    Part {
        name: "empty",
        description: "The empty state.",
    },
    Part {
        name: "error",
        description: "The error state.",
    },
    Part {
        name: "retry-button",
        description: "The error state's retry button.",
    },
];

#[cfg(test)]
mod tests;
