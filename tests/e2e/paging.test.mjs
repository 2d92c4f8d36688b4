// "Show more" against the real server, whose session pages hold 25 referrals: every press shows
// exactly page-size more (the last one the rest), and a page is fetched exactly when a step
// needs rows the element does not hold yet. (With 37 referrals and page-size 10 it once went
// 10 → 20 → 25 → 35 → 37.)
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { launch, mintToken, startDemo, startProcess, watchErrors, PACKAGE_DIR, SITE_DIR } from './helpers.mjs';

const SECRET = 'paging-test-identity-secret-0123456789abcdef';
/** Referrals per session page of the reference backend (server/src/session.rs). */
const SERVER_PAGE = 25;

let browser;
before(async () => {
  browser = await launch();
});
after(() => browser.close());

/**
 * Opens a blank page of `server`, adds a dashboard with `page-size` whose `getAuthToken` gives
 * `identity.token`, or asks the demo's token route for `identity.demoUser`, presses "Show more"
 * until it is gone, and returns every row count the list showed (recorded on each DOM change,
 * so a half step would be seen) and, for each cursor request, the press that caused it.
 */
async function showAll(t, server, pageSize, identity) {
  const context = await browser.newContext();
  t.after(() => context.close());
  const page = await context.newPage();
  const errors = watchErrors(page);
  let press = 0;
  const cursorPresses = [];
  page.on('request', (request) => {
    if (new URL(request.url()).searchParams.has('cursor')) cursorPresses.push(press);
  });
  await page.goto(`${server.url}/healthz`);
  await page.evaluate(
    async ([pageSize, { token, demoUser }]) => {
      await import('/referrer-dashboard/referrer-dashboard.js');
      const element = document.createElement('referrer-dashboard');
      element.setAttribute('endpoint', '/api/referral-dashboard');
      element.setAttribute('locale', 'en-US');
      element.setAttribute('page-size', String(pageSize));
      // A plain function returning the token (not a promise) is accepted too.
      element.getAuthToken = token
        ? () => token
        : async () => (await (await fetch(`/demo/token?user=${demoUser}`)).json()).token;
      window.__counts = [];
      element.addEventListener('rd-load', () => {
        const root = element.shadowRoot;
        const record = () => {
          const n = root.querySelectorAll('[part="referral"]').length;
          if (window.__counts.at(-1) !== n) window.__counts.push(n);
        };
        record();
        new MutationObserver(record).observe(root, { childList: true, subtree: true });
      }, { once: true });
      document.body.append(element);
    },
    [pageSize, identity],
  );
  const widget = page.locator('referrer-dashboard');
  const more = widget.locator('[part="more-button"]');
  await page.waitForFunction(() => window.__counts.length > 0);
  /** Waits until the list shows `n` rows and "Show more" is idle (or gone). */
  const settled = (n) =>
    page.waitForFunction((n) => {
      const root = document.querySelector('referrer-dashboard').shadowRoot;
      const button = root.querySelector('[part="more-button"]');
      return root.querySelectorAll('[part="referral"]').length === n && !button?.disabled;
    }, n);
  let shown = await widget.locator('[part="referral"]').count();
  await settled(shown);
  while ((await more.count()) > 0) {
    press += 1;
    assert.ok(press <= 100, 'Show more ends');
    await more.click();
    shown += pageSize;
    const total = await page.evaluate(() => document.querySelector('referrer-dashboard').session.stats.referrals);
    await settled(Math.min(shown, total));
  }
  assert.deepEqual(errors, []);
  return { counts: await page.evaluate(() => window.__counts), cursorPresses };
}

/** page-size, twice page-size, … up to `total`. */
const evenSteps = (total, pageSize) =>
  Array.from({ length: Math.ceil(total / pageSize) }, (_, k) => Math.min((k + 1) * pageSize, total));

/** The presses whose step first needs a row of the next server page. */
const fetchingPresses = (total, pageSize) =>
  Array.from({ length: Math.ceil(total / SERVER_PAGE) - 1 }, (_, p) => Math.floor(((p + 1) * SERVER_PAGE) / pageSize));

test('37 referrals (the sandbox demo user): page-size 10 shows 10, 20, 30, 37; page-size 25 shows 25, 37', async (t) => {
  const server = await startDemo();
  t.after(() => server.stop());
  const ten = await showAll(t, server, 10, { demoUser: 'ada' });
  assert.deepEqual(ten.counts, [10, 20, 30, 37]);
  assert.deepEqual(ten.cursorPresses, [2], 'the second press sends nothing, the third fetches the next page');
  assert.deepEqual(ten.cursorPresses, fetchingPresses(37, 10));
  const quarter = await showAll(t, server, 25, { demoUser: 'ada' });
  assert.deepEqual(quarter.counts, evenSteps(37, 25));
  assert.deepEqual(quarter.cursorPresses, fetchingPresses(37, 25));
});

test('60 referrals (seeded in the sandbox): page sizes 3, 10 and 25 step evenly across three server pages', async (t) => {
  const sandbox = await startProcess(['sandbox', '--key', 'rf_paging_test', '--empty'], {}, /^sandbox listening on (http\S+)/m);
  t.after(() => sandbox.stop());
  // The sandbox's control routes ask for its key, as its API does.
  const seeded = await fetch(new URL('/__sandbox/referrers', sandbox.url), {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer rf_paging_test' },
    body: JSON.stringify({ first_name: 'Sixty', last_name: 'Referrals', email: 'sixty@example.com', reach: 900, referrals: 60, qualified: 20 }),
  });
  assert.equal(seeded.status, 201);
  const server = await startProcess([], {
    REFERRAL_FACTORY_API_KEY: 'rf_paging_test',
    REFERRAL_FACTORY_API_URL: sandbox.url,
    REFERRAL_FACTORY_CAMPAIGN_ID: '1',
    DASHBOARD_JWT_SECRET: SECRET,
    DASHBOARD_SITE_DIR: SITE_DIR,
    DASHBOARD_PACKAGE_DIR: PACKAGE_DIR,
  });
  t.after(() => server.stop());
  // The referrer exists on the platform already: the token says the address is verified.
  const token = mintToken(SECRET, {
    sub: 'paging-sixty',
    email: 'sixty@example.com',
    email_verified: true,
    name: 'Sixty',
    exp: Math.floor(Date.now() / 1000) + 600,
  });
  for (const pageSize of [3, 10, 25]) {
    const { counts, cursorPresses } = await showAll(t, server, pageSize, { token });
    assert.deepEqual(counts, evenSteps(60, pageSize), `page-size ${pageSize}`);
    assert.deepEqual(cursorPresses, fetchingPresses(60, pageSize), `page-size ${pageSize}: presses that fetched`);
  }
});
