// Types of `referrer-dashboard/react`. The block between `surface:` markers is generated from
// src/surface.rs by `cargo xtask surface`; `cargo xtask test` fails when it is stale.
import type { ForwardRefExoticComponent, HTMLAttributes, RefAttributes } from 'react';
import type {
  ReferrerDashboard as ReferrerDashboardElement,
  ReferrerDashboardChannel,
  ReferrerDashboardErrorType,
  ReferrerDashboardStats,
} from './referrer-dashboard.js';

export type { ReferrerDashboardElement };

/** The props of `<ReferrerDashboard>`: the element's own, then any HTML prop React knows. */
export interface ReferrerDashboardProps extends HTMLAttributes<ReferrerDashboardElement> {
  // surface:react-props (generated from src/surface.rs by `cargo xtask surface`)
  /** URL of your dashboard-session endpoint (GET). */
  endpoint?: string;
  /** fetch credentials mode: `same-origin`, `include`, `omit` (any case). */
  credentials?: 'same-origin' | 'include' | 'omit';
  /** `light`, `dark`, `auto` (follows `prefers-color-scheme`). */
  theme?: 'light' | 'dark' | 'auto';
  /** BCP 47 tag for text, numbers and dates. */
  locale?: string;
  /** Referrals shown before "Show more", and per step (1–100). */
  pageSize?: number | string;
  /** Space-separated share actions, in order, from `native email x whatsapp linkedin facebook telegram sms`. */
  channels?: string;
  /** Render built-in sample data (three pages of referrals), no network. */
  demo?: boolean;
  /** `eager`, or `lazy`: download the wasm and fetch the session only when the element comes within 600 px of the viewport (the skeleton shows until then), as `<img loading>` does. Read when the element first connects. */
  loading?: 'eager' | 'lazy';
  /** Space-separated parts of the card to show, always in this order: `link` (with share and QR), `stats`, `rewards`, `referrals`. A program that pays in credit hides `rewards`; unknown names are ignored, and naming none shows all. The program banner shows whatever is chosen. */
  sections?: string;
  /** A URL on the page's own origin that answers `{"token": "…"}` for the signed-in user: asked before every request (`GET`, the page's cookies, `Accept: application/json`), the token sent as `Authorization: Bearer <token>`. Plain HTML, so it survives server rendering; `getAuthToken` wins when set. Another origin is a `configuration` error, an error status or an answer without a token an `authentication` error. */
  tokenUrl?: string;
  /** Called and awaited before every request (it may return the token or a promise of it); a non-null result is sent as `Authorization: Bearer <token>`. Wins over `token-url` when set. */
  getAuthToken?: (() => string | null | Promise<string | null>) | null;
  /** Overrides of UI texts by message id. */
  strings?: Record<string, string>;
  /** A session was rendered (the first and each refresh). */
  onRdLoad?: (event: CustomEvent<{ stats: ReferrerDashboardStats }>) => void;
  /** The link or a coupon code was copied. */
  onRdCopy?: (event: CustomEvent<{ link: string; coupon?: never } | { coupon: string; link?: never }>) => void;
  /** A share action was taken; call `preventDefault()` to handle it yourself. */
  onRdShare?: (event: CustomEvent<{ channel: ReferrerDashboardChannel; link: string }>) => void;
  /** A request failed or a session was invalid. */
  onRdError?: (event: CustomEvent<{ type: ReferrerDashboardErrorType; message: string; status?: number }>) => void;
  // /surface:react-props
}

/**
 * `<referrer-dashboard>` as a React component: renders the tag with its attributes (on the
 * server too), sets `getAuthToken` and `strings` and listens to the `rd-*` events in effects, so
 * they work after hydration as after a client render. Its ref is the element.
 */
export declare const ReferrerDashboard: ForwardRefExoticComponent<
  ReferrerDashboardProps & RefAttributes<ReferrerDashboardElement>
>;
export default ReferrerDashboard;
