// The script-tag build, loaded as a CDN would serve it: page, CDN and endpoint on three origins.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { launch, mintToken, startProcess, watchErrors } from './helpers.mjs';

const CDN_DIR = process.env.RD_CDN_DIR ?? 'target/dist/cdn';
const SECRET = 'cdn-test-identity-secret-0123456789abcdef';

/**
 * Stops `server` and ends its connections: `close()` alone waits for every connection the
 * browser still holds (a keep-alive or speculative one), and the browser closes after the
 * servers (`t.after` runs in order), so a test could wait for it without end.
 */
const stop = (server) =>
  new Promise((resolve) => {
    server.close(resolve);
    server.closeAllConnections();
  });

/**
 * A static server for `dir` on its own port, sending `headers` with every file; `serve.change`
 * may rewrite a file's bytes on the way out (a compromised CDN).
 */
async function serveDir(dir, headers = {}) {
  const serve = { change: (name, body) => body };
  const server = createServer(async (req, res) => {
    const name = new URL(req.url, 'http://x').pathname.slice(1);
    try {
      const body = serve.change(name, await readFile(join(dir, name)));
      const type = name.endsWith('.wasm') ? 'application/wasm' : name.endsWith('.js') ? 'text/javascript' : 'application/json';
      res.writeHead(200, { 'content-type': type, ...headers });
      res.end(body);
    } catch {
      res.writeHead(404, headers);
      res.end();
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return Object.assign(serve, {
    url: `http://127.0.0.1:${server.address().port}`,
    close: () => stop(server),
  });
}

test("the CDN files load from another origin by the manifest's ready tag, verbatim, and render a session from a third, credentials included", async (t) => {
  const manifest = JSON.parse(await readFile(join(CDN_DIR, 'manifest.json'), 'utf8'));
  const cdn = await serveDir(CDN_DIR, { 'access-control-allow-origin': '*' });
  t.after(() => cdn.close());

  // The host page: its own origin, with a token minted the way a host backend would.
  const token = mintToken(SECRET, { sub: 'cdn-ada', email: 'ada@example.com', email_verified: true, exp: Math.floor(Date.now() / 1000) + 300 });
  let pageOrigin = '';
  const pages = createServer((req, res) => {
    if (req.url === '/host.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' });
      return res.end(`document.querySelector('referrer-dashboard').getAuthToken = async () => ${JSON.stringify(token)};`);
    }
    res.writeHead(200, { 'content-type': 'text/html' });
    // The manifest's tag as is; its src is relative to the CDN folder, which <base> names.
    res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><base href="${cdn.url}/">
      <script type="module" src="${pageOrigin}/host.js"></script>
      ${manifest.html}
      </head><body><referrer-dashboard endpoint="${api.url}/api/referral-dashboard" credentials="include"></referrer-dashboard></body></html>`);
  });
  await new Promise((resolve) => pages.listen(0, '127.0.0.1', resolve));
  t.after(() => stop(pages));
  pageOrigin = `http://127.0.0.1:${pages.address().port}`;

  // The endpoint: the reference backend, allowing the host page's origin only.
  const api = await startProcess([], { DASHBOARD_CORS_ORIGINS: pageOrigin, DASHBOARD_CORS_CREDENTIALS: 'true', DASHBOARD_JWT_SECRET: SECRET });
  t.after(() => api.stop());

  assert.equal(
    manifest.html,
    `<script type="module" src="${manifest.entry}" integrity="${manifest.files['referrer-dashboard.js'].integrity}" crossorigin="anonymous"></script>`,
  );
  const browser = await launch();
  t.after(() => browser.close());
  const page = await browser.newPage();
  const errors = watchErrors(page);
  const cdnRequests = [];
  page.on('request', (r) => /\.(js|wasm|json)$/.test(r.url()) && r.url().startsWith(cdn.url) && cdnRequests.push(r.url().slice(cdn.url.length + 1)));
  const apiRequests = [];
  page.on('request', (r) => r.url().startsWith(api.url) && apiRequests.push(r));
  await page.goto(`${pageOrigin}/`);
  const values = page.locator('referrer-dashboard [part="stat-value"]');
  await values.first().waitFor();
  assert.deepEqual(await values.allTextContents(), ['1,204', '37', '12']);
  assert.deepEqual(errors, []);
  const files = Object.values(manifest.files).map((f) => f.file).filter((f) => !f.startsWith('catalogue-'));
  assert.deepEqual(cdnRequests.sort(), files.sort(), 'one module and the wasm, nothing else (an English page needs no catalogue)');
  const sessionRequest = apiRequests.find((r) => r.method() === 'GET');
  assert.equal((await sessionRequest.allHeaders()).authorization, `Bearer ${token}`);
  const response = await sessionRequest.response();
  assert.equal((await response.allHeaders())['access-control-allow-credentials'], 'true');
  assert.equal((await response.allHeaders())['access-control-allow-origin'], pageOrigin);
});

test('a page on an origin the endpoint does not allow gets a network error, not data', async (t) => {
  const manifest = JSON.parse(await readFile(join(CDN_DIR, 'manifest.json'), 'utf8'));
  const cdn = await serveDir(CDN_DIR, { 'access-control-allow-origin': '*' });
  t.after(() => cdn.close());
  const api = await startProcess([], { DASHBOARD_CORS_ORIGINS: 'https://allowed.example', DASHBOARD_JWT_SECRET: SECRET });
  t.after(() => api.stop());
  const pages = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(`<!doctype html><script type="module" src="${cdn.url}/${manifest.entry}" crossorigin="anonymous"></script>
      <referrer-dashboard endpoint="${api.url}/api/referral-dashboard"></referrer-dashboard>`);
  });
  await new Promise((resolve) => pages.listen(0, '127.0.0.1', resolve));
  t.after(() => stop(pages));
  const browser = await launch();
  t.after(() => browser.close());
  const page = await browser.newPage();
  await page.addInitScript(() => document.addEventListener('rd-error', (e) => (window.__error = e.detail)));
  await page.goto(`http://127.0.0.1:${pages.address().port}/`);
  const detail = await (await page.waitForFunction(() => window.__error)).jsonValue();
  assert.equal(detail.type, 'network');
});

// ---------------------------------------------------------------------------------------------
// A compromised CDN: every file is integrity-checked, so changed files never run.

import { createRequire } from 'node:module';
import { PACKAGE_DIR } from './helpers.mjs';

const AXE = await readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** The English heading of the referrals list, in the wasm's data, and a same-length forgery. */
const GENUINE = Buffer.from('Your referrals');
const FORGED = Buffer.from('TAMPERED WASM!');

/** `wasm` with the heading text forged: still valid WebAssembly, which would run unchecked. */
function forge(wasm) {
  const at = wasm.indexOf(GENUINE);
  assert.ok(at >= 0 && wasm.indexOf(GENUINE, at + 1) < 0, 'the heading text is in the wasm exactly once');
  const forged = Buffer.from(wasm);
  FORGED.copy(forged, at);
  assert.ok(WebAssembly.validate(forged), 'the forged wasm is valid WebAssembly');
  return forged;
}

/**
 * Serves `html` (a function of nothing, read per request) as a page on its own origin under the
 * strict CSP of SPEC §4 widened to the CDN, the way a host loading the CDN build sets it.
 */
async function hostPage(t, cdn, html) {
  const csp = `default-src 'self'; script-src 'self' ${cdn.url} 'wasm-unsafe-eval'; style-src 'self'; connect-src 'self' ${cdn.url}`;
  const pages = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html', 'content-security-policy': csp });
    res.end(html());
  });
  await new Promise((resolve) => pages.listen(0, '127.0.0.1', resolve));
  t.after(() => stop(pages));
  return `http://127.0.0.1:${pages.address().port}/`;
}

/** A fresh page recording rd-* events, CSP violations, script load errors and CDN requests. */
async function openRecording(t, browser) {
  const context = await browser.newContext();
  t.after(() => context.close());
  const page = await context.newPage();
  await page.addInitScript(() => {
    window.__rdEvents = [];
    window.__csp = [];
    window.__scriptErrors = [];
    document.addEventListener('rd-error', (e) => window.__rdEvents.push({ type: 'rd-error', detail: e.detail }));
    document.addEventListener('rd-load', (e) => window.__rdEvents.push({ type: 'rd-load', detail: e.detail }));
    document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
    window.addEventListener('error', (e) => e.target instanceof HTMLScriptElement && window.__scriptErrors.push(e.target.src), true);
  });
  const requests = [];
  page.on('request', (r) => requests.push(r.url()));
  return { page, requests };
}

test('a wasm changed on the CDN is refused: rd-error network, the error state, none of its code runs; retry recovers', async (t) => {
  const manifest = JSON.parse(await readFile(join(CDN_DIR, 'manifest.json'), 'utf8'));
  const wasmFile = manifest.files['referrer_dashboard_bg.wasm'].file;
  const browser = await launch();
  t.after(() => browser.close());

  // Control: the same forgery served with the npm package, which checks nothing, does run.
  const pkg = await serveDir(PACKAGE_DIR, { 'access-control-allow-origin': '*', 'cache-control': 'no-store' });
  t.after(() => pkg.close());
  pkg.change = (name, body) => (name.endsWith('.wasm') ? forge(body) : body);
  const unchecked = await hostPage(t, pkg, () => `<!doctype html><html lang="en"><head><meta charset="utf-8">
    <script type="module" src="${pkg.url}/referrer-dashboard.js" crossorigin="anonymous"></script></head>
    <body><referrer-dashboard demo></referrer-dashboard></body></html>`);
  const control = await openRecording(t, browser);
  await control.page.goto(unchecked);
  await control.page.locator('referrer-dashboard #rd-referrals').waitFor();
  assert.equal(await control.page.locator('referrer-dashboard #rd-referrals').textContent(), FORGED.toString(), 'unchecked, the forgery shows');

  const cdn = await serveDir(CDN_DIR, { 'access-control-allow-origin': '*', 'cache-control': 'no-store' });
  t.after(() => cdn.close());
  cdn.change = (name, body) => (name === wasmFile ? forge(body) : body);
  const url = await hostPage(t, cdn, () => `<!doctype html><html lang="en"><head><meta charset="utf-8"><base href="${cdn.url}/">
    ${manifest.html}</head><body><referrer-dashboard demo theme="light"></referrer-dashboard></body></html>`);
  const { page, requests } = await openRecording(t, browser);
  await page.goto(url);
  const widget = page.locator('referrer-dashboard');
  const detail = await (await page.waitForFunction(() => window.__rdEvents.find((e) => e.type === 'rd-error')?.detail)).jsonValue();
  assert.equal(detail.type, 'network');
  assert.match(detail.message, /integrity/);
  await widget.locator('[part="error"]').waitFor();
  assert.equal(await widget.locator('[part="error"] p').textContent(), "We couldn't load your referral dashboard.");
  assert.equal(await widget.locator('[part="card"]').getAttribute('aria-label'), 'Your referral dashboard');
  assert.equal(await widget.locator('[part="retry-button"]').textContent(), 'Try again');
  assert.equal(await widget.locator('[part="stat-value"]').count(), 0, 'no dashboard');
  assert.equal(await page.locator('text=TAMPERED').count(), 0, 'none of the forgery on screen');
  assert.deepEqual(await page.evaluate(() => window.__csp), [], 'the error state needs nothing from the CSP');
  assert.equal(requests.filter((r) => r.endsWith(wasmFile)).length, 1, 'one download, started by the module at once');
  await page.evaluate(AXE);
  const violations = await page.evaluate(async () => (await window.axe.run('referrer-dashboard')).violations.map((v) => v.id));
  assert.deepEqual(violations, [], 'axe-core: the error state');

  // Retry while still forged: refused again. Then the CDN is repaired: retry renders.
  await widget.locator('[part="retry-button"]').click();
  await page.waitForFunction(() => window.__rdEvents.filter((e) => e.type === 'rd-error').length === 2);
  await widget.locator('[part="retry-button"]:not([disabled])').waitFor();
  cdn.change = (name, body) => body;
  await widget.locator('[part="retry-button"]').click();
  await widget.locator('[part="stat-value"]').first().waitFor();
  assert.equal(await widget.locator('#rd-referrals').textContent(), GENUINE.toString());
  assert.equal(await widget.locator('[part="error"]').count(), 0);
  assert.equal(requests.filter((r) => r.endsWith(wasmFile)).length, 3);
});

test('the CDN build fetches a catalogue by its hashed name and checks it: a changed one is refused and the texts stay English', async (t) => {
  const manifest = JSON.parse(await readFile(join(CDN_DIR, 'manifest.json'), 'utf8'));
  const german = manifest.files['catalogue-de.json'].file;
  assert.match(german, /^catalogue-de\.[0-9a-f]{10}\.json$/);
  const cdn = await serveDir(CDN_DIR, { 'access-control-allow-origin': '*', 'cache-control': 'no-store' });
  t.after(() => cdn.close());
  const browser = await launch();
  t.after(() => browser.close());
  const url = await hostPage(t, cdn, () => `<!doctype html><html lang="de"><head><meta charset="utf-8"><base href="${cdn.url}/">
    ${manifest.html}</head><body><referrer-dashboard demo></referrer-dashboard></body></html>`);
  const copyButton = (page) => page.locator('referrer-dashboard [part="copy-button"]');

  const genuine = await openRecording(t, browser);
  await genuine.page.goto(url);
  await copyButton(genuine.page).waitFor();
  assert.equal((await copyButton(genuine.page).textContent()).trim(), 'Kopieren');
  assert.deepEqual(genuine.requests.filter((r) => r.includes('catalogue-')), [`${cdn.url}/${german}`]);

  cdn.change = (name, body) => (name === german ? Buffer.from(body.toString().replace('"Kopieren"', '"GEFÄLSCHT"')) : body);
  const forged = await openRecording(t, browser);
  const warnings = [];
  forged.page.on('console', (message) => message.type() === 'warning' && warnings.push(message.text()));
  await forged.page.goto(url);
  await copyButton(forged.page).waitFor();
  assert.equal((await copyButton(forged.page).textContent()).trim(), 'Copy', 'the changed catalogue is not used');
  assert.equal(await forged.page.locator('text=GEFÄLSCHT').count(), 0);
  assert.equal(warnings.length, 1, warnings.join('\n'));
  assert.match(warnings[0], /the "de" catalogue could not be loaded \(.*\); its texts are shown in English/);
  assert.equal(await forged.page.evaluate(() => window.__rdEvents.filter((e) => e.type === 'rd-error').length), 0);
});

test('a JS module changed on the CDN is refused before any of it runs', async (t) => {
  const manifest = JSON.parse(await readFile(join(CDN_DIR, 'manifest.json'), 'utf8'));
  const cdn = await serveDir(CDN_DIR, { 'access-control-allow-origin': '*', 'cache-control': 'no-store' });
  t.after(() => cdn.close());
  const tampered = 'globalThis.__tampered = true;';
  cdn.change = (name, body) => (name === manifest.entry ? Buffer.concat([Buffer.from(tampered), body]) : body);
  const browser = await launch();
  t.after(() => browser.close());

  // Control: without the integrity attribute the changed module runs (and would do anything).
  const unchecked = await hostPage(t, cdn, () => `<!doctype html><html lang="en"><head><meta charset="utf-8">
    <script type="module" src="${cdn.url}/${manifest.entry}" crossorigin="anonymous"></script></head>
    <body><referrer-dashboard demo></referrer-dashboard></body></html>`);
  const control = await openRecording(t, browser);
  await control.page.goto(unchecked);
  await control.page.locator('referrer-dashboard [part="stat-value"]').first().waitFor();
  assert.equal(await control.page.evaluate(() => globalThis.__tampered), true, 'unchecked, the change runs');

  const url = await hostPage(t, cdn, () => `<!doctype html><html lang="en"><head><meta charset="utf-8"><base href="${cdn.url}/">
    ${manifest.html}</head><body><referrer-dashboard demo></referrer-dashboard></body></html>`);
  const { page, requests } = await openRecording(t, browser);
  await page.goto(url);
  await page.waitForFunction(() => window.__scriptErrors.length > 0);
  assert.deepEqual(await page.evaluate(() => window.__scriptErrors), [`${cdn.url}/${manifest.entry}`], 'the script element fires error');
  assert.equal(await page.evaluate(() => globalThis.__tampered), undefined, 'none of the changed module ran');
  assert.equal(await page.evaluate(() => customElements.get('referrer-dashboard')), undefined, 'the element is never defined');
  assert.equal(requests.filter((r) => r.endsWith('.wasm')).length, 0, 'nothing else was fetched');
});
