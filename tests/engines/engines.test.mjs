// What matters to a user, in the three engines of SPEC §4 (Chromium, Firefox ESR, WebKitGTK),
// one after another, against one reference backend (sandbox) and one test host (./host.mjs).
// Every test is named after its engine, so a failure says where. Downloads are counted on the
// server, which sees the same requests whatever the engine.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PACKAGE_DIR, startDemo } from '../e2e/helpers.mjs';
import { ENGINES, launch, webkitConsole } from './drivers.mjs';
import { head, startHost } from './host.mjs';

const CDN_DIR = process.env.RD_CDN_DIR ?? 'target/dist/cdn';
const ROOT = new URL('../../', import.meta.url).pathname;

/** The sandbox's demo user Ada, as the demo page shows her. */
const ADA = { stats: ['1,204', '37', '12'], referrals: 5 };
/** The card's background in each theme (the defaults of SPEC §4's --rd-color-surface). */
const SURFACE = { light: 'rgb(255, 255, 255)', dark: 'rgb(17, 24, 39)' };
/** The skeleton's bones in each theme (--rd-color-background). */
const BONE = { light: 'rgb(243, 244, 246)', dark: 'rgb(31, 41, 55)' };

/**
 * The preload recipe as the README gives it: the `<link>` lines of the first html block after
 * "Fast on a phone.", with their `/referrer-dashboard/` folder.
 */
async function preloadRecipe() {
  const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
  const from = readme.indexOf('**Fast on a phone.**');
  const block = /```html\n([\s\S]*?)```/.exec(readme.slice(from));
  assert.ok(from >= 0 && block, 'the README has its preload recipe');
  const lines = block[1].trim().split('\n');
  assert.ok(lines.length > 0 && lines.every((l) => l.startsWith('<link ')), block[1]);
  return lines;
}

/** The heading of the referrals list in the wasm's data, and a same-length forgery. */
const GENUINE = Buffer.from('Your referrals');
const FORGED = Buffer.from('TAMPERED WASM!');

/** `wasm` with the heading forged: still valid WebAssembly, which would run if unchecked. */
function forge(wasm) {
  const at = wasm.indexOf(GENUINE);
  assert.ok(at >= 0, 'the heading text is in the wasm');
  const forged = Buffer.from(wasm);
  FORGED.copy(forged, at);
  return forged;
}

/**
 * What each engine says when the wasm fails its integrity check: its own words in the console
 * (where its driver can read them) and in the `TypeError` the fetch rejects with, which the
 * element passes on in `rd-error`'s message. The troubleshooting guide quotes these (checked).
 */
const INTEGRITY_WORDS = {
  chromium: { console: ["Failed to find a valid digest in the 'integrity' attribute"], error: 'Failed to fetch' },
  firefox: { console: ['None of the “sha384” hashes in the integrity attribute match the content of the subresource'], error: 'NetworkError when attempting to fetch resource.' },
  webkit: { console: ['Failed integrity metadata check.', 'due to access control checks.'], error: 'Load failed' },
};

// Functions run in the page (serialised: they see only their argument).

/** The first element's shadow root, queried. */
const shadowCount = (selector) => document.querySelector('referrer-dashboard').shadowRoot.querySelectorAll(selector).length;
const shadowTexts = (selector) =>
  [...document.querySelector('referrer-dashboard').shadowRoot.querySelectorAll(selector)].map((e) => e.textContent.trim());
/** The recorded rd-* events of `type` (details), once there are at least `n`. */
const eventsOnce = ({ type, n }) => {
  const found = window.__rd.events.filter((e) => e.type === type).map((e) => e.detail);
  return found.length >= n ? found : null;
};
/** What the recorder saw go wrong: CSP violations and uncaught errors. */
const problems = () => ({ csp: window.__rd.csp, errors: window.__rd.errors });
/** Two animation frames: layout and intersection observers have run by then. */
const frames = () => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => resolve(true))));

let backend;
let host;
before(async () => {
  backend = await startDemo();
  host = await startHost({ packageDir: PACKAGE_DIR, cdnDir: CDN_DIR, backend: backend.url });
});
after(async () => {
  await host?.close();
  await backend?.stop();
});

/** A host script handing every element the demo user's token, as demo.js does. */
const tokenScript = (site, user = 'ada') => `for (const element of document.querySelectorAll('referrer-dashboard')) {
  element.getAuthToken = async () => (await (await fetch('${site.base}demo/token?user=${user}')).json()).token;
}`;

/** A page loading the npm package (from `folder(site)`) with `extraHead`, and `body`. */
const packagePage = (extraHead, body, folder = (site) => `${site.base}pkg/`) => (site) => `<!doctype html><html lang="en"><head>${head(site)}${extraHead(site)}
<script type="module" src="${folder(site)}referrer-dashboard.js"></script>
<script type="module" src="${site.base}host.js"></script></head>
<body>${body(site)}</body></html>`;

/** One element fetching Ada's session from the page's own backend. */
const element = (site, attributes = '') =>
  `<referrer-dashboard endpoint="${site.base}api/referral-dashboard" locale="en-US" ${attributes}></referrer-dashboard>`;

/**
 * A check's site: a page loading the npm package, `extraHead(site)` in its head and `body(site)`
 * (one element by default) in its body, the token script as `host.js`, and more `scripts`.
 */
function packageSite({ extraHead = () => '', body = (site) => `<main>${element(site)}</main>`, scripts = {}, holdWasm = false, folder, csp } = {}) {
  return host.site({
    html: packagePage(extraHead, body, folder),
    scripts: (site) => ({ 'host.js': tokenScript(site), ...scripts }),
    holdWasm,
    csp,
  });
}

/** The strict CSP of SPEC §4, widened to the CDN origin (scripts and fetches), as a host sets it. */
const cdnCsp = () => `default-src 'self'; script-src 'self' ${host.cdn} 'wasm-unsafe-eval'; style-src 'self'; connect-src 'self' ${host.cdn}`;

/** A site with one element (and `attributes`) and a text field to paste into. */
const dashboardSite = (attributes = '') =>
  packageSite({ body: (site) => `<main>${element(site, attributes)}</main><p><input id="paste" aria-label="paste here"></p>` });

/** Resolves once `condition()` holds on this side (the server's counts), polling. */
async function until(condition, what, ms = 20_000) {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Nothing went wrong on the page: no CSP violation, no uncaught error, a clean console. */
async function assertClean(browser) {
  assert.deepEqual(await browser.evaluate(problems), { csp: [], errors: [] }, `${browser.name}: CSP violations or errors`);
  const messages = browser.console();
  if (messages !== null) assert.deepEqual(messages, [], `${browser.name}: console errors or warnings`);
}

for (const engine of ENGINES) {
  describe(engine, () => {
    let adapter;
    /** The adapter, its `console()` limited to the messages of the current test. */
    let browser;
    let seen = 0;
    before(async () => {
      adapter = await launch(engine);
      browser = { ...adapter, console: () => adapter.console()?.slice(seen) ?? null };
      process.stdout.write(`# ${engine}: ${adapter.version}\n`);
    });
    after(() => adapter?.close());
    const check = (name, body) =>
      test(`[${engine}] ${name}`, async (t) => {
        seen = adapter.console()?.length ?? 0;
        await body(t);
      });

    check('the demo page (strict CSP, preload recipe) renders the sandbox user and fetches the wasm once', async () => {
      const from = host.demoRequests.length;
      await browser.open(`${host.demo}/`);
      const stats = await browser.waitFor(
        (selector) => {
          const root = document.querySelector('referrer-dashboard')?.shadowRoot;
          const values = root ? [...root.querySelectorAll(selector)].map((e) => e.textContent.trim()) : [];
          return values.length === 3 ? values : null;
        },
        '[part="stat-value"]',
        'the demo dashboard',
      );
      assert.deepEqual(stats, ADA.stats);
      const asked = host.demoRequests.slice(from);
      assert.deepEqual(asked.filter((p) => p.endsWith('.wasm')), ['/referrer-dashboard/referrer_dashboard_bg.wasm'], 'one wasm download');
      assert.equal(asked.filter((p) => p === '/referrer-dashboard/referrer-dashboard.js').length, 1, 'one module download');
      const messages = browser.console();
      if (messages !== null) assert.deepEqual(messages, [], `${engine}: console errors or warnings`);
    });

    check('the element is defined and draws its skeleton before the wasm arrives, light and dark; the dashboard replaces it', async () => {
      const site = packageSite({
        body: (site) => `<main>${element(site, 'id="light" theme="light"')}${element(site, 'id="dark" theme="dark"')}</main>`,
        holdWasm: true,
      });
      await browser.open(site.url);
      assert.equal(await browser.evaluate(() => typeof customElements.get('referrer-dashboard')), 'function');
      const skeleton = await browser.waitFor(
        () =>
          ['light', 'dark'].every((id) =>
            document.getElementById(id).shadowRoot?.querySelector('section[part="card"][aria-busy="true"] .skeleton[role="status"]'),
          ) &&
          ['light', 'dark'].map((id) => {
            const root = document.getElementById(id).shadowRoot;
            return {
              card: getComputedStyle(root.querySelector('.card')).backgroundColor,
              bone: getComputedStyle(root.querySelector('.bone')).backgroundColor,
              label: root.querySelector('.sr-only').textContent,
            };
          }),
        null,
        'the loader skeletons',
      );
      assert.deepEqual(skeleton, [
        { card: SURFACE.light, bone: BONE.light, label: 'Loading your referral dashboard' },
        { card: SURFACE.dark, bone: BONE.dark, label: 'Loading your referral dashboard' },
      ]);
      await until(() => site.count('.wasm') === 1, 'the wasm request');

      site.releaseWasm();
      await browser.waitFor(eventsOnce, { type: 'rd-load', n: 2 }, 'rd-load of both elements');
      const loaded = await browser.evaluate(() =>
        ['light', 'dark'].map((id) => {
          const root = document.getElementById(id).shadowRoot;
          return {
            skeletons: root.querySelectorAll('.skeleton').length,
            busy: root.querySelector('[part="card"]').getAttribute('aria-busy'),
            card: getComputedStyle(root.querySelector('[part="card"]')).backgroundColor,
            stats: [...root.querySelectorAll('[part="stat-value"]')].map((e) => e.textContent.trim()),
          };
        }),
      );
      assert.deepEqual(loaded, [
        { skeletons: 0, busy: 'false', card: SURFACE.light, stats: ADA.stats },
        { skeletons: 0, busy: 'false', card: SURFACE.dark, stats: ADA.stats },
      ]);
      assert.equal(site.count('.wasm'), 1, 'the wasm once for both elements');
      assert.equal(site.count('api/referral-dashboard'), 2, 'one session request per element');
      await assertClean(browser);
    });

    check('copy puts the link on the clipboard, says Copied and fires rd-copy', async () => {
      const site = dashboardSite();
      await browser.open(site.url);
      await browser.waitFor(eventsOnce, { type: 'rd-load', n: 1 }, 'rd-load');
      const link = await browser.evaluate(() => document.querySelector('referrer-dashboard').shadowRoot.querySelector('[part="link"]').value);
      assert.match(link, /^http:\/\/127\.0\.0\.1:\d+\/r\/[A-Za-z0-9]+$/);
      await browser.click('[part="copy-button"]');
      const [copied] = await browser.waitFor(eventsOnce, { type: 'rd-copy', n: 1 }, 'rd-copy');
      assert.deepEqual(copied, { link });
      assert.deepEqual(await browser.evaluate(shadowTexts, '[part="copy-button"]'), ['Copied']);
      await browser.paste('#paste');
      assert.equal(await browser.waitFor(() => document.querySelector('#paste').value, null, 'the pasted link'), link);
      await assertClean(browser);
    });

    check('Show more reveals five more referrals', async () => {
      const site = dashboardSite();
      await browser.open(site.url);
      await browser.waitFor(eventsOnce, { type: 'rd-load', n: 1 }, 'rd-load');
      assert.equal(await browser.evaluate(shadowCount, '[part="referral"]'), ADA.referrals);
      await browser.click('[part="more-button"]');
      await browser.waitFor((selector) => document.querySelector('referrer-dashboard').shadowRoot.querySelectorAll(selector).length === 10, '[part="referral"]', 'ten referrals');
      await assertClean(browser);
    });

    check('theme="dark" and theme="light" recolour the card at once', async () => {
      const site = dashboardSite('theme="light"');
      await browser.open(site.url);
      await browser.waitFor(eventsOnce, { type: 'rd-load', n: 1 }, 'rd-load');
      const background = () => getComputedStyle(document.querySelector('referrer-dashboard').shadowRoot.querySelector('[part="card"]')).backgroundColor;
      assert.equal(await browser.evaluate(background), SURFACE.light);
      await browser.evaluate(() => document.querySelector('referrer-dashboard').setAttribute('theme', 'dark'));
      assert.equal(await browser.evaluate(background), SURFACE.dark);
      await browser.evaluate(() => document.querySelector('referrer-dashboard').setAttribute('theme', 'light'));
      assert.equal(await browser.evaluate(background), SURFACE.light);
      await assertClean(browser);
    });

    check('loading="lazy" fetches neither the wasm nor a session until the element nears the viewport', async () => {
      const site = packageSite({
        body: (site) => `<main><div id="spacer"></div><script src="${site.base}spacer.js"></script>${element(site, 'loading="lazy"')}</main>`,
        // The strict CSP allows styles set through the CSSOM, not in markup.
        scripts: { 'spacer.js': "document.querySelector('#spacer').style.blockSize = '4000px';" },
      });
      await browser.open(site.url);
      await browser.waitFor(() => Boolean(document.querySelector('referrer-dashboard').shadowRoot?.querySelector('.skeleton')), null, 'the skeleton');
      await browser.evaluate(frames);
      assert.equal(await browser.evaluate(() => document.querySelector('#spacer').offsetHeight), 4000, 'the element is far below');
      assert.equal(site.count('.wasm'), 0, 'no wasm request');
      assert.equal(site.count('api/referral-dashboard'), 0, 'no session request');

      // Within 600 px of the viewport, not yet visible: it loads.
      await browser.evaluate(() => window.scrollTo(0, 4000 - innerHeight - 300));
      await browser.waitFor(eventsOnce, { type: 'rd-load', n: 1 }, 'rd-load after scrolling');
      assert.equal(site.count('.wasm'), 1);
      assert.equal(site.count('api/referral-dashboard'), 1);
      await assertClean(browser);
    });

    check("the README's preload recipe fetches the module and the wasm once each", async () => {
      const recipe = await preloadRecipe();
      const site = packageSite({ extraHead: (site) => recipe.map((line) => line.replaceAll('/referrer-dashboard/', `${site.base}pkg/`)).join('\n') });
      await browser.open(site.url);
      await browser.waitFor(eventsOnce, { type: 'rd-load', n: 1 }, 'rd-load');
      assert.equal(site.count('referrer_dashboard_bg.wasm'), 1, 'one wasm download');
      assert.equal(site.count('referrer-dashboard.js'), 1, 'one module download');
      await assertClean(browser);
    });

    check("the recipe with the package on another origin, crossorigin on the wasm's link: each file once", async () => {
      const recipe = await preloadRecipe();
      const site = packageSite({
        extraHead: (site) =>
          recipe
            .map((line) => line.replaceAll('/referrer-dashboard/', `${site.cdn}pkg/`))
            .map((line) => (line.includes('.wasm') ? line.replace(' as="fetch"', ' as="fetch" crossorigin') : line))
            .join('\n'),
        folder: (site) => `${site.cdn}pkg/`,
        csp: cdnCsp,
      });
      await browser.open(site.url);
      await browser.waitFor(eventsOnce, { type: 'rd-load', n: 1 }, 'rd-load');
      assert.equal(site.count('referrer_dashboard_bg.wasm'), 1, 'one wasm download');
      assert.equal(site.count('referrer-dashboard.js'), 1, 'one module download');
      await assertClean(browser);
    });

    const cdnSite = async (change) => {
      const manifest = JSON.parse(await readFile(join(CDN_DIR, 'manifest.json'), 'utf8'));
      const site = host.site({
        // The manifest's tag as is; its src is relative to the CDN folder, which <base> names.
        html: (site) => `<!doctype html><html lang="en"><head>${head(site)}<base href="${site.cdn}">
${manifest.html}
<script type="module" src="${site.base}host.js"></script></head>
<body><main>${element(site, 'theme="light"')}</main></body></html>`,
        scripts: (site) => ({ 'host.js': tokenScript(site) }),
        csp: cdnCsp,
      });
      if (change) site.change = change(manifest);
      return { site, manifest };
    };

    check('the CDN build loads from another origin with SRI and renders; each file once', async () => {
      const { site, manifest } = await cdnSite();
      await browser.open(site.url);
      await browser.waitFor(eventsOnce, { type: 'rd-load', n: 1 }, 'rd-load');
      assert.deepEqual(await browser.evaluate(shadowTexts, '[part="stat-value"]'), ADA.stats);
      const files = Object.values(manifest.files).map((f) => f.file).sort();
      const loaded = [manifest.entry, manifest.files['referrer_dashboard_bg.wasm'].file].sort();
      assert.deepEqual(site.requests.filter((f) => files.includes(f)).sort(), loaded, 'the module and the wasm, once each; no catalogue for English');
      await assertClean(browser);
    });

    check('a wasm changed on the CDN fails its integrity check: rd-error network, the error state, none of it runs', async (t) => {
      const { site } = await cdnSite((manifest) => (file, body) => (file === manifest.files['referrer_dashboard_bg.wasm'].file ? forge(body) : body));
      await browser.open(site.url);
      const [error] = await browser.waitFor(eventsOnce, { type: 'rd-error', n: 1 }, 'rd-error');
      assert.equal(error.type, 'network');
      assert.match(error.message, /failed its integrity check/);
      await browser.waitFor((selector) => document.querySelector('referrer-dashboard').shadowRoot.querySelectorAll(selector).length > 0, '[part="error"]', 'the error state');
      assert.deepEqual(await browser.evaluate(shadowTexts, '[part="error"] p'), ["We couldn't load your referral dashboard."]);
      assert.equal(await browser.evaluate(shadowCount, '[part="stat-value"]'), 0, 'no dashboard');
      assert.equal(await browser.evaluate(() => document.documentElement.outerHTML.includes('TAMPERED')), false);
      assert.deepEqual(await browser.evaluate(problems), { csp: [], errors: [] });

      // The engine's own words, in the console: WebKit's read from a second, unautomated load.
      const words = INTEGRITY_WORDS[engine];
      assert.ok(error.message.endsWith(`: ${words.error}`), `${engine}'s own words end the message: ${error.message}`);
      const said = (lines) => words.console.every((w) => lines.some((line) => line.includes(w)));
      let messages = browser.console();
      if (messages === null) {
        const { site: again } = await cdnSite((manifest) => (file, body) => (file === manifest.files['referrer_dashboard_bg.wasm'].file ? forge(body) : body));
        messages = await webkitConsole(again.url, said, 'the integrity failure in the console');
      }
      t.diagnostic(`${engine} rd-error message: ${error.message}`);
      t.diagnostic(`${engine} console: ${messages.join(' | ')}`);
      assert.ok(said(messages), `${engine} says ${words.console.join(' … ')} in the console: ${messages.join(' | ')}`);
      const guide = await readFile(join(ROOT, 'www/docs/troubleshooting.html'), 'utf8');
      for (const quoted of [words.error, ...words.console]) {
        assert.ok(guide.includes(quoted), `the troubleshooting guide quotes ${engine}: ${quoted}`);
      }
    });
  });
}

