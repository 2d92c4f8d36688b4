// Entry module of the referrer-dashboard package: importing it in a page starts downloading the
// wasm and defines <referrer-dashboard> (once per page; a second import is harmless). Imported
// where there is no DOM (server-side rendering in Node, a worker), it defines nothing, fetches
// nothing and throws nothing: nothing below touches a browser global unless `inPage`.
import init, { create } from './referrer_dashboard.js';
import { define, isTrap } from './element.js';

/* global RD_WASM_INTEGRITY */
/**
 * The wasm's Subresource Integrity value (`sha384-…`), or '' for none. The CDN build bundles
 * this module with `RD_WASM_INTEGRITY` defined (xtask/src/build.rs: the wasm is hashed first,
 * the bundle after, so the bundle's own integrity covers this value too). In the npm package it
 * is undefined: npm checks the package's files, and the host's bundler or server delivers them.
 */
const integrity = typeof RD_WASM_INTEGRITY === 'string' ? RD_WASM_INTEGRITY : '';

/**
 * Whether this module runs in a page that can have the element. Server renderers (Next.js,
 * SvelteKit, Nuxt, Astro) evaluate the modules of a page on the server too, where these are
 * absent: there the import must be harmless, and the element is defined when the same module
 * runs in the browser.
 */
const inPage = typeof document !== 'undefined' && typeof customElements !== 'undefined' && typeof HTMLElement !== 'undefined';

/** An Error carrying the `rd-error` type the element reports for it. */
const failure = (type, message) => Object.assign(new Error(message), { type });

/**
 * How the wasm is asked for: the request a `<link rel="preload" as="fetch">` must match for the
 * browser to hand it the preloaded answer instead of downloading the file again (README's
 * preload recipe). On the page's own origin, a `no-cors` request with credentials, which is
 * what a preload without `crossorigin` makes: WebKit reuses a preload only for a request with
 * the same headers, and it sends `Origin` with a `crossorigin` preload but not with a
 * same-origin `fetch()`, so the CORS pair downloaded the wasm twice there (Chromium and Firefox
 * match either pair). A same-origin answer is never opaque: the module compiles it as before,
 * and `integrity` is checked. On another origin (a CDN), a CORS request, as
 * `<link rel="preload" as="fetch" crossorigin>` makes.
 */
const requestInit = (url, integrity) =>
  url.origin === location.origin ? { integrity, mode: 'no-cors', credentials: 'include' } : { integrity };

/** The wasm's URL: resolved when needed, not at import (nothing runs at import outside a page). */
const wasmUrl = () => new URL('./referrer_dashboard_bg.wasm', import.meta.url);

/**
 * Whether an error the window saw is this wasm trapping, not another module's: its stack names
 * the wasm (Chromium, Firefox) or this module, whose glue is between every wasm frame and the
 * browser (any engine).
 */
const ours = (error) => isTrap(error) && [wasmUrl().href, import.meta.url].some((url) => String(error.stack).includes(url));

/** The wasm download: the network or the deployment at fault, told apart. */
const downloadWasm = () => {
  const url = wasmUrl();
  return fetch(url, requestInit(url, integrity)).then(
    (response) => {
      if (response.ok) return response;
      throw failure('configuration', `${url} answered HTTP ${response.status}`);
    },
    (error) => {
      const check = integrity ? ', or it failed its integrity check' : '';
      throw failure('network', `${url} could not be downloaded (offline or CORS${check}): ${error.message}`);
    },
  );
};

let ready = null;
/**
 * Instantiates the wasm once per page, however many elements ask. A failure is forgotten, so
 * the next call (an element connected later, or its retry button) tries again.
 */
const load = () =>
  (ready ??= init({ module_or_path: downloadWasm() }).then(
    () => ({ create }),
    (error) => {
      ready = null;
      throw error?.type ? error : failure('configuration', `the wasm could not be started: ${error?.message ?? error}`);
    },
  ));

// The download starts the moment this module runs, before any element asks: the wasm is the
// largest file and the last in the chain, so no round trip waits in front of it. Elements
// already in the page (module scripts run once it is parsed) ask for it themselves, right
// below, unless they are all `loading="lazy"`: those wait until they come near the viewport.
if (inPage && !document.getElementsByTagName('referrer-dashboard').length) load().catch(() => {}); // each element reports a failure itself

// surface:catalogues (generated from src/i18n/catalogues.rs by `cargo xtask surface`)
/**
 * The catalogues of the languages besides English, by primary subtag: modules beside the wasm
 * (`cargo xtask dist` writes them), each imported by a literal `import()`, which bundlers split
 * into a chunk of their own and load only when called (a `new URL()` asset, as the wasm is
 * located, would be inlined into the page's bundle by Vite as a `data:` URL, all seven).
 */
const CATALOGUES = {
  es: () => import('./catalogue-es.js'),
  fr: () => import('./catalogue-fr.js'),
  de: () => import('./catalogue-de.js'),
  pt: () => import('./catalogue-pt.js'),
  ja: () => import('./catalogue-ja.js'),
  ar: () => import('./catalogue-ar.js'),
  he: () => import('./catalogue-he.js'),
};
// /surface:catalogues

/* global RD_CATALOGUES */
/**
 * The CDN build's catalogues: `{ language: { file, integrity } }`, JSON files fetched and
 * checked like the wasm (data, not code: a changed file is refused, and nothing in it runs).
 * Written in at build time (xtask/src/build.rs); undefined in the npm package, whose catalogues
 * are modules, imported.
 */
const cdnCatalogues = typeof RD_CATALOGUES === 'object' ? RD_CATALOGUES : null;

/** A language's catalogue, downloaded: its texts (message id → text). */
const downloadCatalogue = async (language) => {
  if (!cdnCatalogues) return (await CATALOGUES[language]()).default;
  const { file, integrity } = cdnCatalogues[language];
  // `file` a variable, not a literal: bundlers turn a literal or template `new URL(…,
  // import.meta.url)` into assets (a template into every file of the folder).
  const url = new URL(file, import.meta.url);
  const response = await fetch(url, requestInit(url, integrity));
  if (!response.ok) throw new Error(`${url} answered HTTP ${response.status}`);
  return response.json();
};

/** Each language's texts, or the promise of them while downloading. */
const catalogues = new Map();
/**
 * A language's texts, for the core (src/controller.rs): the catalogue's object once downloaded,
 * `null` for a language without one (English is in the wasm), else the promise of either.
 * Downloaded once per page however many elements read it, in parallel with the wasm for the
 * elements in the page. A failure resolves to `null` (the texts stay English), is reported in
 * the console, and is forgotten: the next element asks again (a browser that keeps failed
 * module loads in its module map may answer that from it).
 */
const catalogue = (language) => {
  if (!Object.hasOwn(CATALOGUES, language)) return null;
  if (!catalogues.has(language)) {
    const texts = downloadCatalogue(language)
      .then(
        (object) => {
          catalogues.set(language, object);
          return object;
        },
        (error) => {
          catalogues.delete(language);
          console.warn(`referrer-dashboard: the "${language}" catalogue could not be loaded (${error?.message ?? error}); its texts are shown in English`);
          return null;
        },
      );
    catalogues.set(language, texts);
  }
  return catalogues.get(language);
};

/** The element's class; `undefined` where there is no DOM (nothing was defined). */
export const ReferrerDashboard = inPage ? define(load, undefined, ours, catalogue) : undefined;
export default ReferrerDashboard;
