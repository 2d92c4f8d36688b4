// The <referrer-dashboard> element class.
//
// WebAssembly cannot subclass HTMLElement, so this file does only that: it owns the element,
// its shadow root and its properties, and forwards every lifecycle callback to the Rust core
// (src/element.rs). Logic lives in Rust.

/** Observed attributes, each reflected as a camelCase property (SPEC §4). */
export const ATTRIBUTES = ['endpoint', 'credentials', 'theme', 'locale', 'page-size', 'channels', 'demo'];

const BOOLEAN = new Set(['demo']);
const NUMBER = new Set(['page-size']);
const camel = (name) => name.replace(/-([a-z])/g, (_, c) => c.toUpperCase());

/** Whether the page's deferred and module scripts may still run (DOMContentLoaded not yet). */
const scriptsPending = () => {
  if (document.readyState === 'complete') return false;
  const navigation = performance.getEntriesByType?.('navigation')[0];
  return navigation ? !(navigation.domContentLoadedEventStart > 0) : document.readyState === 'loading';
};

/**
 * Defines the element once per page and returns its class.
 *
 * @param {() => Promise<{create: (host: HTMLElement, root: ShadowRoot) => object}>} load
 *   resolves to the wasm exports (memoised by the caller: instantiated once per page).
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
      load().then(
        (exports) => {
          wasm = exports;
          if (this.#core || !this.isConnected) {
            early?.abort.abort();
            return;
          }
          this.#core = wasm.create(this, root);
          this.#core.connect(early);
        },
        (error) => {
          this.dispatchEvent(
            new CustomEvent('rd-error', {
              bubbles: true,
              composed: true,
              detail: { type: 'configuration', message: `the widget could not start: ${error?.message ?? error}` },
            }),
          );
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
      const mode = this.getAttribute('credentials');
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
