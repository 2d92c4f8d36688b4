// Session lifecycle against test endpoints: refresh before expiry, failures, retry, joined
// requests, endpoint changes, paging.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { eventCount, launch, nthEvent } from './helpers.mjs';
import { STRICT_CSP, addWidget, openWidget, referrals, session, startHarness } from './harness.mjs';

let browser;
before(async () => {
  browser = await launch();
});
after(() => browser.close());

async function setup(t, attributes = { endpoint: '/session' }, options = {}) {
  const harness = await startHarness();
  t.after(() => harness.close());
  if (options.endpoint) harness.endpoint = options.endpoint;
  const { context, page } = await openWidget(browser, harness, { attributes, ...options });
  t.after(() => context.close());
  return { harness, page, widget: page.locator('referrer-dashboard') };
}

/** A promise the test resolves to let a held answer go. */
function gate() {
  let open;
  const promise = new Promise((resolve) => (open = resolve));
  return { promise, open };
}

/**
 * Opens the harness page with Playwright's clock installed, so a test can stop it and move it
 * on. `endpoint(pageNow)` answers each request; `pageNow()` is the page's clock, for expiry
 * times. `pause()` stops the page's clock; `refresh()` then asks for a session while it stands
 * still, so the answer, and any timer it sets, start at a known moment and "not before" and "by
 * then" are exact. `fetches()` counts the widget's `fetch()` calls, made synchronously: "no
 * request yet" is a fact, not a race.
 */
async function withClock(t, endpoint) {
  const harness = await startHarness();
  t.after(() => harness.close());
  const { context, page } = await openWidget(browser, harness);
  t.after(() => context.close());
  const pageNow = () => page.evaluate(() => Date.now());
  harness.endpoint = () => endpoint(pageNow);
  await page.clock.install();
  await addWidget(page, { endpoint: '/session' });
  return {
    harness,
    page,
    widget: page.locator('referrer-dashboard'),
    // A little ahead of where it is: the clock flows while the call travels, and cannot go back.
    pause: async () => page.clock.pauseAt((await pageNow()) + 1_000),
    refresh: () => page.evaluate(() => document.querySelector('referrer-dashboard').refresh()),
    fetches: () => page.evaluate(() => window.__fetches),
  };
}

const expiringIn = async (pageNow, ms) => new Date((await pageNow()) + ms).toISOString();

test('a short-lived session is re-fetched before it expires, not before', async (t) => {
  // After the first, each session lives 3 s from the page's now: refreshed a tenth early, at 2.7 s.
  let n = 0;
  const { page, pause, refresh, fetches } = await withClock(t, async (pageNow) => {
    n += 1;
    return { body: n === 1 ? session() : session({ expires_at: await expiringIn(pageNow, 3_000) }) };
  });
  await nthEvent(page, 'rd-load');
  await pause();
  await refresh();
  assert.equal(await fetches(), 2);
  await page.clock.runFor(2_600);
  assert.equal(await fetches(), 2, 'not yet 0.1 s before the refresh is due');
  await page.clock.runFor(200);
  assert.equal(await fetches(), 3, 'refreshed at 2.7 s, before the 3 s expiry');
  await nthEvent(page, 'rd-load', 3);
  await page.clock.runFor(2_600);
  assert.equal(await fetches(), 3, 'the new session gets its own 2.7 s, not a request loop');
});

test('a failed refresh keeps the data on screen with a notice, then recovers by itself', async (t) => {
  let n = 0;
  const { page, widget, harness, pause, refresh, fetches } = await withClock(t, () => {
    n += 1;
    if (n === 2) return { status: 500, body: { error: { type: 'server', message: 'boom' } } };
    return { body: session(n === 1 ? {} : { stats: { reach: 9, referrals: 9, qualified: 9 } }) };
  });
  await nthEvent(page, 'rd-load');
  await pause();
  await refresh();
  const error = await nthEvent(page, 'rd-error');
  assert.deepEqual(error, { type: 'server', message: 'boom', status: 500 });
  assert.equal(await widget.locator('[part="link"]').inputValue(), 'https://example.com/r/ADA123');
  await widget.locator('.notice').waitFor();
  assert.equal(await widget.locator('.notice').count(), 1, 'a quiet notice says the refresh failed');
  assert.equal(await widget.locator('[part="error"]').count(), 0, 'no error state while data is shown');
  // The automatic retry (2 s, jittered by a quarter either way) brings fresh data and clears the notice.
  await page.clock.runFor(1_400);
  assert.equal(await fetches(), 2, 'no retry sooner than the backoff allows (1.5 s at the earliest)');
  await page.clock.runFor(1_200);
  await nthEvent(page, 'rd-load', 2);
  assert.deepEqual(await widget.locator('[part="stat-value"]').allTextContents(), ['9', '9', '9']);
  assert.equal(await widget.locator('.notice').count(), 0);
  assert.equal(harness.sessionRequests().length, 3);
});

test('with nothing to show, a failure shows the error state and its retry button works', async (t) => {
  let fail = true;
  const { page, widget } = await setup(t, { endpoint: '/session' }, {
    endpoint: () => (fail ? { status: 401, body: { error: { type: 'authentication', message: 'signed out' } } } : { body: session() }),
  });
  assert.equal((await nthEvent(page, 'rd-error')).type, 'authentication');
  const retry = widget.locator('[part="retry-button"]');
  await retry.waitFor();
  assert.equal(await widget.locator('[part="error"]').count(), 1);
  fail = false;
  await retry.click();
  await nthEvent(page, 'rd-load');
  assert.equal(await widget.locator('[part="error"]').count(), 0);
  assert.equal(await widget.locator('[part="stat-value"]').first().textContent(), '1,204');
});

test('getAuthToken is awaited before each request and sent as a bearer token', async (t) => {
  const harness = await startHarness();
  t.after(() => harness.close());
  const { context, page } = await openWidget(browser, harness);
  t.after(() => context.close());
  await page.evaluate(() => {
    let n = 0;
    const el = document.createElement('referrer-dashboard');
    el.getAuthToken = async () => {
      await new Promise((r) => setTimeout(r, 10));
      n += 1;
      return `token-${n}`;
    };
    el.setAttribute('endpoint', '/session');
    document.querySelector('#main').append(el);
  });
  await nthEvent(page, 'rd-load');
  await page.evaluate(() => document.querySelector('referrer-dashboard').refresh());
  const auth = harness.sessionRequests().map((r) => r.headers.authorization);
  assert.deepEqual(auth, ['Bearer token-1', 'Bearer token-2']);
});

test('without getAuthToken no Authorization header is sent', async (t) => {
  const { harness, page } = await setup(t);
  await nthEvent(page, 'rd-load');
  assert.equal(harness.sessionRequests()[0].headers.authorization, undefined);
});

test('refresh() while a request is in flight joins it: one request, every promise resolves', async (t) => {
  const held = gate();
  let n = 0;
  const { harness, page } = await setup(t, { endpoint: '/session' }, {
    endpoint: async () => {
      n += 1;
      if (n === 2) await held.promise;
      return { body: session() };
    },
  });
  await nthEvent(page, 'rd-load');
  const settled = page.evaluate(() => {
    const el = document.querySelector('referrer-dashboard');
    return Promise.all([el.refresh(), el.refresh(), el.refresh()]).then(() => 'all resolved');
  });
  // Let the held answer go once the server has seen the request.
  while (harness.sessionRequests().length < 2) await new Promise((r) => setImmediate(r));
  held.open();
  assert.equal(await settled, 'all resolved');
  assert.equal(harness.sessionRequests().length, 2, 'the three refresh() calls made one request');
});

test('a changed endpoint drops the old session and a late answer for the old one is discarded', async (t) => {
  const slow = gate();
  const { harness, page, widget } = await setup(t, { endpoint: '/session' }, {
    endpoint: async (request) => {
      if (request.path === '/session') {
        await slow.promise;
        return { body: session({ referrer: { link: 'https://old.example/r/OLD' } }) };
      }
      return { body: session({ referrer: { link: 'https://new.example/r/NEW' } }) };
    },
  });
  while (harness.sessionRequests().length < 1) await new Promise((r) => setImmediate(r));
  const stale = new Promise((resolve) => {
    const isStale = (request) => request.url().endsWith('/session');
    page.on('requestfailed', (request) => isStale(request) && resolve('aborted'));
    page.on('requestfinished', (request) => isStale(request) && resolve('finished'));
  });
  await page.evaluate(() => document.querySelector('referrer-dashboard').setAttribute('endpoint', '/other-session'));
  await nthEvent(page, 'rd-load');
  assert.equal(await stale, 'aborted', 'the request for the old endpoint was cancelled');
  slow.open();
  // A refresh of the new endpoint settles after anything the old one could still deliver.
  await page.evaluate(() => document.querySelector('referrer-dashboard').refresh());
  assert.equal(await widget.locator('[part="link"]').inputValue(), 'https://new.example/r/NEW');
  assert.equal(await eventCount(page, 'rd-load'), 2, 'the first load and the refresh, nothing from the old endpoint');
});

test('"Show more" reveals page-size more each time, fetching the next page when the step needs it', async (t) => {
  const held = gate();
  const arrived = gate();
  const { harness, page, widget } = await setup(t, { endpoint: '/session', 'page-size': '5' }, {
    endpoint: async (request) => {
      if (!request.cursor) return { body: session({ referrals: { items: referrals(7), next: 'c1' } }) };
      if (request.cursor === 'c1') {
        arrived.open();
        await held.promise;
        return { body: { version: 1, referrals: { items: referrals(6, 7), next: 'c2' } } };
      }
      return { body: { version: 1, referrals: { items: referrals(2, 13), next: null } } };
    },
  });
  await nthEvent(page, 'rd-load');
  const rows = widget.locator('[part="referral"]');
  const more = widget.locator('[part="more-button"]');
  const count = (n) =>
    page.waitForFunction((n) => document.querySelector('referrer-dashboard').shadowRoot.querySelectorAll('[part="referral"]').length === n, n);
  assert.equal(await rows.count(), 5);
  // The session holds 7: the step to 10 needs the next page, and shows nothing until it has it.
  await more.click();
  await arrived.promise;
  assert.equal(await more.isDisabled(), true, 'busy while the page loads');
  assert.equal(await rows.count(), 5, 'no half step with the 7 already held');
  assert.deepEqual(harness.sessionRequests().map((r) => r.cursor), [null, 'c1']);
  held.open();
  await count(10);
  assert.equal(await more.isDisabled(), false);
  // 13 held: the step to 15 fetches the last page.
  await more.click();
  await count(15);
  assert.equal(await more.count(), 0, 'no button once next is null and everything is shown');
  assert.deepEqual(harness.sessionRequests().map((r) => r.cursor), [null, 'c1', 'c2']);
  const names = await widget.locator('[part="referral"] .name').allTextContents();
  assert.deepEqual(names, Array.from({ length: 15 }, (_, i) => `Person ${i}.`));
});

test('a malformed page of referrals does not destroy what is shown', async (t) => {
  const { page, widget } = await setup(t, { endpoint: '/session', 'page-size': '3' }, {
    endpoint: (request) =>
      request.cursor
        ? { body: { version: 1, referrals: { items: [{ id: 'x', name: 'X', status: 'maybe' }], next: null } } }
        : { body: session({ referrals: { items: referrals(3), next: 'c1' } }) },
  });
  await nthEvent(page, 'rd-load');
  await widget.locator('[part="more-button"]').click();
  const error = await nthEvent(page, 'rd-error');
  assert.equal(error.type, 'invalid_response');
  assert.match(error.message, /referrals\.items\.0\.status/);
  assert.equal(await widget.locator('[part="referral"]').count(), 3);
  assert.equal(await widget.locator('[part="link"]').count(), 1);
});

test('two elements on one page are independent', async (t) => {
  const { page } = await setup(t, {}, {
    endpoint: (request) =>
      ({ body: session({ referrer: { link: `https://example.com/r/${request.path === '/session' ? 'ONE' : 'TWO'}` } }) }),
  });
  await addWidget(page, { endpoint: '/session' });
  await addWidget(page, { endpoint: '/other-session' }, '#aside');
  await nthEvent(page, 'rd-load', 2);
  const links = await page.locator('referrer-dashboard [part="link"]').evaluateAll((els) => els.map((e) => e.value));
  assert.deepEqual(links.sort(), ['https://example.com/r/ONE', 'https://example.com/r/TWO']);
});

test('moving an element in the DOM neither refetches nor loses its state', async (t) => {
  const { harness, page, widget } = await setup(t, { endpoint: '/session', 'page-size': '1' });
  await nthEvent(page, 'rd-load');
  await widget.locator('[part="more-button"]').click();
  assert.equal(await widget.locator('[part="referral"]').count(), 2);
  const fetches = await page.evaluate(async () => {
    const before = window.__fetches;
    document.querySelector('#aside').append(document.querySelector('referrer-dashboard'));
    // Once every queued microtask has run, a teardown or refetch would have started.
    await new Promise((r) => setTimeout(r, 0));
    return window.__fetches - before;
  });
  assert.equal(fetches, 0, 'no refetch');
  assert.equal(await page.locator('#aside referrer-dashboard [part="referral"]').count(), 2, 'revealed rows kept');
  assert.equal(harness.sessionRequests().length, 1);
  assert.equal(await eventCount(page, 'rd-load'), 1);
});

test('a refresh due while the page is hidden waits until it is visible again', async (t) => {
  const harness = await startHarness();
  t.after(() => harness.close());
  harness.endpoint = () => ({ body: session({ expires_at: new Date(Date.now() + 60_000).toISOString() }) });
  const { context, page } = await openWidget(browser, harness, {
    init: () => {
      // Lets the test hide and show the page.
      window.__visibility = 'visible';
      Object.defineProperty(Document.prototype, 'visibilityState', { get: () => window.__visibility });
      Object.defineProperty(Document.prototype, 'hidden', { get: () => window.__visibility === 'hidden' });
    },
  });
  t.after(() => context.close());
  await page.clock.install();
  await addWidget(page, { endpoint: '/session' });
  await nthEvent(page, 'rd-load');
  const setVisibility = (state) =>
    page.evaluate((state) => {
      window.__visibility = state;
      document.dispatchEvent(new Event('visibilitychange'));
    }, state);
  await setVisibility('hidden');
  // Well past the refresh time (54 s of 60) and the expiry: nothing is fetched while hidden.
  await page.clock.runFor(90_000);
  assert.equal(await page.evaluate(() => window.__fetches), 1, 'no request while hidden');
  await setVisibility('visible');
  await nthEvent(page, 'rd-load', 2);
  assert.equal(harness.sessionRequests().length, 2);
});

test('the credentials attribute is honoured', async (t) => {
  const harness = await startHarness();
  t.after(() => harness.close());
  const { context, page } = await openWidget(browser, harness);
  t.after(() => context.close());
  await context.addCookies([{ name: 'host_session', value: 'abc', url: harness.url }]);
  await addWidget(page, { endpoint: '/session' });
  await nthEvent(page, 'rd-load');
  await page.evaluate(() => document.querySelector('referrer-dashboard').remove());
  await addWidget(page, { endpoint: '/session', credentials: 'omit' });
  await nthEvent(page, 'rd-load', 2);
  const cookies = harness.sessionRequests().map((r) => r.headers.cookie ?? null);
  assert.deepEqual(cookies, ['host_session=abc', null]);
});

test('credentials is read one way by the early request and by the core: trimmed, any case', async (t) => {
  // The endpoint on another port: cross-origin (so only `include` sends cookies) yet same-site
  // (so the browser keeps the host's cookie for it).
  const api = await startHarness({ cors: true });
  t.after(() => api.close());
  const harness = await startHarness({ csp: `${STRICT_CSP}; connect-src 'self' ${api.url}` });
  t.after(() => harness.close());
  let sessionArrived;
  const arrived = new Promise((resolve) => (sessionArrived = resolve));
  api.endpoint = () => {
    sessionArrived();
    return { body: session() };
  };
  // The wasm waits for the first session request: that one can only be the loader's.
  harness.beforeFile = (file) => (file.endsWith('.wasm') ? arrived : undefined);
  const page = await openHostPage(t, harness);
  await page.context().addCookies([{ name: 'host_session', value: 'abc', url: api.url }]);
  const add = (credentials) =>
    page.evaluate(
      ([endpoint, credentials]) => {
        document.querySelector('referrer-dashboard')?.remove();
        const el = document.createElement('referrer-dashboard');
        el.setAttribute('endpoint', endpoint);
        el.setAttribute('credentials', credentials);
        document.querySelector('#main').append(el);
      },
      [`${api.url}/session`, credentials],
    );
  await add('Include');
  await nthEvent(page, 'rd-load');
  // The core's own request, with the same attribute.
  await page.evaluate(() => document.querySelector('referrer-dashboard').refresh());
  await add(' OMIT ');
  await nthEvent(page, 'rd-load', 3);
  const cookies = api.sessionRequests().map((r) => r.headers.cookie ?? null);
  assert.deepEqual(cookies, ['host_session=abc', 'host_session=abc', null], 'early, core (Include), core ( OMIT )');
});

/** A fresh page on the harness's host page (no element yet) that records rd-load and rd-error. */
async function openHostPage(t, harness) {
  const context = await browser.newContext();
  t.after(() => context.close());
  const page = await context.newPage();
  await page.addInitScript(() => {
    window.__rdEvents = [];
    for (const type of ['rd-load', 'rd-error']) {
      document.addEventListener(type, (e) => window.__rdEvents.push({ type, detail: e.detail }));
    }
  });
  await page.goto(`${harness.url}/`);
  return page;
}

test('the session request starts while the wasm is still downloading', async (t) => {
  const harness = await startHarness();
  t.after(() => harness.close());
  // The wasm is served only once the session request has arrived: without the early request
  // this page would never finish loading.
  let sessionArrived;
  const arrived = new Promise((resolve) => (sessionArrived = resolve));
  harness.endpoint = () => {
    sessionArrived();
    return { body: session() };
  };
  harness.beforeFile = (file) => (file.endsWith('.wasm') ? arrived : undefined);
  const page = await openHostPage(t, harness);
  await page.evaluate(() => {
    const el = document.createElement('referrer-dashboard');
    el.setAttribute('endpoint', '/session');
    document.querySelector('#main').append(el);
  });
  await nthEvent(page, 'rd-load');
  assert.equal(harness.sessionRequests().length, 1, 'the early request was used, not repeated');
});

test('an early request sent before getAuthToken was set is made again with the token', async (t) => {
  const harness = await startHarness();
  t.after(() => harness.close());
  let release;
  const tokenSet = new Promise((resolve) => (release = resolve));
  harness.beforeFile = (file) => (file.endsWith('.wasm') ? tokenSet : undefined);
  harness.endpoint = (request) =>
    request.headers.authorization === 'Bearer late-token'
      ? { body: session() }
      : { status: 401, body: { error: { type: 'authentication', message: 'no token' } } };
  const page = await openHostPage(t, harness);
  await page.evaluate(() => {
    const el = document.createElement('referrer-dashboard');
    el.setAttribute('endpoint', '/session');
    document.querySelector('#main').append(el);
  });
  // The early request went out without a token; the host sets its token source only now.
  while (harness.sessionRequests().length < 1) await new Promise((r) => setImmediate(r));
  await page.evaluate(() => (document.querySelector('referrer-dashboard').getAuthToken = async () => 'late-token'));
  release();
  await nthEvent(page, 'rd-load');
  assert.deepEqual(harness.sessionRequests().map((r) => r.headers.authorization ?? null), [null, 'Bearer late-token']);
  assert.equal(await page.evaluate(() => window.__rdEvents.filter((e) => e.type === 'rd-error').length), 0);
});

for (const [what, type] of [
  ['throws', 'authentication'],
  ['gives a number', 'configuration'],
]) {
  test(`a getAuthToken that ${what} while the wasm loads is reported as ${type}, nothing sent`, async (t) => {
    const harness = await startHarness();
    t.after(() => harness.close());
    harness.endpoint = () => ({ body: session() });
    const page = await openHostPage(t, harness);
    // The first element of the page: the loader calls getAuthToken for its early request
    // before the wasm is loaded, then leaves the failure to the core, which asks again.
    await page.evaluate((what) => {
      window.__calls = 0;
      const el = document.createElement('referrer-dashboard');
      el.setAttribute('endpoint', '/session');
      el.getAuthToken = async () => {
        window.__calls += 1;
        if (what === 'throws') throw new Error('signed out');
        return 42;
      };
      document.querySelector('#main').append(el);
    }, what);
    await nthEvent(page, 'rd-error');
    const errors = await page.evaluate(() => window.__rdEvents.filter((e) => e.type === 'rd-error').map((e) => e.detail.type));
    assert.equal(errors[0], type);
    assert.equal(harness.sessionRequests().length, 0, 'no request without a usable token');
    assert.equal(await page.evaluate(() => window.__calls), 2, 'asked by the loader, then by the core');
  });
}

test('a host module that sets getAuthToken after a slow import still sends the early request with it', async (t) => {
  const harness = await startHarness();
  t.after(() => harness.close());
  let sessionAsked;
  const sessionArrived = new Promise((resolve) => (sessionAsked = resolve));
  harness.endpoint = (request) => {
    sessionAsked();
    return request.headers.authorization === 'Bearer host-token'
      ? { body: session() }
      : { status: 401, body: { error: { type: 'authentication', message: 'no token' } } };
  };
  // The host's module waits for an import that arrives only once the element has asked for the
  // wasm, and the wasm arrives only once the session request has: the early request must wait
  // for the host's scripts, as nothing else can finish before it.
  let wasmAsked;
  const asked = new Promise((resolve) => (wasmAsked = resolve));
  harness.beforeFile = async (file) => {
    if (file.endsWith('.wasm')) {
      wasmAsked();
      await sessionArrived;
    }
    if (file === '/slow.js') await asked;
  };
  harness.files = {
    '/host.js': "import { token } from '/slow.js';\ndocument.querySelector('referrer-dashboard').getAuthToken = async () => token;\n",
    '/slow.js': "export const token = 'host-token';\n",
  };
  harness.page = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>host</title>
    <script type="module" src="/pkg/referrer-dashboard.js"></script>
    <script type="module" src="/host.js"></script></head>
    <body><main id="main"><referrer-dashboard endpoint="/session"></referrer-dashboard></main></body></html>`;
  const page = await openHostPage(t, harness);
  await nthEvent(page, 'rd-load');
  assert.deepEqual(harness.sessionRequests().map((r) => r.headers.authorization ?? null), ['Bearer host-token']);
});
