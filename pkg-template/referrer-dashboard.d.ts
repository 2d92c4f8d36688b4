// Types of the referrer-dashboard package. The blocks between `surface:` markers are generated
// from src/surface.rs by `cargo xtask surface`; `cargo xtask test` fails when one is stale.

/** The three counters of a referrer. */
export interface ReferrerDashboardStats {
  reach: number;
  referrals: number;
  qualified: number;
}

// surface:types (generated from src/surface.rs by `cargo xtask surface`)
/** A share action of the `channels` attribute. */
export type ReferrerDashboardChannel = 'native' | 'email' | 'x' | 'whatsapp' | 'linkedin' | 'facebook' | 'telegram' | 'sms';

/** The `type` of an `rd-error`. */
export type ReferrerDashboardErrorType = 'configuration' | 'network' | 'authentication' | 'rate_limit' | 'server' | 'invalid_response';

/** A message id: a key of the `strings` property. */
export type ReferrerDashboardMessageId =
  | 'title'
  | 'link-label'
  | 'copy'
  | 'copied'
  | 'copy-fallback'
  | 'stat-reach'
  | 'stat-referrals'
  | 'stat-qualified'
  | 'referrals-heading'
  | 'status-qualified'
  | 'status-pending'
  | 'show-more'
  | 'empty'
  | 'error-title'
  | 'retry'
  | 'stale'
  | 'loading'
  | 'share-group'
  | 'share-native'
  | 'share-email'
  | 'share-sms'
  | 'share-message'
  | 'share-subject'
  | 'empty-hint'
  | 'qr-label'
  | 'anonymous'
  | 'rewards-heading'
  | 'rewards-earned'
  | 'rewards-pending'
  | 'rewards-empty'
  | 'reward-kind-amount'
  | 'reward-kind-commission'
  | 'reward-kind-coupon'
  | 'reward-kind-custom'
  | 'reward-status-on-its-way'
  | 'reward-status-failed'
  | 'reward-confirming'
  | 'reward-failed-hint'
  | 'coupon-label'
  | 'coupon-copy-fallback'
  | 'program-paused'
  | 'program-ended'
  | 'program-not-started';
// /surface:types

/** One referred person (SPEC §5). */
export interface ReferrerDashboardReferral {
  id: string;
  name: string;
  status: 'qualified' | 'pending';
  joined_at?: string;
  qualified_at?: string;
}

/** An amount in one currency (ISO 4217, upper case). */
export interface ReferrerDashboardMoney {
  currency: string;
  amount: number;
}

/** One reward (SPEC §5). `coupon` only on earned coupon rewards; `at` a date or RFC 3339 time. */
export interface ReferrerDashboardReward {
  id: string;
  kind: 'amount' | 'commission' | 'coupon' | 'custom';
  status: 'pending' | 'on_its_way' | 'earned' | 'failed';
  amount?: number;
  currency?: string;
  coupon?: string;
  at?: string;
}

/** What the referrer has earned: per-currency sums and the rewards one by one. */
export interface ReferrerDashboardRewards {
  earned: ReferrerDashboardMoney[];
  pending: ReferrerDashboardMoney[];
  items: ReferrerDashboardReward[];
}

/** The program's state; a paused, ended or not started program shows a banner. */
export interface ReferrerDashboardProgram {
  status: 'live' | 'paused' | 'ended' | 'not_started';
  ends_at: string | null;
}

/** The dashboard session the host's endpoint returns (SPEC §5). */
export interface ReferrerDashboardSession {
  version: 1;
  expires_at: string;
  referrer: { name?: string; link: string; code?: string };
  stats: ReferrerDashboardStats;
  referrals: { items: ReferrerDashboardReferral[]; next: string | null };
  share?: { message?: string; subject?: string };
  /** Optional: absent, the rewards part is not drawn. */
  rewards?: ReferrerDashboardRewards;
  /** Optional: absent, no banner. */
  program?: ReferrerDashboardProgram;
  /** Set by the reference backend when it served older data because the platform was busy. */
  stale?: boolean;
}

/** `<referrer-dashboard>`: a referral dashboard fed by the host's session endpoint. */
export declare class ReferrerDashboard extends HTMLElement {
  // surface:element (generated from src/surface.rs by `cargo xtask surface`)
  /** URL of your dashboard-session endpoint (GET). Attribute `endpoint`; default: required unless `demo`. */
  endpoint: string | null;
  /** fetch credentials mode: `same-origin`, `include`, `omit` (any case). Attribute `credentials`; default: `same-origin`. */
  credentials: 'same-origin' | 'include' | 'omit' | null;
  /** `light`, `dark`, `auto` (follows `prefers-color-scheme`). Attribute `theme`; default: `auto`. */
  theme: 'light' | 'dark' | 'auto' | null;
  /** BCP 47 tag for text, numbers and dates. Attribute `locale`; default: nearest `lang` ancestor, then the browser's. */
  locale: string | null;
  /** Referrals shown before "Show more", and per step (1–100). Attribute `page-size`; default: 5. */
  pageSize: number | null;
  /** Space-separated share actions, in order, from `native email x whatsapp linkedin facebook telegram sms`. Attribute `channels`; default: `native email x whatsapp linkedin`. */
  channels: string | null;
  /** Render built-in sample data (three pages of referrals), no network. Attribute `demo`; default: absent. */
  demo: boolean;
  /** `eager`, or `lazy`: download the wasm and fetch the session only when the element comes within 600 px of the viewport (the skeleton shows until then), as `<img loading>` does. Read when the element first connects. Attribute `loading`; default: `eager`. */
  loading: 'eager' | 'lazy' | null;
  /** Space-separated parts of the card to show, always in this order: `link` (with share and QR), `stats`, `rewards`, `referrals`. A program that pays in credit hides `rewards`; unknown names are ignored, and naming none shows all. The program banner shows whatever is chosen. Attribute `sections`; default: `link stats rewards referrals`. */
  sections: string | null;
  /** A URL on the page's own origin that answers `{"token": "…"}` for the signed-in user: asked before every request (`GET`, the page's cookies, `Accept: application/json`), the token sent as `Authorization: Bearer <token>`. Plain HTML, so it survives server rendering; `getAuthToken` wins when set. Another origin is a `configuration` error, an error status or an answer without a token an `authentication` error. Attribute `token-url`; default: absent. */
  tokenUrl: string | null;
  /** While present on an element that has not started, it shows its skeleton and downloads the wasm but sends no request; removing it starts the element (the Web Components Community Group's defer-hydration protocol). The React wrapper renders it and removes it once it has set the element's properties. Attribute `defer-hydration`; default: absent. */
  deferHydration: boolean;
  /** Called and awaited before every request (it may return the token or a promise of it); a non-null result is sent as `Authorization: Bearer <token>`. Wins over `token-url` when set. */
  getAuthToken: (() => string | null | Promise<string | null>) | null;
  /** Overrides of UI texts by message id. */
  strings: Record<string, string>;
  /** The last valid dashboard session as received, or `null`. */
  readonly session: ReferrerDashboardSession | null;
  /** Fetches a new session now (or joins the request in flight); resolves when it has settled. */
  refresh(): Promise<void>;
  // /surface:element

  addEventListener<K extends keyof ReferrerDashboardEventMap>(
    type: K,
    listener: (this: ReferrerDashboard, event: ReferrerDashboardEventMap[K]) => unknown,
    options?: boolean | AddEventListenerOptions,
  ): void;
  addEventListener(
    type: string,
    listener: EventListenerOrEventListenerObject,
    options?: boolean | AddEventListenerOptions,
  ): void;
}

/** The element's events (all bubble and are composed; `rd-share` is cancelable). */
export interface ReferrerDashboardEventMap extends HTMLElementEventMap {
  // surface:events (generated from src/surface.rs by `cargo xtask surface`)
  'rd-load': CustomEvent<{ stats: ReferrerDashboardStats }>;
  'rd-copy': CustomEvent<{ link: string; coupon?: never } | { coupon: string; link?: never }>;
  'rd-share': CustomEvent<{ channel: ReferrerDashboardChannel; link: string }>;
  'rd-error': CustomEvent<{ type: ReferrerDashboardErrorType; message: string; status?: number }>;
  // /surface:events
}

export default ReferrerDashboard;

declare global {
  interface HTMLElementTagNameMap {
    'referrer-dashboard': ReferrerDashboard;
  }

  // The events bubble and are composed: listeners on any element, the document or the window
  // see them (HTMLElementEventMap, DocumentEventMap and WindowEventMap extend this map).
  interface GlobalEventHandlersEventMap {
    // surface:global-events (generated from src/surface.rs by `cargo xtask surface`)
    'rd-load': CustomEvent<{ stats: ReferrerDashboardStats }>;
    'rd-copy': CustomEvent<{ link: string; coupon?: never } | { coupon: string; link?: never }>;
    'rd-share': CustomEvent<{ channel: ReferrerDashboardChannel; link: string }>;
    'rd-error': CustomEvent<{ type: ReferrerDashboardErrorType; message: string; status?: number }>;
    // /surface:global-events
  }
}

/**
 * The element's own JSX props in React 19: its attributes, its properties (React 19 sets
 * properties on custom elements) and `on<event>` listeners for its events. In React's JSX they
 * come on top of React's HTML attributes (`lang`, `dir`, `title`, `className`, `style`,
 * `tabIndex`, `onClick`, `ref`, `key`…), see the `react` module augmentation below.
 */
export interface ReferrerDashboardJsxProps {
  // surface:jsx (generated from src/surface.rs by `cargo xtask surface`)
  endpoint?: string;
  credentials?: 'same-origin' | 'include' | 'omit';
  theme?: 'light' | 'dark' | 'auto';
  locale?: string;
  'page-size'?: number | string;
  channels?: string;
  demo?: boolean;
  loading?: 'eager' | 'lazy';
  sections?: string;
  'token-url'?: string;
  'defer-hydration'?: boolean;
  getAuthToken?: (() => string | null | Promise<string | null>) | null;
  strings?: Record<string, string>;
  'onrd-load'?: (event: CustomEvent<{ stats: ReferrerDashboardStats }>) => void;
  'onrd-copy'?: (event: CustomEvent<{ link: string; coupon?: never } | { coupon: string; link?: never }>) => void;
  'onrd-share'?: (event: CustomEvent<{ channel: ReferrerDashboardChannel; link: string }>) => void;
  'onrd-error'?: (event: CustomEvent<{ type: ReferrerDashboardErrorType; message: string; status?: number }>) => void;
  // /surface:jsx
  /** React 19 passes `class` to custom elements as is (besides `className`). */
  class?: string;
}

// React's JSX: the element takes React's HTML attributes and its own props. A project without
// @types/react still type-checks this file: the two React interfaces used are declared here as
// well (in a React project they merge with React's own and add nothing).
declare module 'react' {
  interface ClassAttributes<T> {}
  interface HTMLAttributes<T> {}
  namespace JSX {
    interface IntrinsicElements {
      'referrer-dashboard': ClassAttributes<ReferrerDashboard> &
        HTMLAttributes<ReferrerDashboard> &
        ReferrerDashboardJsxProps;
    }
  }
}

/**
 * The element in Svelte 5 markup (`svelte-check`, the Svelte language server): its attributes,
 * its properties, its events as `onrd-*` attributes and as legacy `on:rd-*` directives, on top of
 * Svelte's HTML attributes. Like React's above, these declarations also type-check a project
 * without Svelte, where they add nothing.
 */
export interface ReferrerDashboardSvelteProps extends Omit<ReferrerDashboardJsxProps, 'class'> {
  // surface:svelte (generated from src/surface.rs by `cargo xtask surface`)
  'on:rd-load'?: (event: CustomEvent<{ stats: ReferrerDashboardStats }>) => void;
  'on:rd-copy'?: (event: CustomEvent<{ link: string; coupon?: never } | { coupon: string; link?: never }>) => void;
  'on:rd-share'?: (event: CustomEvent<{ channel: ReferrerDashboardChannel; link: string }>) => void;
  'on:rd-error'?: (event: CustomEvent<{ type: ReferrerDashboardErrorType; message: string; status?: number }>) => void;
  // /surface:svelte
}

declare module 'svelte/elements' {
  interface HTMLAttributes<T extends EventTarget> {}
  interface SvelteHTMLElements {
    'referrer-dashboard': HTMLAttributes<ReferrerDashboard> & ReferrerDashboardSvelteProps;
  }
}
