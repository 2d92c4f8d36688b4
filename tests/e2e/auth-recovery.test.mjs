// After an `authentication` error the element asks again by itself while the host gives it a
// token source (a backend that rotated its JWT secret, a sign-in renewed in another tab): on a
// slow backoff and when the page is shown again, never in a loop. In Chromium, with the page's
// clock under the test's control.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { launch, nthEvent } from './helpers.mjs';
import { addWidget, openWidget, session, startHarness } from './harness.mjs';

let browser;
before(async () => {
  browser = await launch();
});
after(() => browser.close());

const REFUSED = { status: 401, body: { error: { type: 'authentication', message: 'invalid token' } } };

/**
 * The harness page with Playwright's clock installed and the page's visibility under the test's
 * control (`show(false)`), and an element with `attributes` whose `getAuthToken`, when `token`,
 * gives a token. The endpoint refuses while `refusing()` says so.
 */
async function setup(t, { attributes = {}, token = true } = {}) {
  const harness = await startHarness();
  t.after(() => harness.close());
  let refusing = true;
  harness.endpoint = () => (refusing ? REFUSED : { body: session() });
  const { context, page } = await openWidget(browser, harness, {
    init: () => {
      // No jitter: the backoff's spread is tested on the host (src/timing.rs); here the delays
      // are exact: 1, 2, 4 minutes after the first, second, third refusal in a row.
      Math.random = () => 0;
      window.__visibility = 'visible';
      Object.defineProperty(Document.prototype, 'visibilityState', { get: () => window.__visibility });
      Object.defineProperty(Document.prototype, 'hidden', { get: () => window.__visibility === 'hidden' });
    },
  });
  t.after(() => context.close());
  await page.clock.install();
  if (token) {
    await page.evaluate(() => {
      const element = document.createElement('referrer-dashboard');
      element.getAuthToken = async () => 'a-token';
      element.setAttribute('endpoint', '/session');
      element.setAttribute('locale', 'en-US');
      document.querySelector('#main').append(element);
    });
  } else {
    await addWidget(page, { endpoint: '/session', ...attributes });
  }
  await nthEvent(page, 'rd-error');
  const pageNow = () => page.evaluate(() => Date.now());
  return {
    harness,
    page,
    widget: page.locator('referrer-dashboard'),
    accept: () => (refusing = false),
    // The clock stops, then a refused request is made while it stands still: the retry timer it
    // sets starts at a known moment.
    pauseAndRefuse: async (n) => {
      await page.clock.pauseAt((await pageNow()) + 1_000);
      await page.evaluate(() => document.querySelector('referrer-dashboard').refresh());
      await nthEvent(page, 'rd-error', n);
    },
    fetches: () => page.evaluate(() => window.__fetches),
    show: (visible) =>
      page.evaluate((state) => {
        window.__visibility = state;
        document.dispatchEvent(new Event('visibilitychange'));
      }, visible ? 'visible' : 'hidden'),
  };
}

test('after authentication errors with getAuthToken set, it asks again by itself, not sooner than the backoff, and recovers', async (t) => {
  const { page, widget, accept, pauseAndRefuse, fetches } = await setup(t);
  // The second refusal in a row (the first was the element's first request): two minutes.
  await pauseAndRefuse(2);
  assert.equal(await fetches(), 2, 'one request per refusal: a 401 to a request sent with the token is not asked again');
  await widget.locator('[part="error"]').waitFor();
  accept(); // the backend takes the host's tokens again
  await page.clock.runFor(119_990);
  assert.equal(await fetches(), 2, 'nothing within two minutes');
  await page.clock.runFor(20);
  assert.equal(await fetches(), 3, 'asked again after two');
  await nthEvent(page, 'rd-load');
  await widget.locator('[part="stat-value"]').first().waitFor();
  assert.equal(await widget.locator('[part="error"]').count(), 0, 'the error state is gone');
});

test('the retries after authentication errors grow slower: 2, then 4 minutes', async (t) => {
  const { page, pauseAndRefuse, fetches } = await setup(t);
  await pauseAndRefuse(2);
  await page.clock.runFor(120_000);
  assert.equal(await fetches(), 3, 'after two minutes');
  await nthEvent(page, 'rd-error', 3);
  await page.clock.runFor(239_990);
  assert.equal(await fetches(), 3, 'the next not within four minutes of it');
  await page.clock.runFor(20);
  assert.equal(await fetches(), 4, 'but after four');
});

test('after an authentication error, showing the page again asks at once, but not twice within 5 s', async (t) => {
  const { page, widget, accept, pauseAndRefuse, fetches, show } = await setup(t);
  await pauseAndRefuse(2);
  await show(false);
  await page.clock.runFor(4_000);
  await show(true);
  assert.equal(await fetches(), 2, 'shown again 4 s after the refusal: not yet');
  await show(false);
  await page.clock.runFor(2_000);
  accept();
  await show(true);
  assert.equal(await fetches(), 3, 'shown again 6 s after it: asked at once');
  await nthEvent(page, 'rd-load');
  await widget.locator('[part="stat-value"]').first().waitFor();
});

test('without a token source an authentication error waits for the user: no retry, refresh() asks', async (t) => {
  const { page, accept, pauseAndRefuse, fetches, show } = await setup(t, { token: false });
  await pauseAndRefuse(2);
  await page.clock.runFor(30 * 60_000);
  await show(false);
  await show(true);
  assert.equal(await fetches(), 2, 'half an hour and a return to the page later, nothing asked');
  accept();
  await page.evaluate(() => document.querySelector('referrer-dashboard').refresh());
  assert.equal(await fetches(), 3, 'refresh() always asks');
  await nthEvent(page, 'rd-load');
});
