// The demo binary, opened in headless Chromium: the dashboard of the sandbox's demo user.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { launch, nthEvent, recordEvents, startDemo, watchErrors } from './helpers.mjs';

test('the demo page renders the link and the three numbers from the sandbox', async (t) => {
  const server = await startDemo();
  t.after(() => server.stop());
  const browser = await launch();
  t.after(() => browser.close());
  const page = await browser.newPage();
  const errors = watchErrors(page);
  await recordEvents(page);
  const wasmRequests = [];
  page.on('request', (request) => request.url().endsWith('.wasm') && wasmRequests.push(request.url()));

  await page.goto(`${server.url}/`);
  const detail = await nthEvent(page, 'rd-load');
  assert.deepEqual(detail.stats, { reach: 1204, referrals: 37, qualified: 12 });

  const dashboard = page.locator('referrer-dashboard');
  const values = await dashboard.locator('[part="stat-value"]').allTextContents();
  assert.deepEqual(values, ['1,204', '37', '12']);
  const link = await dashboard.locator('[part="link"]').inputValue();
  assert.match(link, /^http:\/\/127\.0\.0\.1:\d+\/r\/[A-Za-z0-9]{8}$/);
  assert.equal(await dashboard.locator('[part="referral"]').count(), 5, 'page-size defaults to 5');
  assert.deepEqual(errors, [], 'no console errors or CSP violations under the strict CSP');
  // The page's <link rel="preload" as="fetch"> matches the module's fetch of the wasm (same
  // origin: no-cors, credentials included), so the browser uses the preloaded answer instead of
  // asking again (tests/engines counts this in Firefox and WebKit too).
  assert.deepEqual(wasmRequests, [`${server.url}/referrer-dashboard/referrer_dashboard_bg.wasm`]);
});

test('the demo server caches content-hashed files for good, and stable names not', async (t) => {
  const server = await startDemo();
  t.after(() => server.stop());
  const manifest = await (await fetch(`${server.url}/cdn/manifest.json`)).json();
  const hashed = Object.values(manifest.files).map((f) => f.file);
  assert.equal(hashed.length, 9, 'the module, the wasm and seven catalogues');
  for (const file of hashed) {
    const response = await fetch(`${server.url}/cdn/${file}`);
    assert.equal(response.status, 200, file);
    assert.equal(response.headers.get('cache-control'), 'public, max-age=31536000, immutable', file);
  }
  for (const path of ['/cdn/manifest.json', '/referrer-dashboard/referrer-dashboard.js', '/referrer-dashboard/referrer_dashboard_bg.wasm']) {
    const response = await fetch(`${server.url}${path}`);
    assert.equal(response.status, 200, path);
    assert.equal(response.headers.get('cache-control'), 'no-cache', path);
  }
  assert.equal((await fetch(`${server.url}/cdn/nothing.0123456789.js`)).status, 404);
  assert.equal((await fetch(`${server.url}/referrer-dashboard/referrer_dashboard_bg.wasm`)).headers.get('content-type'), 'application/wasm');
});

test('switching the signed-in user shows that user\'s dashboard', async (t) => {
  const server = await startDemo();
  t.after(() => server.stop());
  const browser = await launch();
  t.after(() => browser.close());
  const page = await browser.newPage();
  await recordEvents(page);
  await page.goto(`${server.url}/`);
  const values = page.locator('referrer-dashboard [part="stat-value"]');
  await values.first().waitFor();

    await page.selectOption('#user', 'grace');
  assert.deepEqual((await nthEvent(page, 'rd-load', 2)).stats, { reach: 3, referrals: 0, qualified: 0 });
  assert.deepEqual(await values.allTextContents(), ['3', '0', '0']);
  assert.equal(await page.locator('referrer-dashboard [part="empty"]').count(), 1);
});
