// The script-tag build, loaded as a CDN would serve it: page, CDN and endpoint on three origins.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { launch, mintToken, startProcess, watchErrors } from './helpers.mjs';

const CDN_DIR = process.env.RD_CDN_DIR ?? 'target/dist/cdn';
const SECRET = 'cdn-test-identity-secret-0123456789abcdef';

/** A static server for `dir` on its own port, sending `headers` with every file. */
async function serveDir(dir, headers = {}) {
  const server = createServer(async (req, res) => {
    const name = new URL(req.url, 'http://x').pathname.slice(1);
    try {
      const body = await readFile(join(dir, name));
      const type = name.endsWith('.wasm') ? 'application/wasm' : name.endsWith('.js') ? 'text/javascript' : 'application/json';
      res.writeHead(200, { 'content-type': type, ...headers });
      res.end(body);
    } catch {
      res.writeHead(404, headers);
      res.end();
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((r) => server.close(r)) };
}

test('the CDN files load from another origin by script tag with SRI and render a session from a third, credentials included', async (t) => {
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
    res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8">
      <script type="module" src="/host.js"></script>
      <script type="module" src="${cdn.url}/${manifest.entry}" integrity="${manifest.files['referrer-dashboard.js'].integrity}" crossorigin="anonymous"></script>
      </head><body><referrer-dashboard endpoint="${api.url}/api/referral-dashboard" credentials="include"></referrer-dashboard></body></html>`);
  });
  await new Promise((resolve) => pages.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise((r) => pages.close(r)));
  pageOrigin = `http://127.0.0.1:${pages.address().port}`;

  // The endpoint: the reference backend, allowing the host page's origin only.
  const api = await startProcess([], { DASHBOARD_CORS_ORIGINS: pageOrigin, DASHBOARD_JWT_SECRET: SECRET });
  t.after(() => api.stop());

  const browser = await launch();
  t.after(() => browser.close());
  const page = await browser.newPage();
  const errors = watchErrors(page);
  const apiRequests = [];
  page.on('request', (r) => r.url().startsWith(api.url) && apiRequests.push(r));
  await page.goto(`${pageOrigin}/`);
  const values = page.locator('referrer-dashboard [part="stat-value"]');
  await values.first().waitFor();
  assert.deepEqual(await values.allTextContents(), ['1,204', '37', '12']);
  assert.deepEqual(errors, []);
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
  t.after(() => new Promise((r) => pages.close(r)));
  const browser = await launch();
  t.after(() => browser.close());
  const page = await browser.newPage();
  await page.addInitScript(() => document.addEventListener('rd-error', (e) => (window.__error = e.detail)));
  await page.goto(`http://127.0.0.1:${pages.address().port}/`);
  const detail = await (await page.waitForFunction(() => window.__error)).jsonValue();
  assert.equal(detail.type, 'network');
});
