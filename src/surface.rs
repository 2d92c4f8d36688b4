//! The element's public surface, written once: attributes, properties and methods, events, the
//! `rd-error` types, CSS custom properties (with their defaults), parts, share channels and the
//! UI texts' message ids with their English text.
//!
//! Everything that states the surface elsewhere is generated from here by `cargo xtask surface`
//! (`xtask/src/surface.rs`): the Custom Elements Manifest, the TypeScript declarations, the
//! lists in the loader (`pkg-template/element.js`), and the tables of the README and of the
//! documentation site, each between `surface:<name>` marker comments. `cargo xtask test` fails
//! when one of them is stale. The widget derives its runtime lists from here too
//! (`config::ATTRIBUTES`, the message ids and the English catalogue), through `const`
//! evaluation, so the descriptions never reach the wasm.
//!
//! This file is plain data with no dependencies: the xtask includes it as it is. Descriptions
//! are Markdown (backticks for code); the generator renders them for each target.

/// How the loader reflects an attribute as a property.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reflect {
    /// A string, or `null` when the attribute is absent.
    Text,
    /// A number, or `null` when the attribute is absent.
    Number,
    /// `true` when the attribute is present.
    Boolean,
}

/// An observed attribute, reflected as a property.
pub struct Attribute {
    /// The attribute name (kebab-case).
    pub name: &'static str,
    /// The property name (camelCase).
    pub property: &'static str,
    /// How the property reflects it.
    pub reflect: Reflect,
    /// The property's TypeScript type.
    pub ts: &'static str,
    /// Its type as a JSX prop.
    pub jsx: &'static str,
    /// The default, as documented.
    pub default: &'static str,
    /// What it does.
    pub description: &'static str,
}

/// Every attribute: SPEC §4's, in its order, then the documented additions.
pub const ATTRIBUTES: [Attribute; 11] = [
    Attribute {
        name: "endpoint",
        property: "endpoint",
        reflect: Reflect::Text,
        ts: "string | null",
        jsx: "string",
        default: "required unless `demo`",
        description: "URL of your dashboard-session endpoint (GET).",
    },
    Attribute {
        name: "credentials",
        property: "credentials",
        reflect: Reflect::Text,
        ts: "'same-origin' | 'include' | 'omit' | null",
        jsx: "'same-origin' | 'include' | 'omit'",
        default: "`same-origin`",
        description: "fetch credentials mode: `same-origin`, `include`, `omit` (any case).",
    },
    Attribute {
        name: "theme",
        property: "theme",
        reflect: Reflect::Text,
        ts: "'light' | 'dark' | 'auto' | null",
        jsx: "'light' | 'dark' | 'auto'",
        default: "`auto`",
        description: "`light`, `dark`, `auto` (follows `prefers-color-scheme`).",
    },
    Attribute {
        name: "locale",
        property: "locale",
        reflect: Reflect::Text,
        ts: "string | null",
        jsx: "string",
        default: "nearest `lang` ancestor, then the browser's",
        description: "BCP 47 tag for text, numbers and dates.",
    },
    Attribute {
        name: "page-size",
        property: "pageSize",
        reflect: Reflect::Number,
        ts: "number | null",
        jsx: "number | string",
        default: "5",
        description: "Referrals shown before \"Show more\", and per step (1–100).",
    },
    Attribute {
        name: "channels",
        property: "channels",
        reflect: Reflect::Text,
        ts: "string | null",
        jsx: "string",
        default: "`native email x whatsapp linkedin`",
        description: "Space-separated share actions, in order, from `native email x whatsapp linkedin facebook telegram sms`.",
    },
    Attribute {
        name: "demo",
        property: "demo",
        reflect: Reflect::Boolean,
        ts: "boolean",
        jsx: "boolean",
        default: "absent",
        description: "Render built-in sample data (three pages of referrals), no network.",
    },
    Attribute {
        name: "loading",
        property: "loading",
        reflect: Reflect::Text,
        ts: "'eager' | 'lazy' | null",
        jsx: "'eager' | 'lazy'",
        default: "`eager`",
        description: "`eager`, or `lazy`: download the wasm and fetch the session only when the element comes within 600 px of the viewport (the skeleton shows until then), as `<img loading>` does. Read when the element first connects.",
    },
    Attribute {
        name: "sections",
        property: "sections",
        reflect: Reflect::Text,
        ts: "string | null",
        jsx: "string",
        default: "`link stats rewards referrals`",
        description: "Space-separated parts of the card to show, always in this order: `link` (with share and QR), `stats`, `rewards`, `referrals`. A program that pays in credit hides `rewards`; unknown names are ignored, and naming none shows all. The program banner shows whatever is chosen.",
    },
    Attribute {
        name: "token-url",
        property: "tokenUrl",
        reflect: Reflect::Text,
        ts: "string | null",
        jsx: "string",
        default: "absent",
        description: "A URL on the page's own origin that answers `{\"token\": \"…\"}` for the signed-in user: asked before every request (`GET`, the page's cookies, `Accept: application/json`), the token sent as `Authorization: Bearer <token>`. Plain HTML, so it survives server rendering; `getAuthToken` wins when set. Another origin is a `configuration` error, an error status or an answer without a token an `authentication` error.",
    },
    Attribute {
        name: "defer-hydration",
        property: "deferHydration",
        reflect: Reflect::Boolean,
        ts: "boolean",
        jsx: "boolean",
        default: "absent",
        description: "While present on an element that has not started, it shows its skeleton and downloads the wasm but sends no request; removing it starts the element (the Web Components Community Group's defer-hydration protocol). The React wrapper renders it and removes it once it has set the element's properties.",
    },
];

/// The attribute names, in [`ATTRIBUTES`] order (evaluated at compile time).
pub const fn attribute_names() -> [&'static str; ATTRIBUTES.len()] {
    let mut names = [""; ATTRIBUTES.len()];
    let mut i = 0;
    while i < names.len() {
        names[i] = ATTRIBUTES[i].name;
        i += 1;
    }
    names
}

/// A property or method that is not an attribute.
pub struct Member {
    /// The name.
    pub name: &'static str,
    /// A method (else a field).
    pub method: bool,
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
        method: false,
        ts: "(() => string | null | Promise<string | null>) | null",
        readonly: false,
        description: "Called and awaited before every request (it may return the token or a promise of it); a non-null result is sent as `Authorization: Bearer <token>`. Wins over `token-url` when set.",
    },
    Member {
        name: "strings",
        method: false,
        ts: "Record<string, string>",
        readonly: false,
        description: "Overrides of UI texts by message id.",
    },
    Member {
        name: "session",
        method: false,
        ts: "ReferrerDashboardSession | null",
        readonly: true,
        description: "The last valid dashboard session as received, or `null`.",
    },
    Member {
        name: "refresh",
        method: true,
        ts: "Promise<void>",
        readonly: false,
        description: "Fetches a new session now (or joins the request in flight); resolves when it has settled.",
    },
];

/// An event the element fires. All bubble and are composed.
pub struct Event {
    /// The event name.
    pub name: &'static str,
    /// The TypeScript type of `detail`.
    pub detail: &'static str,
    /// `detail` as the tables show it.
    pub shape: &'static str,
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
        shape: "{ stats: { reach, referrals, qualified } }",
        cancelable: false,
        description: "A session was rendered (the first and each refresh).",
    },
    Event {
        name: "rd-copy",
        detail: "{ link: string; coupon?: never } | { coupon: string; link?: never }",
        shape: "{ link } or { coupon }",
        cancelable: false,
        description: "The link or a coupon code was copied.",
    },
    Event {
        name: "rd-share",
        detail: "{ channel: ReferrerDashboardChannel; link: string }",
        shape: "{ channel, link }",
        cancelable: true,
        description: "A share action was taken; call `preventDefault()` to handle it yourself.",
    },
    Event {
        name: "rd-error",
        detail: "{ type: ReferrerDashboardErrorType; message: string; status?: number }",
        shape: "{ type, message, status? }",
        cancelable: false,
        description: "A request failed or a session was invalid.",
    },
];

/// A `type` of `rd-error`.
pub struct ErrorType {
    /// Its name in `detail.type`.
    pub name: &'static str,
    /// What causes it.
    pub cause: &'static str,
}

/// Every `rd-error` type, in SPEC §4 order.
pub const ERROR_TYPES: [ErrorType; 6] = [
    ErrorType {
        name: "configuration",
        cause: "no `endpoint`, or the endpoint answered 404/405, or `token-url` is on another origin, or the `.wasm` is missing or cannot start",
    },
    ErrorType {
        name: "network",
        cause: "offline, CORS, or the 15 s timeout; or the `.wasm` could not be downloaded or failed its integrity check",
    },
    ErrorType {
        name: "authentication",
        cause: "401/403, or `getAuthToken` failed, or `token-url` answered an error status or no token (with `getAuthToken` or `token-url` set, asked again when the page is shown again and after 1, 2, 4… up to 15 minutes)",
    },
    ErrorType {
        name: "rate_limit",
        cause: "429 (retried by itself, never sooner than `Retry-After`)",
    },
    ErrorType {
        name: "server",
        cause: "5xx and other unexpected statuses",
    },
    ErrorType {
        name: "invalid_response",
        cause: "the answer breaks the session format; the message names the field, e.g. `invalid session: referrals.items.2.status must be \"qualified\" or \"pending\"`; or the wasm itself stopped (`the widget stopped (…)`, a bug: see \"The widget stopped\" in Troubleshooting)",
    },
];

/// The `rd-error` type names, in [`ERROR_TYPES`] order (evaluated at compile time).
pub const fn error_type_names() -> [&'static str; ERROR_TYPES.len()] {
    let mut names = [""; ERROR_TYPES.len()];
    let mut i = 0;
    while i < names.len() {
        names[i] = ERROR_TYPES[i].name;
        i += 1;
    }
    names
}

/// The share actions of `channels` and `rd-share`'s `detail.channel`, in SPEC §4 order.
pub const CHANNELS: [&str; 8] = [
    "native", "email", "x", "whatsapp", "linkedin", "facebook", "telegram", "sms",
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
        description: "all text (the host page's font by default)",
    },
    CssProperty {
        name: "--rd-font-size",
        light: "1rem",
        dark: "1rem",
        description: "base size; everything scales with it",
    },
    CssProperty {
        name: "--rd-color-primary",
        light: "#2563eb",
        dark: "#93c5fd",
        description: "copy and retry buttons, focus ring",
    },
    CssProperty {
        name: "--rd-color-on-primary",
        light: "#ffffff",
        dark: "#0b1220",
        description: "text on primary",
    },
    CssProperty {
        name: "--rd-color-text",
        light: "#111827",
        dark: "#f9fafb",
        description: "text",
    },
    CssProperty {
        name: "--rd-color-muted",
        light: "#4b5563",
        dark: "#a3acb9",
        description: "labels, dates, hints",
    },
    CssProperty {
        name: "--rd-color-surface",
        light: "#ffffff",
        dark: "#111827",
        description: "the card",
    },
    CssProperty {
        name: "--rd-color-background",
        light: "#f3f4f6",
        dark: "#1f2937",
        description: "link field, stat tiles, empty state",
    },
    CssProperty {
        name: "--rd-color-border",
        light: "#d1d5db",
        dark: "#4b5563",
        description: "borders and dividers",
    },
    CssProperty {
        name: "--rd-color-success",
        light: "#047857",
        dark: "#6ee7b7",
        description: "the \"Qualified\" and \"Earned\" badges",
    },
    CssProperty {
        name: "--rd-color-warning",
        light: "#b45309",
        dark: "#fcd34d",
        description: "the \"Pending\" and \"On its way\" badges, the program banner's edge",
    },
    CssProperty {
        name: "--rd-color-danger",
        light: "#b91c1c",
        dark: "#fca5a5",
        description: "the error state, a reward not sent",
    },
    CssProperty {
        name: "--rd-radius",
        light: "12px",
        dark: "12px",
        description: "card corners (controls use half)",
    },
    CssProperty {
        name: "--rd-spacing",
        light: "16px",
        dark: "16px",
        description: "padding and gaps",
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
pub const PARTS: [Part; 22] = [
    Part {
        name: "card",
        description: "the whole card (`section`, a labelled region)",
    },
    Part {
        name: "link",
        description: "the read-only link field",
    },
    Part {
        name: "copy-button",
        description: "the copy button (background `var(--rd-color-primary)`)",
    },
    Part {
        name: "share",
        description: "the group of share actions",
    },
    Part {
        name: "qr",
        description: "the QR code figure (always dark on white, for scanners)",
    },
    Part {
        name: "stats",
        description: "the three counters (`dl`)",
    },
    Part {
        name: "stat",
        description: "one counter",
    },
    Part {
        name: "stat-value",
        description: "a counter's number",
    },
    Part {
        name: "stat-label",
        description: "a counter's label",
    },
    Part {
        name: "referrals",
        description: "the list of referrals (`ul`)",
    },
    Part {
        name: "referral",
        description: "one referral (`li`)",
    },
    Part {
        name: "status",
        description: "a referral's status badge (text, not colour alone)",
    },
    Part {
        name: "more-button",
        description: "\"Show more\"",
    },
    Part {
        name: "empty",
        description: "the empty state",
    },
    Part {
        name: "error",
        description: "the error state, a reward not sent",
    },
    Part {
        name: "retry-button",
        description: "the error state's retry button",
    },
    Part {
        name: "rewards",
        description: "what the referrer has earned: the offer, the totals and the rewards",
    },
    Part {
        name: "reward",
        description: "one reward (`li`): kind, amount or coupon, status in words, date",
    },
    Part {
        name: "reward-amount",
        description: "an amount: a reward's, or the Earned and Pending totals per currency",
    },
    Part {
        name: "coupon",
        description: "an earned coupon's code (a read-only field)",
    },
    Part {
        name: "coupon-copy-button",
        description: "a coupon code's copy button",
    },
    Part {
        name: "program-status",
        description: "the banner of a paused, ended or not yet started program",
    },
];

/// A slot: host content shown inside the card.
pub struct Slot {
    /// The slot's name (`slot="…"` on the host's element).
    pub name: &'static str,
    /// Where it shows and what it is for.
    pub description: &'static str,
}

/// Every named slot.
pub const SLOTS: [Slot; 1] = [Slot {
    name: "offer",
    description: "The host's own words about the offer, e.g. `<p slot=\"offer\">Give $20, get $20</p>`, shown above the rewards (the platform's reward names are internal and never shown).",
}];

/// A UI text: its id (the key of the `strings` property) and its English text, which is also
/// what any other language's catalogue falls back to.
pub struct Message {
    /// The message id.
    pub id: &'static str,
    /// The English text.
    pub english: &'static str,
    /// Where it appears.
    pub description: &'static str,
}

/// Declares [`Msg`], one variant per message, and [`MESSAGES`] in the same order, from one list.
macro_rules! messages {
    ($($(#[doc = $doc:literal])+ $variant:ident = $id:literal => $english:literal,)+) => {
        /// Every UI text, by purpose. Its id and English text are in [`MESSAGES`].
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum Msg {
            $($(#[doc = $doc])+ $variant,)+
        }

        impl Msg {
            /// Every message, in declaration order.
            pub const ALL: [Msg; [$($id),+].len()] = [$(Msg::$variant),+];
        }

        /// Every message, in [`Msg`] order.
        pub const MESSAGES: [Message; [$($id),+].len()] = [
            $(Message { id: $id, english: $english, description: concat!($($doc),+) },)+
        ];
    };
}

messages! {
    /// The accessible name of the card region.
    Title = "title" => "Your referral dashboard",
    /// The label of the link field.
    LinkLabel = "link-label" => "Your referral link",
    /// The copy button.
    Copy = "copy" => "Copy",
    /// The copy button after copying, also announced.
    Copied = "copied" => "Copied",
    /// Shown when the clipboard is unavailable and the link was selected instead.
    CopyFallback = "copy-fallback" => "Press Ctrl+C (⌘C on a Mac) to copy the selected link",
    /// The Reach counter's label.
    Reach = "stat-reach" => "Reach",
    /// The Referrals counter's label.
    Referrals = "stat-referrals" => "Referrals",
    /// The Qualified Referrals counter's label.
    Qualified = "stat-qualified" => "Qualified referrals",
    /// The heading of the referrals list.
    ReferralsHeading = "referrals-heading" => "Your referrals",
    /// The status of a qualified referral.
    StatusQualified = "status-qualified" => "Qualified",
    /// The status of a pending referral.
    StatusPending = "status-pending" => "Pending",
    /// The "Show more" button.
    ShowMore = "show-more" => "Show more",
    /// The empty state.
    Empty = "empty" => "No referrals yet",
    /// The error state's title.
    ErrorTitle = "error-title" => "We couldn't load your referral dashboard.",
    /// The retry button.
    Retry = "retry" => "Try again",
    /// The notice when a refresh failed and earlier data is shown.
    Stale = "stale" => "Couldn't refresh; showing earlier data.",
    /// The loading skeleton's accessible text.
    Loading = "loading" => "Loading your referral dashboard",
    /// The accessible name of the share actions.
    ShareGroup = "share-group" => "Share your link",
    /// The native share button.
    ShareNative = "share-native" => "Share…",
    /// The email share link.
    ShareEmail = "share-email" => "Email",
    /// The SMS share link.
    ShareSms = "share-sms" => "Text message",
    /// The share message when the session has none.
    ShareMessage = "share-message" => "Join me with my referral link:",
    /// The email subject when the session has none.
    ShareSubject = "share-subject" => "An invitation for you",
    /// The nudge under the empty state.
    EmptyHint = "empty-hint" => "Share your link with friends: the people who join will show up here.",
    /// The accessible name of the QR code.
    QrLabel = "qr-label" => "QR code of your referral link",
    /// The name shown for a referral without one.
    Anonymous = "anonymous" => "Someone",
    /// The heading of the rewards part.
    RewardsHeading = "rewards-heading" => "Your rewards",
    /// The label of the earned totals (issued or sent, per currency), and the status of an
    /// issued or sent reward.
    RewardsEarned = "rewards-earned" => "Earned",
    /// The label of the pending totals (due, not yet issued), and the status of a reward that is
    /// due.
    RewardsPending = "rewards-pending" => "Pending",
    /// The rewards part when there is nothing in it yet.
    RewardsEmpty = "rewards-empty" => "No rewards yet",
    /// A reward of a fixed amount.
    KindAmount = "reward-kind-amount" => "Reward",
    /// A commission on what the referred customer spent.
    KindCommission = "reward-kind-commission" => "Commission",
    /// A coupon reward.
    KindCoupon = "reward-kind-coupon" => "Coupon",
    /// A reward the business describes itself.
    KindCustom = "reward-kind-custom" => "Gift",
    /// The status of a reward being sent.
    RewardOnItsWay = "reward-status-on-its-way" => "On its way",
    /// The status of a reward that could not be sent.
    RewardFailed = "reward-status-failed" => "Not sent",
    /// A pending reward whose amount is not known yet (a commission before the spend is in).
    RewardConfirming = "reward-confirming" => "Amount being confirmed",
    /// Under a reward that could not be sent.
    RewardFailedHint = "reward-failed-hint" => "We couldn't send this reward. Please contact us.",
    /// The accessible name of a coupon code's field.
    CouponLabel = "coupon-label" => "Coupon code",
    /// Shown when the clipboard is unavailable and the coupon code was selected instead.
    CouponCopyFallback = "coupon-copy-fallback" => "Press Ctrl+C (⌘C on a Mac) to copy the selected code",
    /// The banner of a paused program.
    ProgramPaused = "program-paused" => "The referral program is paused.",
    /// The banner of a program that has ended.
    ProgramEnded = "program-ended" => "The referral program has ended.",
    /// The banner of a program that has not started.
    ProgramNotStarted = "program-not-started" => "The referral program hasn't started yet.",
}

/// The message ids, in [`Msg`] order (evaluated at compile time).
pub const fn message_ids() -> [&'static str; MESSAGES.len()] {
    let mut ids = [""; MESSAGES.len()];
    let mut i = 0;
    while i < ids.len() {
        ids[i] = MESSAGES[i].id;
        i += 1;
    }
    ids
}

/// The English texts, in [`Msg`] order (evaluated at compile time).
pub const fn english() -> [&'static str; MESSAGES.len()] {
    let mut texts = [""; MESSAGES.len()];
    let mut i = 0;
    while i < texts.len() {
        texts[i] = MESSAGES[i].english;
        i += 1;
    }
    texts
}

/// The texts the loader draws itself (its skeleton before the wasm arrives, and its error state
/// when the wasm, and with it the Rust UI, cannot be loaded), in the order `element.js` uses them.
pub const LOADER_MESSAGES: [Msg; 4] = [Msg::Title, Msg::ErrorTitle, Msg::Retry, Msg::Loading];
