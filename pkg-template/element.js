// The <referrer-dashboard> element class.
//
// WebAssembly cannot subclass HTMLElement, so this file does only that: it owns the element,
// its shadow root and its properties, and forwards every lifecycle callback to the Rust core
// (src/element.rs). Logic lives in Rust; the two screens drawn here are the ones the Rust UI
// cannot draw because it is not there yet: the skeleton, shown when the element has been
// connected for SKELETON_DELAY without the Yew app (which replaces it when it mounts), and the
// error state for when the wasm cannot be loaded or has stopped (a trap: see `isTrap`).

// surface:attributes (generated from src/surface.rs by `cargo xtask surface`)
/** Observed attributes, each reflected as a camelCase property (SPEC §4). */
export const ATTRIBUTES = ['endpoint', 'credentials', 'theme', 'locale', 'page-size', 'channels', 'demo', 'loading', 'sections', 'token-url', 'defer-hydration'];
const BOOLEAN = new Set(['demo', 'defer-hydration']);
const NUMBER = new Set(['page-size']);
// /surface:attributes
const camel = (name) => name.replace(/-([a-z])/g, (_, c) => c.toUpperCase());

/**
 * How near the viewport a `loading="lazy"` element starts loading: about a screen of a phone
 * ahead (`<img loading="lazy">` uses more, 1250–2500 px, for a file that is only downloaded;
 * this one is also compiled and asks the host's backend for a session).
 */
const LAZY_MARGIN = '600px';

/**
 * How long a connected element may stay empty before the loader draws its skeleton: with the
 * wasm and the session both in by then, the first thing drawn is the dashboard. Short enough
 * that first content on a phone network stays within 1.1× of a hand-written element's
 * (BENCHMARKS.md, "Issue 26: the render path").
 */
const SKELETON_DELAY = 100;

/** Whether the page's deferred and module scripts may still run (DOMContentLoaded not yet). */
const scriptsPending = () => {
  if (document.readyState === 'complete') return false;
  const navigation = performance.getEntriesByType?.('navigation')[0];
  return navigation ? !(navigation.domContentLoadedEventStart > 0) : document.readyState === 'loading';
};

/**
 * The texts the loader draws itself, in the element's language: "title", "error-title", "retry"
 * and "loading" from the catalogues (generated below from src/surface.rs and
 * src/i18n/catalogues.rs), the host's `strings` overrides applied.
 */
// surface:loader-texts (generated from src/surface.rs by `cargo xtask surface`)
const LOADER_IDS = ['title', 'error-title', 'retry', 'loading'];
const LOADER_TEXTS = {
  en: ["Your referral dashboard", "We couldn't load your referral dashboard.", "Try again", "Loading your referral dashboard"],
  es: ["Tu panel de referidos", "No hemos podido cargar tu panel de referidos.", "Reintentar", "Cargando tu panel de referidos"],
  fr: ["Votre tableau de bord de parrainage", "Impossible de charger votre tableau de bord de parrainage.", "Réessayer", "Chargement de votre tableau de bord de parrainage"],
  de: ["Ihr Empfehlungs-Dashboard", "Ihr Empfehlungs-Dashboard konnte nicht geladen werden.", "Erneut versuchen", "Ihr Empfehlungs-Dashboard wird geladen"],
  pt: ["Seu painel de indicações", "Não foi possível carregar seu painel de indicações.", "Tentar novamente", "Carregando seu painel de indicações"],
  ja: ["紹介ダッシュボード", "紹介ダッシュボードを読み込めませんでした。", "再試行", "紹介ダッシュボードを読み込んでいます"],
  ar: ["لوحة الإحالات الخاصة بك", "تعذّر تحميل لوحة الإحالات الخاصة بك.", "إعادة المحاولة", "جارٍ تحميل لوحة الإحالات"],
  he: ["לוח ההפניות שלך", "לא הצלחנו לטעון את לוח ההפניות שלך.", "ניסיון חוזר", "לוח ההפניות נטען"],
};
/** Other subtags of the same languages. */
const ALIASES = { iw: 'he' };
/** Languages written right to left (as `i18n::is_rtl`). */
const RTL = ['ar', 'he', 'iw', 'fa', 'ur', 'ps', 'yi', 'dv', 'ckb', 'sd', 'ug'];
// /surface:loader-texts
/**
 * The widget's one stylesheet (src/styles/widget.css, minified): adopted as a constructable
 * stylesheet by every element's shadow root before anything is drawn in it, so the loader's
 * skeleton and error state and then the Yew app that replaces them are drawn by the same rules
 * (nothing moves when the app takes over). Constructed once per page and shared; no inline
 * style, so a strict CSP's `style-src 'self'` is enough. It lives here rather than in the wasm:
 * the loader needs it before the wasm is there, and one copy costs a page less than two.
 */
// surface:stylesheet (generated from src/styles/widget.css by `cargo xtask surface`)
const STYLESHEET = ":host{--_font-family:var(--rd-font-family,inherit);--_font-size:var(--rd-font-size,1rem);--_primary:var(--rd-color-primary,#2563eb);--_on-primary:var(--rd-color-on-primary,#ffffff);--_text:var(--rd-color-text,#111827);--_muted:var(--rd-color-muted,#4b5563);--_surface:var(--rd-color-surface,#ffffff);--_background:var(--rd-color-background,#f3f4f6);--_border:var(--rd-color-border,#d1d5db);--_success:var(--rd-color-success,#047857);--_warning:var(--rd-color-warning,#b45309);--_danger:var(--rd-color-danger,#b91c1c);--_radius:var(--rd-radius,12px);--_spacing:var(--rd-spacing,16px);display:block;container-type:inline-size;min-inline-size:0;color:var(--_text);color-scheme:light;font-family:var(--_font-family);font-size:var(--_font-size);font-style:normal;font-variant:normal;font-weight:400;font-stretch:normal;font-size-adjust:none;font-kerning:auto;font-feature-settings:normal;font-variation-settings:normal;font-optical-sizing:auto;font-synthesis:initial;font-palette:normal;line-height:1.5;letter-spacing:normal;word-spacing:normal;text-align:start;text-align-last:auto;text-indent:0;text-justify:auto;text-transform:none;text-shadow:none;text-emphasis:none;text-underline-offset:auto;text-underline-position:auto;text-rendering:auto;text-spacing-trim:normal;text-autospace:normal;-webkit-text-fill-color:currentcolor;-webkit-text-stroke-width:0;white-space:normal;text-wrap-style:auto;word-break:normal;overflow-wrap:normal;line-break:auto;hyphens:manual;hyphenate-character:auto;tab-size:8;writing-mode:horizontal-tb;quotes:auto;cursor:auto;caret-color:auto;accent-color:auto}:host([hidden]){display:none}:host([theme=\"dark\"]){--_primary:var(--rd-color-primary,#93c5fd);--_on-primary:var(--rd-color-on-primary,#0b1220);--_text:var(--rd-color-text,#f9fafb);--_muted:var(--rd-color-muted,#a3acb9);--_surface:var(--rd-color-surface,#111827);--_background:var(--rd-color-background,#1f2937);--_border:var(--rd-color-border,#4b5563);--_success:var(--rd-color-success,#6ee7b7);--_warning:var(--rd-color-warning,#fcd34d);--_danger:var(--rd-color-danger,#fca5a5);color-scheme:dark}@media (prefers-color-scheme:dark){:host(:not([theme=\"light\"]):not([theme=\"dark\"])){--_primary:var(--rd-color-primary,#93c5fd);--_on-primary:var(--rd-color-on-primary,#0b1220);--_text:var(--rd-color-text,#f9fafb);--_muted:var(--rd-color-muted,#a3acb9);--_surface:var(--rd-color-surface,#111827);--_background:var(--rd-color-background,#1f2937);--_border:var(--rd-color-border,#4b5563);--_success:var(--rd-color-success,#6ee7b7);--_warning:var(--rd-color-warning,#fcd34d);--_danger:var(--rd-color-danger,#fca5a5);color-scheme:dark}}*,*::before,*::after{box-sizing:border-box}p,figure,dl,dd{margin:0}.root{display:flow-root}.card{float:left;inline-size:100%;display:flex;flex-direction:column;gap:var(--_spacing);padding:var(--_spacing);background:var(--_surface);color:var(--_text);border:1px solid var(--_border);border-radius:var(--_radius);min-inline-size:0;overflow-wrap:anywhere}.top{display:flex;flex-direction:column;gap:var(--_spacing)}.main{display:flex;flex-direction:column;gap:calc(var(--_spacing) * 0.75);flex:1 1 auto;min-inline-size:0}.label,.heading{display:block;margin-block-end:calc(var(--_spacing) / 4);font-size:0.875em;font-weight:600;color:var(--_muted)}.link-row{display:flex;flex-wrap:wrap;gap:calc(var(--_spacing) / 2)}input{flex:1 1 8em;min-inline-size:0;min-block-size:2.75em;padding:0.5em 0.75em;font:inherit;color:var(--_text);background:var(--_background);border:1px solid var(--_border);border-radius:calc(var(--_radius) / 2);text-overflow:ellipsis}button,.share-action{display:inline-flex;align-items:center;justify-content:center;min-block-size:2.75em;min-inline-size:44px;padding:0.5em 1em;font:inherit;font-weight:600;line-height:1.2;border-radius:calc(var(--_radius) / 2);cursor:pointer;text-decoration:none}button.primary{flex:0 0 auto;background:var(--_primary);color:var(--_on-primary);border:1px solid var(--_primary)}button.secondary,.share-action{background:transparent;color:var(--_text);border:1px solid var(--_border)}button.secondary{align-self:flex-start}button:hover,.share-action:hover{filter:brightness(0.95)}button:disabled{cursor:progress;opacity:0.7}:is(button,input,a):focus-visible{outline:3px solid var(--_primary);outline-offset:2px}.share{display:flex;flex-wrap:wrap;gap:calc(var(--_spacing) / 2)}.share-action{min-block-size:2.5em;padding:0.375em 0.875em;font-size:0.9375em}.qr{align-self:center;inline-size:8.5em;padding:0.25em;background:#ffffff;border:1px solid var(--_border);border-radius:calc(var(--_radius) / 2)}.qr svg{display:block;inline-size:100%;block-size:auto}.qr path{fill:#000000;fill-opacity:1;stroke:none}.stats{display:flex;flex-direction:column;background:var(--_background);border-radius:calc(var(--_radius) / 2)}.stat{display:flex;align-items:baseline;justify-content:space-between;gap:calc(var(--_spacing) / 2);padding:calc(var(--_spacing) / 2) calc(var(--_spacing) * 0.75);border-block-start:1px solid var(--_border)}.stat:first-child{border-block-start:0}.stat-label{font-size:0.875em;color:var(--_muted)}.stat-value{font-size:1.25em;font-weight:700;line-height:1.25;font-variant-numeric:tabular-nums}@container (min-width:400px){.stats{display:grid;grid-template-columns:repeat(3,1fr);gap:calc(var(--_spacing) / 2);background:none}.stat{flex-direction:column-reverse;justify-content:flex-end;padding:calc(var(--_spacing) * 0.75);background:var(--_background);border:0;border-radius:calc(var(--_radius) / 2)}.stat-value{font-size:1.5em}}@container (min-width:560px){.top{flex-direction:row;align-items:flex-start}.qr{align-self:flex-start;flex:0 0 auto}}.referrals{display:flex;flex-direction:column;gap:calc(var(--_spacing) / 2)}.list{list-style:none;margin:0;padding:0}.referral{display:flex;flex-wrap:wrap;align-items:center;gap:0.25em 0.75em;padding-block:0.5em;border-block-start:1px solid var(--_border)}.referral:first-child{border-block-start:0}.name{flex:1 1 8em;font-weight:600}.status{padding:0.125em 0.625em;font-size:0.8125em;font-weight:600;border-radius:999px;border:1px solid currentColor}.status.qualified{color:var(--_success)}.status.pending{color:var(--_warning)}.date{font-size:0.875em;color:var(--_muted)}.empty{padding:var(--_spacing);text-align:center;background:var(--_background);border-radius:calc(var(--_radius) / 2)}.empty-title{font-weight:600}.notice,.hint{color:var(--_muted)}.hint{font-size:0.875em}.error{display:flex;flex-direction:column;align-items:flex-start;gap:calc(var(--_spacing) / 2);padding-inline-start:calc(var(--_spacing) * 0.75);border-inline-start:4px solid var(--_danger)}.error p{color:var(--_danger);font-weight:600}.totals .stat-value{display:flex;flex-wrap:wrap;gap:0 0.75em}@container (min-width:400px){.totals{grid-template-columns:repeat(2,1fr)}}::slotted(*){margin:0}.rewards li > :is(.link-row,p){flex-basis:100%}.rewards input{flex:0 1 16ch;font-family:ui-monospace,monospace}.amount{font-weight:600;font-variant-numeric:tabular-nums}.amount[data-confirming]{font-weight:400;color:var(--_muted)}[data-status=\"pending\"],[data-status=\"on_its_way\"]{color:var(--_warning)}[data-status=\"earned\"]{color:var(--_success)}[data-status=\"failed\"]{color:var(--_danger)}.program{padding:calc(var(--_spacing) / 2) calc(var(--_spacing) * 0.75);font-weight:600;background:var(--_background);border-inline-start:4px solid var(--_warning);border-radius:calc(var(--_radius) / 2)}.skeleton,.sk-top,.sk-main,.sk-list{display:flex;flex-direction:column;gap:var(--_spacing)}.sk-main{flex:1;gap:calc(var(--_spacing) * 0.75)}.sk-list{gap:calc(var(--_spacing) / 2)}.bone{block-size:2.125em;border-radius:calc(var(--_radius) / 2);background:var(--_background);animation:pulse 1.4s ease-in-out infinite}.sk-link{block-size:calc(4.0625em + 4px)}.sk-share{block-size:2.35em}.sk-qr{align-self:center;inline-size:calc(9em + 2px);block-size:calc(9em + 2px)}.sk-head{inline-size:40%;block-size:1.3125em}.sk-more{inline-size:8em;block-size:2.75em}.sk-totals{block-size:5.1875em}.sk-reward{block-size:4.1875em}.bones{display:grid;gap:calc(var(--_spacing) / 2)}.bones .bone{block-size:calc(var(--_spacing) + 1.5625em)}@container (min-width:400px){.bones{grid-template-columns:repeat(3,1fr)}.bones .bone{block-size:calc(var(--_spacing) * 1.5 + 3.1875em)}}@container (min-width:560px){.sk-top{flex-direction:row}.sk-qr{align-self:flex-start}}@keyframes pulse{50%{opacity:0.55}}@media (prefers-reduced-motion:reduce){.bone{animation:none}button:hover,.share-action:hover{filter:none}}@media (forced-colors:active){.card,.stats .stat,.empty,.program,.bone,button,.share-action,input{border:1px solid CanvasText}.qr{forced-color-adjust:none}:is(button,input,a):focus-visible{outline-color:Highlight}}.sr-only{position:absolute;inline-size:1px;block-size:1px;margin:-1px;padding:0;overflow:hidden;clip-path:inset(50%);white-space:nowrap;border:0}";
// /surface:stylesheet
let sheet = null;

/** Adopts the stylesheet on `root`. */
function adopt(root) {
  if (!sheet) {
    sheet = new CSSStyleSheet();
    sheet.replaceSync(STYLESHEET);
  }
  root.adoptedStyleSheets = [sheet];
}

/**
 * The token a `token-url` answers: `GET` on the page's own origin, with its cookies and
 * `Accept: application/json`; the answer must be a 2xx JSON object whose `token` is a non-empty
 * string. Rejects with an Error whose `type` is the `rd-error` type to report (another origin:
 * `configuration`, nothing sent; no answer: `network`; an error status or no token:
 * `authentication`); the token never enters a message. The early request and the Rust core
 * (`create`'s third argument, src/fetch.rs) both ask through here: it is needed before the wasm
 * is there, and one implementation in JS costs a page less than a second one in the wasm.
 */
export async function tokenFromUrl(value, signal) {
  const fail = (type, message) => {
    throw Object.assign(new Error(message), { type });
  };
  let url = null;
  try {
    url = new URL(value, document.baseURI);
  } catch {}
  if (url?.origin !== location.origin) fail('configuration', "token-url must be on the page's origin");
  const answer = await fetch(url, { credentials: 'same-origin', headers: { Accept: 'application/json' }, signal }).catch(() =>
    fail('network', 'the token-url request failed'),
  );
  if (!answer.ok) fail('authentication', `token-url answered HTTP ${answer.status}`);
  const token = (await answer.json().catch(() => null))?.token;
  if (typeof token !== 'string' || !token) fail('authentication', 'token-url answered no {"token": "…"}');
  return token;
}

/** The element's locale, as the core finds it: `locale`, the nearest `lang`, the browser's. */
function localeOf(host) {
  const own = host.getAttribute('locale')?.trim();
  if (own) return own;
  for (let node = host; node; node = node.parentElement ?? node.getRootNode().host) {
    const lang = node.getAttribute('lang')?.trim();
    if (lang) return lang;
  }
  return navigator.language || 'en';
}

/**
 * The language whose catalogue the element reads, as the core asks for it
 * (`Controller::update_texts`): the locale in the browser's canonical form (English if it
 * rejects it), its primary subtag; aliases resolved, as `#texts` resolves them for the core.
 */
export function languageOf(host) {
  let locale = 'en';
  try {
    locale = Intl.getCanonicalLocales(localeOf(host))[0] ?? 'en';
  } catch {}
  const language = locale.split(/[-_]/)[0].toLowerCase();
  return Object.hasOwn(ALIASES, language) ? ALIASES[language] : language;
}

/** An element `tag` with `attributes`, its `children` (elements or text) appended. */
function make(tag, attributes, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  element.append(...children);
  return element;
}

/**
 * Draws into `root` the card the loader owns, `aria-busy` when `busy`: `body(text)` makes its
 * content, `text(id)` giving the element's text for a message id of `LOADER_IDS`.
 */
function drawCard(host, root, busy, body) {
  const locale = localeOf(host);
  const language = locale.split(/[-_]/)[0].toLowerCase();
  const key = Object.hasOwn(ALIASES, language) ? ALIASES[language] : language;
  const catalogue = Object.hasOwn(LOADER_TEXTS, key) ? LOADER_TEXTS[key] : LOADER_TEXTS.en;
  const strings = host.strings ?? {};
  const text = (id) => (typeof strings[id] === 'string' ? strings[id] : catalogue[LOADER_IDS.indexOf(id)]);
  const card = make('section', { part: 'card', class: 'card', 'aria-label': text('title'), 'aria-busy': String(busy), lang: locale, dir: RTL.includes(language) ? 'rtl' : 'ltr' }, body(text));
  // In a mount point like the app's (`div.root`, which contains the card's float).
  root.replaceChildren(make('div', { class: 'root' }, card));
}

/** Whether `host` shows the demo's rewards: `demo`, and `sections` names `rewards` or no part. */
function demoRewards(host) {
  if (!host.hasAttribute('demo')) return false;
  const parts = (host.getAttribute('sections') ?? '').toLowerCase().split(/\s+/).filter((n) => ['link', 'stats', 'rewards', 'referrals'].includes(n));
  return !parts.length || parts.includes('rewards');
}

/** The skeleton: the card's shape in grey, announced as loading. The Yew app replaces it. */
function showSkeleton(host, root) {
  const bones = (n, extra = '') => Array.from({ length: n }, () => make('div', { class: `bone ${extra}` }));
  const hidden = (attributes, ...children) => make('div', { 'aria-hidden': 'true', ...attributes }, ...children);
  drawCard(host, root, true, (text) =>
    make('div', { class: 'skeleton', role: 'status' },
      make('span', { class: 'sr-only' }, text('loading')),
      hidden({ class: 'sk-top' }, make('div', { class: 'sk-main' }, ...bones(1, 'sk-link'), ...bones(1, 'sk-share')), ...bones(1, 'sk-qr')),
      hidden({ class: 'bones' }, ...bones(3)),
      // The demo's sample rewards are known to come: their block too, so the card does not grow.
      ...(demoRewards(host) ? [hidden({ class: 'sk-list' }, ...bones(1, 'sk-head'), ...bones(1, 'sk-totals'), ...bones(5, 'sk-reward'))] : []),
      hidden({ class: 'sk-list' }, ...bones(1, 'sk-head'), ...bones(5), ...bones(1, 'sk-more')),
    ),
  );
}

/**
 * The error state, for when the wasm cannot be loaded or has stopped; `retry`, if any, runs when
 * its button is pressed.
 */
function showFailure(host, root, retry) {
  drawCard(host, root, false, (text) => {
    const notice = make('div', { part: 'error', class: 'error', role: 'alert' }, make('p', {}, text('error-title')));
    if (retry) {
      const button = make('button', { part: 'retry-button', type: 'button', class: 'primary' }, text('retry'));
      button.addEventListener('click', () => {
        button.disabled = true;
        button.setAttribute('aria-busy', 'true');
        retry();
      });
      notice.append(button);
    }
    return notice;
  });
}

/** Fires `rd-error` on `host` (bubbling out of the shadow root, as the core's do). */
const reportError = (host, type, message) =>
  host.dispatchEvent(new CustomEvent('rd-error', { bubbles: true, composed: true, detail: { type, message } }));

/**
 * Whether `error` is the wasm trapping: a `WebAssembly.RuntimeError` ("unreachable", "memory
 * access out of bounds"). A panic in Rust ends in one (the release build aborts; the size build
 * aborts at once, without a panic hook), and so does any other fault of the wasm. After a trap
 * the instance's memory is in whatever state the trap left it: nothing may call into it again.
 */
export const isTrap = (error) => typeof WebAssembly === 'object' && error instanceof WebAssembly.RuntimeError;

/**
 * Defines the element once per page and returns its class.
 *
 * @param {() => Promise<{create: (host: HTMLElement, root: ShadowRoot) => object}>} load
 *   resolves to the wasm exports (memoised by the caller: instantiated once per page; called
 *   again after a failure, to retry). A rejection's `type` is the `rd-error` type to report
 *   (`configuration` when it has none).
 * @param {string} [name] the tag name.
 * @param {(error: unknown) => boolean} [ours] whether an error reported to the window (an
 *   `error` or `unhandledrejection` event: a trap in a timer, an event handler or a promise
 *   callback of the wasm) is this wasm trapping; every trap by default.
 * @param {(language: string) => object | null | Promise<object | null>} [catalogue] a
 *   language's texts (message id → text), `null` for none, or the promise of either while they
 *   download; every text is English without it.
 */
export function define(load, name = 'referrer-dashboard', ours = isTrap, catalogue = () => null) {
  const existing = customElements.get(name);
  if (existing) return existing;

  /** The wasm exports once loaded: later elements are created without waiting. */
  let wasm = null;
  /** The trap that stopped the wasm, once it has: no element calls into it again. */
  let trapped = null;
  /** The elements with a core, each with what it does when the wasm stops. */
  const live = new Map();
  /** Every element with a core shows the error state and fires `rd-error`, once. */
  const stopped = (error) => {
    trapped ??= error;
    for (const stop of [...live.values()]) stop();
  };
  const onWindowError = (event) => {
    if (ours(event.error ?? event.reason)) stopped(event.error ?? event.reason);
  };
  addEventListener('error', onWindowError);
  addEventListener('unhandledrejection', onWindowError);

  class ReferrerDashboard extends HTMLElement {
    static observedAttributes = ATTRIBUTES;

    #core = null;
    #getAuthToken = null;
    #strings = {};
    /** The catalogue this element was handed last: `{ language, texts }`. */
    #catalogue = null;
    /** With `loading="lazy"`, the observer waiting for the element to come near the viewport. */
    #near = null;

    /**
     * `call(core)`'s result, or undefined when there is no core. A trap during the call stops
     * every element (the wasm is dead) instead of reaching the caller: the host's
     * `setAttribute`, a framework's render.
     */
    #call(call) {
      if (!this.#core) return undefined;
      try {
        return call(this.#core);
      } catch (error) {
        if (!isTrap(error)) throw error;
        stopped(error);
        return undefined;
      }
    }

    /** Creates the core and connects it (`early`: the loader's session request, or null). */
    #create(root, early) {
      if (trapped) {
        early?.abort.abort();
        this.#stopped();
        return;
      }
      // What the loader drew (skeleton, or error state after a retry) stays until the core
      // mounts its app, which replaces it in one step.
      live.set(this, () => this.#stopped());
      try {
        this.#core = wasm.create(this, root, tokenFromUrl, (language) => this.#texts(language));
      } catch (error) {
        if (!isTrap(error)) throw error;
        stopped(error);
        return;
      }
      this.#call((core) => core.connect(early));
    }

    /**
     * The core's `catalogue(language)` (src/controller.rs): the language's texts (message id →
     * text), `null` for English (a language without a catalogue, or one that could not be
     * downloaded), or `undefined` while they download; once they are in, the core is handed its
     * strings again and asks once more. What this element was handed last is kept: a failed
     * download is not asked for again by this element (a later one tries again).
     */
    #texts(language) {
      const texts = this.#catalogueOf(Object.hasOwn(ALIASES, language) ? ALIASES[language] : language);
      if (!(texts instanceof Promise)) return texts;
      texts.then(() => this.#call((core) => core.setStrings(this.#strings)));
      return undefined;
    }

    /** `catalogue(language)` (aliases resolved), kept by this element once settled. */
    #catalogueOf(language) {
      if (this.#catalogue?.language === language) return this.#catalogue.texts;
      const texts = catalogue(language);
      if (texts instanceof Promise) texts.then((value) => (this.#catalogue = { language, texts: value }));
      return texts;
    }

    /**
     * The wasm has trapped: forget the core without calling it (not even to free it), report
     * the failure and show the error state. No retry button: this page's instance cannot run
     * again; a reload gives a new one.
     */
    #stopped() {
      live.delete(this);
      this.#core = null;
      if (!this.shadowRoot) return;
      reportError(this, 'invalid_response', `the widget stopped (${trapped?.message ?? 'a trap'}); see the console`);
      showFailure(this, this.shadowRoot, null);
    }

    constructor() {
      super();
      // An upgrade: a framework or a script may have set properties on the element before it
      // was defined. Those own properties hide the accessors; move them onto the accessors now
      // (the lazy-property pattern), so they reach the attributes and the Rust core.
      for (const prop of [...ATTRIBUTES.map(camel), 'getAuthToken', 'strings']) {
        if (Object.hasOwn(this, prop)) {
          const value = this[prop];
          delete this[prop];
          this[prop] = value;
        }
      }
    }

    /** Awaited before each request; a non-null result is sent as a bearer token. */
    get getAuthToken() {
      return this.#getAuthToken;
    }
    set getAuthToken(fn) {
      this.#getAuthToken = fn ?? null;
    }

    /** Overrides of UI texts by message id. */
    get strings() {
      return this.#strings;
    }
    set strings(value) {
      this.#strings = value ?? {};
      this.#call((core) => core.setStrings(this.#strings));
    }

    /** The last valid dashboard session, or null. */
    get session() {
      return this.#call((core) => core.session()) ?? null;
    }

    /** Fetches a new session now; resolves when the request has settled. */
    refresh() {
      return this.#call((core) => core.refresh()) ?? Promise.resolve();
    }

    connectedCallback() {
      const root = this.shadowRoot ?? this.attachShadow({ mode: 'open' });
      adopt(root);
      if (this.#core) {
        this.#call((core) => core.connect(null));
        return;
      }
      if (this.#near) return; // moved while waiting to come near the viewport
      const lazy = this.getAttribute('loading')?.trim().toLowerCase() === 'lazy';
      // Something on screen until the Yew app is there: the skeleton, unless the app shows the
      // card within SKELETON_DELAY (then a skeleton drawn and replaced at once would only
      // delay it). A lazy element's skeleton holds its place at once.
      if (!root.firstChild) {
        if (lazy) showSkeleton(this, root);
        else if (!wasm) {
          setTimeout(() => {
            if (this.isConnected && !root.firstChild) showSkeleton(this, root);
          }, SKELETON_DELAY);
        }
      }
      if (this.hasAttribute('defer-hydration')) {
        // The defer-hydration protocol: whoever rendered the attribute (the React wrapper, after
        // setting the properties) removes it to start the element (attributeChangedCallback).
        // The wasm is downloaded meanwhile, unless the element is lazy.
        if (!lazy) load().catch(() => {}); // reported once the element starts
        return;
      }
      if (lazy) {
        // As <img loading="lazy">: nothing is fetched until the element is about to be seen.
        this.#near = new IntersectionObserver(
          (entries) => {
            if (!entries.some((entry) => entry.isIntersecting)) return;
            this.#stopWatching();
            this.#begin(root);
          },
          { rootMargin: LAZY_MARGIN },
        );
        this.#near.observe(this);
        return;
      }
      this.#begin(root);
    }

    /** Stops waiting for the element to come near the viewport. */
    #stopWatching() {
      this.#near?.disconnect();
      this.#near = null;
    }

    /**
     * Creates the core now if the wasm and the element's texts are there, else once they are
     * (fetching the session meanwhile): its first render is in its language, not English first.
     */
    #begin(root) {
      const texts = this.#catalogueOf(languageOf(this));
      if (wasm && !(texts instanceof Promise)) {
        this.#create(root, null);
        return;
      }
      // The wasm or the texts are still loading: start the session request now, in parallel,
      // and hand it to the core (which checks the answer like any other and owns its timeout).
      this.#start(root, this.#prefetch(), texts);
    }

    /**
     * Creates the core once the wasm is there (and `texts`, a catalogue download that never
     * fails); if the wasm cannot be loaded, says so and shows why.
     */
    #start(root, early, texts = null) {
      Promise.all([load(), texts]).then(
        ([exports]) => {
          wasm = exports;
          if (this.#core || !this.isConnected) {
            early?.abort.abort();
            return;
          }
          this.#create(root, early);
        },
        (error) => {
          early?.abort.abort();
          if (this.#core || !this.isConnected) return;
          reportError(this, error?.type ?? 'configuration', `the widget could not start: ${error?.message ?? error}`);
          showFailure(this, root, () => this.#start(root, null));
        },
      );
    }

    /**
     * `{ response, abort, tokenAsked }` for the session request, or null (no endpoint, or
     * demo). `response` resolves to the `Response`, or to null when the core should ask itself.
     */
    #prefetch() {
      const endpoint = this.getAttribute('endpoint')?.trim();
      if (!endpoint || this.hasAttribute('demo')) return null;
      const abort = new AbortController();
      // Read as the core reads it (config::Credentials::parse): trimmed, any case.
      const mode = this.getAttribute('credentials')?.trim().toLowerCase();
      const credentials = mode === 'include' || mode === 'omit' ? mode : 'same-origin';
      // `tokenAsked`: the request went out after asking the host's token source, so a 401 to
      // it is the host's answer (the core asks again only when it went out without).
      const early = { response: null, abort, tokenAsked: false };
      early.response = (async () => {
        // A host usually sets getAuthToken from its own script, which runs after this module:
        // while the page's deferred and module scripts are still running (until
        // DOMContentLoaded), wait for them, then give the host one task more before deciding
        // there is none. Not cut short when the wasm is there first: the core adopts this
        // request and waits for it, and one sent before the host's script would be a 401 in
        // the console and a second request.
        if (typeof this.getAuthToken !== 'function') {
          if (scriptsPending()) {
            await new Promise((r) => document.addEventListener('DOMContentLoaded', r, { once: true }));
          }
          await new Promise((r) => setTimeout(r, 0));
        }
        let token = null;
        const tokenUrl = this.getAttribute('token-url')?.trim();
        if (this.getAuthToken != null) {
          // Anything but a function giving a string or null is left to the core, which asks
          // again and reports precisely what is wrong (resolving to null says so).
          if (typeof this.getAuthToken !== 'function') return null;
          try {
            token = await this.getAuthToken();
          } catch {
            return null;
          }
          if (token != null && typeof token !== 'string') return null;
          early.tokenAsked = true;
        } else if (tokenUrl) {
          // A failure rejects with its `rd-error` type, which the core reports as it is.
          token = await tokenFromUrl(tokenUrl, abort.signal);
          early.tokenAsked = true;
        }
        const headers = { Accept: 'application/json' };
        if (token) headers.Authorization = `Bearer ${token}`;
        return fetch(endpoint, { credentials, headers, signal: abort.signal });
      })();
      early.response.catch(() => {}); // the core reports failures
      return early;
    }

    disconnectedCallback() {
      // Moving the element (removed and inserted in one task) must not tear it down, so
      // decide once the current task is done.
      queueMicrotask(() => {
        if (this.isConnected) return;
        this.#stopWatching();
        this.#call((core) => {
          core.disconnect();
          core.free();
        });
        live.delete(this);
        this.#core = null;
      });
    }

    attributeChangedCallback(attribute, oldValue, newValue) {
      if (oldValue === newValue) return;
      if (this.#core) this.#call((core) => core.attributeChanged(attribute, newValue));
      else if (attribute === 'defer-hydration' && newValue === null && this.isConnected) this.connectedCallback();
    }
  }

  for (const attribute of ATTRIBUTES) {
    const descriptor = BOOLEAN.has(attribute)
      ? {
          get() {
            return this.hasAttribute(attribute);
          },
          set(value) {
            this.toggleAttribute(attribute, Boolean(value));
          },
        }
      : {
          get() {
            const value = this.getAttribute(attribute);
            return NUMBER.has(attribute) && value !== null ? Number(value) : value;
          },
          set(value) {
            if (value === null || value === undefined) this.removeAttribute(attribute);
            else this.setAttribute(attribute, String(value));
          },
        };
    Object.defineProperty(ReferrerDashboard.prototype, camel(attribute), {
      ...descriptor,
      configurable: true,
      enumerable: true,
    });
  }

  customElements.define(name, ReferrerDashboard);
  return ReferrerDashboard;
}
