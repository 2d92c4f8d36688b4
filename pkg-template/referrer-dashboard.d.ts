// Types of the referrer-dashboard package. Checked against src/surface.rs by `cargo xtask test`.

/** The three counters of a referrer. */
export interface ReferrerDashboardStats {
  reach: number;
  referrals: number;
  qualified: number;
}

/** A share action of the `channels` attribute. */
export type ReferrerDashboardChannel = 'native' | 'email' | 'x' | 'whatsapp' | 'linkedin' | 'facebook' | 'telegram' | 'sms';

/** The `type` of an `rd-error`. */
export type ReferrerDashboardErrorType =
  | 'configuration'
  | 'network'
  | 'authentication'
  | 'rate_limit'
  | 'server'
  | 'invalid_response';

/** One referred person (SPEC §5). */
export interface ReferrerDashboardReferral {
  id: string;
  name: string;
  status: 'qualified' | 'pending';
  joined_at?: string;
  qualified_at?: string;
}

/** The dashboard session the host's endpoint returns (SPEC §5). */
export interface ReferrerDashboardSession {
  version: 1;
  expires_at: string;
  referrer: { name?: string; link: string; code?: string };
  stats: ReferrerDashboardStats;
  referrals: { items: ReferrerDashboardReferral[]; next: string | null };
  share?: { message?: string; subject?: string };
  /** Set by the reference backend when it served older data because the platform was busy. */
  stale?: boolean;
}

/** `<referrer-dashboard>`: a referral dashboard fed by the host's session endpoint. */
export declare class ReferrerDashboard extends HTMLElement {
  /** URL of the host's dashboard-session endpoint (attribute `endpoint`). */
  endpoint: string | null;
  /** fetch credentials mode (attribute `credentials`, default `same-origin`). */
  credentials: 'same-origin' | 'include' | 'omit' | null;
  /** Colour theme (attribute `theme`, default `auto`). */
  theme: 'light' | 'dark' | 'auto' | null;
  /** BCP 47 tag for texts, numbers and dates (attribute `locale`). */
  locale: string | null;
  /** Referrals shown before "Show more" (attribute `page-size`, default 5). */
  pageSize: number | null;
  /** Space-separated share actions (attribute `channels`). */
  channels: string | null;
  /** Render built-in sample data with no network (attribute `demo`). */
  demo: boolean;
  /**
   * Called and awaited before each request (it may return the token or a promise of it); a
   * non-null result is sent as `Authorization: Bearer <token>`.
   */
  getAuthToken: (() => string | null | Promise<string | null>) | null;
  /** Overrides of UI texts by message id. */
  strings: Record<string, string>;
  /** The last valid dashboard session as received, or null. */
  readonly session: ReferrerDashboardSession | null;
  /** Fetches a new session now (or joins the request in flight); resolves when it has settled. */
  refresh(): Promise<void>;

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
  'rd-load': CustomEvent<{ stats: ReferrerDashboardStats }>;
  'rd-copy': CustomEvent<{ link: string }>;
  'rd-share': CustomEvent<{ channel: ReferrerDashboardChannel; link: string }>;
  'rd-error': CustomEvent<{ type: ReferrerDashboardErrorType; message: string; status?: number }>;
}

export default ReferrerDashboard;

declare global {
  interface HTMLElementTagNameMap {
    'referrer-dashboard': ReferrerDashboard;
  }

  // The events bubble and cross shadow roots, so listeners on any element see them.
  interface HTMLElementEventMap {
    'rd-load': CustomEvent<{ stats: ReferrerDashboardStats }>;
    'rd-copy': CustomEvent<{ link: string }>;
    'rd-share': CustomEvent<{ channel: ReferrerDashboardChannel; link: string }>;
    'rd-error': CustomEvent<{ type: ReferrerDashboardErrorType; message: string; status?: number }>;
  }
}

/**
 * The element's own JSX props in React 19: its attributes, its properties (React 19 sets
 * properties on custom elements) and `on<event>` listeners for its events. In React's JSX they
 * come on top of React's HTML attributes (`lang`, `dir`, `title`, `className`, `style`,
 * `tabIndex`, `onClick`, `ref`, `key`…), see the `react` module augmentation below.
 */
export interface ReferrerDashboardJsxProps {
  endpoint?: string;
  credentials?: 'same-origin' | 'include' | 'omit';
  theme?: 'light' | 'dark' | 'auto';
  locale?: string;
  'page-size'?: number | string;
  channels?: string;
  demo?: boolean;
  getAuthToken?: (() => string | null | Promise<string | null>) | null;
  strings?: Record<string, string>;
  'onrd-load'?: (event: CustomEvent<{ stats: ReferrerDashboardStats }>) => void;
  'onrd-copy'?: (event: CustomEvent<{ link: string }>) => void;
  'onrd-share'?: (event: CustomEvent<{ channel: ReferrerDashboardChannel; link: string }>) => void;
  'onrd-error'?: (event: CustomEvent<{ type: ReferrerDashboardErrorType; message: string; status?: number }>) => void;
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
