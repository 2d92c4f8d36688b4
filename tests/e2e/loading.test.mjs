// Before the wasm: the loader's skeleton (under the strict CSP, in both themes, without an
// accessibility violation, and about the size of the dashboard that replaces it; the app
// mounts only once its session is in, so it never draws a second skeleton),
// and loading="lazy" fetching nothing until the element comes near the viewport.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { launch, nthEvent } from './helpers.mjs';
import { openWidget, referrals, session, startHarness } from './harness.mjs';

const require = createRequire(import.meta.url);
const AXE = await readFile(require.resolve('axe-core/axe.min.js'), 'utf8');

let browser;
before(async () => {
  browser = await launch();
});
after(() => browser.close());

/** Sets `window.__wasmUp` once a wasm instance exists. */
const WATCH = `for (const name of ['instantiate', 'instantiateStreaming']) {
  const original = WebAssembly[name];
  WebAssembly[name] = (...args) => original.apply(WebAssembly, args).then((result) => ((window.__wasmUp = true), result));
}`;

/** A page with the element in its HTML, as a host writes it. */
const page = (attributes, before = '') => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>test host</title>
<script type="module" src="/pkg/referrer-dashboard.js"></script></head>
<body><main id="main">${before}<referrer-dashboard endpoint="/session" locale="en-US" ${attributes}></referrer-dashboard></main></body></html>`;

/**
 * Pushes the element 4,000 px down. A classic script (it runs before the package's module, and
 * the strict CSP allows styles set through the CSSOM, not in markup).
 */
const SPACER = "document.querySelector('#spacer').style.blockSize = '4000px';";

/** A promise and the function that resolves it. */
function gate() {
  let open;
  const opened = new Promise((resolve) => (open = resolve));
  return { opened, open };
}

/** Holds every request for the wasm until `open()`; records their URLs in `urls`. */
async function holdWasm(context) {
  const { opened, open } = gate();
  const urls = [];
  await context.route('**/*.wasm', async (route) => {
    urls.push(route.request().url());
    await opened;
    await route.continue();
  });
  return { open, urls };
}

/** The loaded card's session: a full first page and more behind it, as most referrers have. */
const FULL = () => ({ body: session({ referrals: { items: referrals(7), next: 'c1' } }) });

/** The card's border-box height. */
const cardHeight = (page) =>
  page.evaluate(() => document.querySelector('referrer-dashboard').shadowRoot.querySelector('[part="card"]').getBoundingClientRect().height);

for (const theme of ['light', 'dark']) {
  test(`the skeleton is on screen before the wasm arrives, under the strict CSP, ${theme}; the dashboard replaces it`, async (t) => {
    const harness = await startHarness();
    t.after(() => harness.close());
    const session = gate();
    harness.endpoint = async () => (await session.opened, FULL());
    harness.page = page(`theme="${theme}"`);
    const context = await browser.newContext({ viewport: { width: 640, height: 900 } });
    t.after(() => context.close());
    const wasm = await holdWasm(context);
    await context.addInitScript(WATCH);
    const { page: tab } = await openWidget(browser, harness, { context });
    const widget = tab.locator('referrer-dashboard');

    const skeleton = widget.locator('section[part="card"][aria-busy="true"] .skeleton[role="status"]');
    await skeleton.waitFor();
    assert.equal(wasm.urls.length, 1, 'the wasm was asked for');
    assert.equal(await skeleton.locator('.sr-only').textContent(), 'Loading your referral dashboard');
    assert.equal(await widget.locator('[part="card"]').getAttribute('aria-label'), 'Your referral dashboard');
    // Themed by the same variables: the card takes the theme's surface, the bones its background.
    const colors = await tab.evaluate(() => {
      const root = document.querySelector('referrer-dashboard').shadowRoot;
      const style = (selector) => getComputedStyle(root.querySelector(selector));
      return { card: style('.card').backgroundColor, bone: style('.bone').backgroundColor, sheets: root.adoptedStyleSheets.length };
    });
    assert.deepEqual(colors, theme === 'light'
      ? { card: 'rgb(255, 255, 255)', bone: 'rgb(243, 244, 246)', sheets: 1 }
      : { card: 'rgb(17, 24, 39)', bone: 'rgb(31, 41, 55)', sheets: 1 });
    await tab.evaluate(AXE);
    const violations = await tab.evaluate(async () =>
      (await window.axe.run('referrer-dashboard', { resultTypes: ['violations'] })).violations.map((v) => v.id),
    );
    assert.deepEqual(violations, []);
    const drawnByLoader = await cardHeight(tab);
    // The loader's mount point (the app mounts in a new one that replaces it).
    await tab.evaluate(() => (window.__loaderMount = document.querySelector('referrer-dashboard').shadowRoot.firstElementChild));

    // The wasm arrives and runs while the session is still out: the loader's skeleton stays
    // (no second skeleton of the app's own replaces it; the app mounts with something to show).
    wasm.open();
    await tab.waitForFunction(() => window.__wasmUp);
    // The loader creates the core in the promise callbacks after the instance: done by the next frame.
    await tab.evaluate(() => new Promise((r) => requestAnimationFrame(r)));
    const mounted = () => tab.evaluate(() => document.querySelector('referrer-dashboard').shadowRoot.firstElementChild !== window.__loaderMount);
    assert.equal(await mounted(), false, 'the app is not mounted before the session is in');
    assert.equal(await skeleton.count(), 1, "the loader's skeleton is still on screen");

    // The session arrives: the dashboard, about as tall as the skeleton was.
    session.open();
    await nthEvent(tab, 'rd-load');
    assert.equal(await mounted(), true, 'the app mounted in its own mount point');
    assert.equal(await widget.locator('.skeleton').count(), 0);
    assert.equal(await widget.locator('[part="card"]').getAttribute('aria-busy'), 'false');
    const loaded = await cardHeight(tab);
    assert.ok(Math.abs(loaded - drawnByLoader) / loaded < 0.1, `skeleton ${drawnByLoader} px, dashboard ${loaded} px`);
    assert.deepEqual(await tab.evaluate(() => window.__csp), [], 'no CSP violation');
  });
}

test('the skeleton is the same at a phone width and for the demo attribute', async (t) => {
  const harness = await startHarness();
  t.after(() => harness.close());
  harness.page = page('demo');
  const context = await browser.newContext({ viewport: { width: 360, height: 800 } });
  t.after(() => context.close());
  const wasm = await holdWasm(context);
  const { page: tab } = await openWidget(browser, harness, { context });
  await tab.locator('referrer-dashboard .skeleton').waitFor();
  const drawnByLoader = await cardHeight(tab);
  wasm.open();
  await nthEvent(tab, 'rd-load');
  const loaded = await cardHeight(tab);
  assert.ok(Math.abs(loaded - drawnByLoader) / loaded < 0.15, `skeleton ${drawnByLoader} px, dashboard ${loaded} px`);
  assert.equal(harness.sessionRequests().length, 0, 'demo: no network but the package');
});

test('loading="lazy" fetches neither the wasm nor a session until the element nears the viewport', async (t) => {
  const harness = await startHarness();
  t.after(() => harness.close());
  harness.endpoint = FULL;
  harness.files['/spacer.js'] = SPACER;
  harness.page = page('loading="lazy"', '<div id="spacer"></div><script src="/spacer.js"></script>');
  const context = await browser.newContext({ viewport: { width: 640, height: 800 } });
  t.after(() => context.close());
  const wasm = [];
  context.on('request', (request) => request.url().endsWith('.wasm') && wasm.push(request.url()));
  const { page: tab } = await openWidget(browser, harness, { context });
  const widget = tab.locator('referrer-dashboard');

  await widget.locator('.skeleton').waitFor();
  // Two frames: the observer has reported the element's first position by then.
  const frames = () => tab.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  await frames();
  assert.equal(await tab.evaluate(() => document.querySelector('#spacer').offsetHeight), 4000, 'the element is far below');
  assert.deepEqual(wasm, [], 'no wasm request');
  assert.equal(harness.sessionRequests().length, 0, 'no session request');

  // Scrolled to 1,500 px short of it: still nothing.
  await tab.evaluate(() => window.scrollTo(0, 4000 - innerHeight - 1500));
  await frames();
  assert.deepEqual(wasm, []);

  // Within 600 px of the viewport, not yet visible: it loads.
  const requested = tab.waitForRequest((request) => request.url().endsWith('.wasm'));
  await tab.evaluate(() => window.scrollTo(0, 4000 - innerHeight - 300));
  await requested;
  await nthEvent(tab, 'rd-load');
  assert.equal(wasm.length, 1);
  assert.equal(harness.sessionRequests().length, 1);
  assert.equal(await widget.locator('[part="stat-value"]').count(), 3);
});

test('an eager element on the same page as a lazy one loads at once, the lazy one waits', async (t) => {
  const harness = await startHarness();
  t.after(() => harness.close());
  harness.endpoint = FULL;
  harness.files['/spacer.js'] = SPACER;
  harness.page = page('loading="lazy" id="lazy"', '<referrer-dashboard endpoint="/session" locale="en-US" id="eager"></referrer-dashboard><div id="spacer"></div><script src="/spacer.js"></script>');
  const context = await browser.newContext({ viewport: { width: 640, height: 800 } });
  t.after(() => context.close());
  const { page: tab } = await openWidget(browser, harness, { context });
  await nthEvent(tab, 'rd-load');
  assert.equal(harness.sessionRequests().length, 1, 'only the eager element asked');
  assert.equal(await tab.locator('#lazy .skeleton').count(), 1);
  await tab.evaluate(() => document.querySelector('#lazy').scrollIntoView());
  await nthEvent(tab, 'rd-load', 2);
  assert.equal(harness.sessionRequests().length, 2);
});
