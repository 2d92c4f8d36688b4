// A token without script: the `token-url` attribute, and properties set before the element was
// defined (the lazy-property pattern), in Chromium against test endpoints.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { launch, nthEvent, watchErrors } from './helpers.mjs';
import { openWidget, startHarness } from './harness.mjs';

let browser;
before(async () => {
  browser = await launch();
});
after(() => browser.close());

/** A harness whose `/token` answers `token(record)` (default: `{"token": "t-<n>"}`). */
async function withTokenRoute(t, token) {
  const harness = await startHarness();
  t.after(() => harness.close());
  let n = 0;
  harness.routes['/token'] = (record) => {
    n += 1;
    return token ? token(record, n) : { body: { token: `t-${n}` }, headers: { 'cache-control': 'no-store' } };
  };
  harness.tokenRequests = () => harness.requests.filter((r) => r.path === '/token');
  return harness;
}

/** The host page with `<referrer-dashboard ...attributes>` in its HTML, as a server rendered it. */
function serverRendered(harness, attributes) {
  const tag = Object.entries(attributes)
    .map(([name, value]) => (value === '' ? name : `${name}="${value}"`))
    .join(' ');
  harness.page = harness.page.replace('<main id="main"></main>', `<main id="main"><referrer-dashboard locale="en-US" ${tag}></referrer-dashboard></main>`);
}

test('token-url: its token is sent as a bearer token, asked before every request with the page cookies', async (t) => {
  const harness = await withTokenRoute(t);
  const context = await browser.newContext();
  t.after(() => context.close());
  await context.addCookies([{ name: 'app_session', value: 'signed-in', url: harness.url }]);
  const { page } = await openWidget(browser, harness, { context, attributes: { endpoint: '/session', 'token-url': '/token' } });
  const errors = watchErrors(page);
  await nthEvent(page, 'rd-load');
  await page.evaluate(() => document.querySelector('referrer-dashboard').refresh());
  assert.deepEqual(harness.sessionRequests().map((r) => r.headers.authorization), ['Bearer t-1', 'Bearer t-2']);
  const asked = harness.tokenRequests();
  assert.equal(asked.length, 2, 'one token per request');
  for (const request of asked) {
    assert.equal(request.headers.cookie, 'app_session=signed-in', 'with the page cookies');
    assert.equal(request.headers.accept, 'application/json');
    assert.equal(request.headers.authorization, undefined);
  }
  assert.equal(await page.evaluate(() => document.querySelector('referrer-dashboard').tokenUrl), '/token', 'reflected as tokenUrl');
  assert.deepEqual(errors, []);
});

test('token-url in the server-rendered HTML: the first request carries its token, with no script of the host', async (t) => {
  const harness = await withTokenRoute(t);
  serverRendered(harness, { endpoint: '/session', 'token-url': '/token' });
  const context = await browser.newContext();
  t.after(() => context.close());
  const page = await context.newPage();
  const errors = watchErrors(page);
  await page.goto(`${harness.url}/`);
  await page.locator('referrer-dashboard [part="stat-value"]').first().waitFor();
  // The loader's early request (sent while the wasm downloads) asked the token URL itself, and
  // the core adopted its answer: one token, one session, no second try.
  assert.deepEqual(harness.sessionRequests().map((r) => r.headers.authorization), ['Bearer t-1']);
  assert.equal(harness.tokenRequests().length, 1);
  assert.deepEqual(errors, []);
});

test('getAuthToken wins over token-url when set', async (t) => {
  const harness = await withTokenRoute(t);
  const { context, page } = await openWidget(browser, harness);
  t.after(() => context.close());
  await page.evaluate(() => {
    const element = document.createElement('referrer-dashboard');
    element.setAttribute('endpoint', '/session');
    element.setAttribute('token-url', '/token');
    element.getAuthToken = async () => 'from-the-function';
    document.querySelector('#main').append(element);
  });
  await nthEvent(page, 'rd-load');
  assert.deepEqual(harness.sessionRequests().map((r) => r.headers.authorization), ['Bearer from-the-function']);
  assert.equal(harness.tokenRequests().length, 0);
});

test('a token-url on another origin is a configuration error, and nothing is sent', async (t) => {
  const harness = await withTokenRoute(t);
  // The page is on 127.0.0.1; localhost is the same server, but another origin.
  const elsewhere = harness.url.replace('127.0.0.1', 'localhost');
  const { context, page } = await openWidget(browser, harness, { attributes: { endpoint: '/session', 'token-url': `${elsewhere}/token` } });
  t.after(() => context.close());
  const error = await nthEvent(page, 'rd-error');
  assert.equal(error.type, 'configuration');
  assert.match(error.message, /token-url must be on the page's origin/);
  await page.locator('referrer-dashboard [part="error"]').waitFor();
  assert.equal(harness.tokenRequests().length, 0, 'the other origin was not asked');
  assert.equal(harness.sessionRequests().length, 0);
});

test('a token-url that answers an error status or no token is an authentication error that never shows the token', async (t) => {
  const answers = [
    [{ status: 401, body: { error: { message: 'signed out' } } }, 'token-url answered HTTP 401'],
    [{ status: 503, body: 'busy' }, 'token-url answered HTTP 503'],
    [{ body: { jwt: 'eyJ-the-token-under-another-name' } }, 'token-url answered no {"token": "…"}'],
    [{ body: { token: '' } }, 'token-url answered no {"token": "…"}'],
    [{ body: '<!doctype html><title>Sign in</title>', headers: { 'content-type': 'text/html' } }, 'token-url answered no {"token": "…"}'],
    // Plain text is not taken for a token: one shape, JSON.
    [{ body: 'eyJ-a-bare-token', headers: { 'content-type': 'text/plain' } }, 'token-url answered no {"token": "…"}'],
  ];
  for (const [answer, expected] of answers) {
    const harness = await withTokenRoute(t, () => answer);
    const { context, page } = await openWidget(browser, harness, { attributes: { endpoint: '/session', 'token-url': '/token' } });
    const error = await nthEvent(page, 'rd-error');
    assert.deepEqual(error, { type: 'authentication', message: expected }, JSON.stringify(answer));
    assert.equal(harness.sessionRequests().length, 0, 'no session request without a token');
    assert.equal(harness.tokenRequests().length, 1, 'asked once, reported as it answered');
    assert.ok(!JSON.stringify(await page.evaluate(() => window.__rdEvents)).includes('eyJ'), 'no token in any event');
    await context.close();
  }
});

test('properties set on the element before it was defined are taken over when it upgrades', async (t) => {
  const harness = await withTokenRoute(t);
  // The tag is in the page before the package: a framework (or a script) sets properties on the
  // element while it is still a plain HTMLElement, then the package is imported.
  harness.page = harness.page.replace('<script type="module" src="/pkg/referrer-dashboard.js"></script>', '');
  serverRendered(harness, {});
  const context = await browser.newContext();
  t.after(() => context.close());
  const page = await context.newPage();
  const errors = watchErrors(page);
  await page.goto(`${harness.url}/`);
  const before = await page.evaluate(() => {
    const element = document.querySelector('referrer-dashboard');
    element.endpoint = '/session';
    element.tokenUrl = '/other-token';
    element.pageSize = 2;
    element.theme = 'dark';
    element.demo = false;
    element.strings = { copy: 'Copy my link' };
    element.getAuthToken = async () => 'set-before-upgrade';
    return { defined: Boolean(customElements.get('referrer-dashboard')), own: Object.keys(element).sort() };
  });
  assert.deepEqual(before, {
    defined: false,
    own: ['demo', 'endpoint', 'getAuthToken', 'pageSize', 'strings', 'theme', 'tokenUrl'],
  });
  await page.evaluate(() => import('/pkg/referrer-dashboard.js'));
  const widget = page.locator('referrer-dashboard');
  await widget.locator('[part="stat-value"]').first().waitFor();
  const after = await widget.evaluate((element) => ({
    own: Object.keys(element),
    attributes: Object.fromEntries([...element.attributes].map((a) => [a.name, a.value])),
    pageSize: element.pageSize,
    demo: element.demo,
  }));
  assert.deepEqual(after, {
    own: [],
    attributes: { locale: 'en-US', endpoint: '/session', 'token-url': '/other-token', 'page-size': '2', theme: 'dark' },
    pageSize: 2,
    demo: false,
  });
  assert.deepEqual(harness.sessionRequests().map((r) => r.headers.authorization), ['Bearer set-before-upgrade']);
  assert.equal(await widget.locator('[part="copy-button"]').textContent(), 'Copy my link');
  assert.equal(await widget.locator('[part="referral"]').count(), 2);
  assert.deepEqual(errors, []);
});

test('defer-hydration holds the first request until it is removed', async (t) => {
  const harness = await startHarness();
  t.after(() => harness.close());
  serverRendered(harness, { endpoint: '/session', 'defer-hydration': '' });
  const context = await browser.newContext();
  t.after(() => context.close());
  const page = await context.newPage();
  await page.goto(`${harness.url}/`);
  await page.waitForFunction(() => customElements.get('referrer-dashboard'));
  const widget = page.locator('referrer-dashboard');
  await widget.locator('.skeleton').waitFor();
  // The wasm is downloaded meanwhile; the session is not asked for.
  await page.waitForFunction(() => performance.getEntriesByType('resource').some((e) => e.name.endsWith('.wasm') && e.responseEnd > 0));
  assert.equal(harness.sessionRequests().length, 0);
  await widget.evaluate((element) => {
    element.getAuthToken = async () => 'set-while-deferred';
    element.removeAttribute('defer-hydration');
  });
  await widget.locator('[part="stat-value"]').first().waitFor();
  assert.deepEqual(harness.sessionRequests().map((r) => r.headers.authorization), ['Bearer set-while-deferred']);
});

test('a session endpoint refusing the token-url token is reported as authentication', async (t) => {
  const harness = await withTokenRoute(t);
  harness.endpoint = () => ({ status: 401, body: { error: { type: 'authentication', message: 'invalid token' } } });
  const { context, page } = await openWidget(browser, harness, { attributes: { endpoint: '/session', 'token-url': '/token' } });
  t.after(() => context.close());
  assert.deepEqual(await nthEvent(page, 'rd-error'), { type: 'authentication', message: 'invalid token', status: 401 });
  assert.equal(harness.sessionRequests().length, 1);
});
