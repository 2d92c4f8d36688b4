// Types of the referrer-dashboard package entry.

/** Counters of a referrer. */
export interface ReferrerDashboardStats {
  reach: number;
  referrals: number;
  qualified: number;
}

/** `<referrer-dashboard>`: a referral dashboard fed by the host's session endpoint. */
export declare class ReferrerDashboard extends HTMLElement {
  /** URL of the host's dashboard-session endpoint (attribute `endpoint`). */
  endpoint: string | null;
  /** fetch credentials mode (attribute `credentials`). */
  credentials: 'same-origin' | 'include' | 'omit' | null;
  /** `light`, `dark` or `auto` (attribute `theme`). */
  theme: 'light' | 'dark' | 'auto' | null;
  /** BCP 47 tag for texts, numbers and dates (attribute `locale`). */
  locale: string | null;
  /** Referrals shown before "Show more" (attribute `page-size`). */
  pageSize: number | null;
  /** Space-separated share actions (attribute `channels`). */
  channels: string | null;
  /** Render built-in sample data with no network (attribute `demo`). */
  demo: boolean;
  /** Awaited before each request; a non-null result is sent as `Authorization: Bearer`. */
  getAuthToken: (() => Promise<string | null>) | null;
  /** Overrides of UI texts by message id. */
  strings: Record<string, string>;
  /** The last valid dashboard session, or null. */
  readonly session: object | null;
  /** Fetches a new session now. */
  refresh(): Promise<void>;
}

export default ReferrerDashboard;

declare global {
  interface HTMLElementTagNameMap {
    'referrer-dashboard': ReferrerDashboard;
  }
}
