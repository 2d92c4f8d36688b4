// The <referrer-dashboard> element class.
//
// WebAssembly cannot subclass HTMLElement, so this file does only that: it owns the element,
// its shadow root and its properties, and forwards every lifecycle callback to the Rust core
// (src/element.rs). Logic lives in Rust; the one screen drawn here is the error state for when
// the wasm, and with it the Rust UI, cannot be loaded.

// surface:attributes (generated from src/surface.rs by `cargo xtask surface`)
/** Observed attributes, each reflected as a camelCase property (SPEC §4). */
export const ATTRIBUTES = ['endpoint', 'credentials', 'theme', 'locale', 'page-size', 'channels', 'demo'];
const BOOLEAN = new Set(['demo']);
const NUMBER = new Set(['page-size']);
// /surface:attributes
const camel = (name) => name.replace(/-([a-z])/g, (_, c) => c.toUpperCase());

/** Whether the page's deferred and module scripts may still run (DOMContentLoaded not yet). */
const scriptsPending = () => {
  if (document.readyState === 'complete') return false;
  const navigation = performance.getEntriesByType?.('navigation')[0];
  return navigation ? !(navigation.domContentLoadedEventStart > 0) : document.readyState === 'loading';
};

/**
 * The error state the loader draws when the wasm cannot be loaded (offline, a failed integrity
 * check, a wrong MIME type): the Rust UI and its stylesheet are inside the wasm, so this one is
 * plain DOM with a small stylesheet of its own, using the same parts and `--rd-*` properties.
 * Its texts ("title", "error-title", "retry") are the catalogues' (generated below from
 * src/surface.rs and src/i18n/catalogues.rs) and the host's `strings` overrides apply.
 */
// surface:failure-texts (generated from src/surface.rs by `cargo xtask surface`)
const FAILURE_TEXTS = {
  en: ["Your referral dashboard", "We couldn't load your referral dashboard.", "Try again"],
  es: ["Tu panel de referidos", "No hemos podido cargar tu panel de referidos.", "Reintentar"],
  fr: ["Votre tableau de bord de parrainage", "Impossible de charger votre tableau de bord de parrainage.", "Réessayer"],
  de: ["Ihr Empfehlungs-Dashboard", "Ihr Empfehlungs-Dashboard konnte nicht geladen werden.", "Erneut versuchen"],
  pt: ["Seu painel de indicações", "Não foi possível carregar seu painel de indicações.", "Tentar novamente"],
  ja: ["紹介ダッシュボード", "紹介ダッシュボードを読み込めませんでした。", "再試行"],
  ar: ["لوحة الإحالات الخاصة بك", "تعذّر تحميل لوحة الإحالات الخاصة بك.", "إعادة المحاولة"],
  he: ["לוח ההפניות שלך", "לא הצלחנו לטעון את לוח ההפניות שלך.", "ניסיון חוזר"],
};
/** Other subtags of the same languages. */
const ALIASES = { iw: 'he' };
/** Languages written right to left (as `i18n::is_rtl`). */
const RTL = ['ar', 'he', 'iw', 'fa', 'ur', 'ps', 'yi', 'dv', 'ckb', 'sd', 'ug'];
// /surface:failure-texts
const FAILURE_CSS = `:host{display:block;color-scheme:light dark;font-family:var(--rd-font-family,inherit);font-size:var(--rd-font-size,1rem);font-style:normal;font-weight:400;line-height:1.5;letter-spacing:normal;word-spacing:normal;text-align:start;text-indent:0;text-transform:none;text-shadow:none;white-space:normal}
:host([hidden]){display:none}:host([theme=light]){color-scheme:light}:host([theme=dark]){color-scheme:dark}
.card{padding:var(--rd-spacing,16px);background:var(--rd-color-surface,light-dark(#fff,#111827));color:var(--rd-color-text,light-dark(#111827,#f9fafb));border:1px solid var(--rd-color-border,light-dark(#d1d5db,#4b5563));border-radius:var(--rd-radius,12px)}
.error{display:flex;flex-direction:column;align-items:flex-start;gap:calc(var(--rd-spacing,16px)/2);padding-inline-start:calc(var(--rd-spacing,16px)*.75);border-inline-start:4px solid var(--rd-color-danger,light-dark(#b91c1c,#fca5a5))}
p{margin:0;font-weight:600;color:var(--rd-color-danger,light-dark(#b91c1c,#fca5a5))}
button{min-block-size:2.75em;padding:.5em 1em;font:inherit;font-weight:600;line-height:1.2;color:var(--rd-color-on-primary,light-dark(#fff,#0b1220));background:var(--rd-color-primary,light-dark(#2563eb,#93c5fd));border:1px solid var(--rd-color-primary,light-dark(#2563eb,#93c5fd));border-radius:calc(var(--rd-radius,12px)/2);cursor:pointer}
button:disabled{cursor:progress;opacity:.7}button:focus-visible{outline:3px solid var(--rd-color-primary,light-dark(#2563eb,#93c5fd));outline-offset:2px}`;
let failureSheet = null;

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

/** Draws the loader's error state into `root`; `retry` runs when its button is pressed. */
function showFailure(host, root, retry) {
  if (!failureSheet) {
    failureSheet = new CSSStyleSheet();
    failureSheet.replaceSync(FAILURE_CSS);
  }
  root.adoptedStyleSheets = [failureSheet];
  const locale = localeOf(host);
  const language = locale.split(/[-_]/)[0].toLowerCase();
  const key = Object.hasOwn(ALIASES, language) ? ALIASES[language] : language;
  const catalogue = Object.hasOwn(FAILURE_TEXTS, key) ? FAILURE_TEXTS[key] : FAILURE_TEXTS.en;
  const strings = host.strings ?? {};
  const [title, message, again] = ['title', 'error-title', 'retry'].map((id, i) =>
    typeof strings[id] === 'string' ? strings[id] : catalogue[i],
  );
  const make = (tag, attributes, text) => {
    const element = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
    if (text) element.textContent = text;
    return element;
  };
  const card = make('section', { part: 'card', class: 'card', 'aria-label': title, lang: locale, dir: RTL.includes(language) ? 'rtl' : 'ltr' });
  const box = make('div', { part: 'error', class: 'error', role: 'alert' });
  const button = make('button', { part: 'retry-button', type: 'button', class: 'primary' }, again);
  button.addEventListener('click', () => {
    button.disabled = true;
    button.setAttribute('aria-busy', 'true');
    retry();
  });
  box.append(make('p', {}, message), button);
  card.append(box);
  root.replaceChildren(card);
}

/**
 * Defines the element once per page and returns its class.
 *
 * @param {() => Promise<{create: (host: HTMLElement, root: ShadowRoot) => object}>} load
 *   resolves to the wasm exports (memoised by the caller: instantiated once per page; called
 *   again after a failure, to retry). A rejection's `type` is the `rd-error` type to report
 *   (`configuration` when it has none).
 * @param {string} [name] the tag name.
 */
export function define(load, name = 'referrer-dashboard') {
  const existing = customElements.get(name);
  if (existing) return existing;

  /** The wasm exports once loaded: later elements are created without waiting. */
  let wasm = null;

  class ReferrerDashboard extends HTMLElement {
    static observedAttributes = ATTRIBUTES;

    #core = null;
    #getAuthToken = null;
    #strings = {};
    #upgraded = false;

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
      this.#core?.setStrings(this.#strings);
    }

    /** The last valid dashboard session, or null. */
    get session() {
      return this.#core ? this.#core.session() : null;
    }

    /** Fetches a new session now; resolves when the request has settled. */
    refresh() {
      return this.#core ? this.#core.refresh() : Promise.resolve();
    }

    connectedCallback() {
      if (!this.#upgraded) {
        this.#upgraded = true;
        // A framework may set properties before the element is defined; those own
        // properties hide the accessors, so move them onto the accessors now.
        for (const prop of [...ATTRIBUTES.map(camel), 'getAuthToken', 'strings']) {
          if (Object.prototype.hasOwnProperty.call(this, prop)) {
            const value = this[prop];
            delete this[prop];
            this[prop] = value;
          }
        }
      }
      const root = this.shadowRoot ?? this.attachShadow({ mode: 'open' });
      if (this.#core) {
        this.#core.connect(null);
        return;
      }
      if (wasm) {
        this.#core = wasm.create(this, root);
        this.#core.connect(null);
        return;
      }
      // The wasm is still loading: start the session request now, in parallel, and hand it
      // to the core (which checks the answer like any other and owns its timeout).
      const early = this.#prefetch();
      this.#start(root, early);
    }

    /** Creates the core once the wasm is there; if it cannot be loaded, says so and shows why. */
    #start(root, early) {
      load().then(
        (exports) => {
          wasm = exports;
          if (this.#core || !this.isConnected) {
            early?.abort.abort();
            return;
          }
          root.replaceChildren(); // the loader's error state, after a retry
          this.#core = wasm.create(this, root);
          this.#core.connect(early);
        },
        (error) => {
          early?.abort.abort();
          if (this.#core || !this.isConnected) return;
          this.dispatchEvent(
            new CustomEvent('rd-error', {
              bubbles: true,
              composed: true,
              detail: {
                type: error?.type ?? 'configuration',
                message: `the widget could not start: ${error?.message ?? error}`,
              },
            }),
          );
          showFailure(this, root, () => this.#start(root, null));
        },
      );
    }

    /**
     * `{ response, abort }` for the session request, or null (no endpoint, or demo). `response`
     * resolves to the `Response`, or to null when the core should ask itself.
     */
    #prefetch() {
      const endpoint = this.getAttribute('endpoint')?.trim();
      if (!endpoint || this.hasAttribute('demo')) return null;
      const abort = new AbortController();
      // Read as the core reads it (config::Credentials::parse): trimmed, any case.
      const mode = this.getAttribute('credentials')?.trim().toLowerCase();
      const credentials = mode === 'include' || mode === 'omit' ? mode : 'same-origin';
      const response = (async () => {
        // A host usually sets getAuthToken from its own script, which runs after this module:
        // while the page's deferred and module scripts are still running (until
        // DOMContentLoaded), wait for them, then give the host one task more before deciding
        // there is none. Never longer than the wasm takes: the core would ask by then anyway.
        if (typeof this.getAuthToken !== 'function') {
          if (scriptsPending()) {
            await Promise.race([
              new Promise((r) => document.addEventListener('DOMContentLoaded', r, { once: true })),
              load().catch(() => {}),
            ]);
          }
          await new Promise((r) => setTimeout(r, 0));
        }
        let token = null;
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
        }
        const headers = { Accept: 'application/json' };
        if (token) headers.Authorization = `Bearer ${token}`;
        return fetch(endpoint, { credentials, headers, signal: abort.signal });
      })();
      response.catch(() => {}); // the core reports failures
      return { response, abort };
    }

    disconnectedCallback() {
      // Moving the element (removed and inserted in one task) must not tear it down, so
      // decide once the current task is done.
      queueMicrotask(() => {
        if (this.isConnected || !this.#core) return;
        this.#core.disconnect();
        this.#core.free();
        this.#core = null;
      });
    }

    attributeChangedCallback(attribute, oldValue, newValue) {
      if (oldValue !== newValue) this.#core?.attributeChanged(attribute, newValue);
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
