// Every failure maps to its rd-error type (SPEC §4) and, with nothing to show, the error state.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { launch, nthEvent } from './helpers.mjs';
import { addWidget, openWidget, session, startHarness } from './harness.mjs';

let browser;
before(async () => {
  browser = await launch();
});
after(() => browser.close());

const CASES = [
  { name: '401', answer: { status: 401, body: { error: { type: 'authentication', message: 'no session' } } }, type: 'authentication', status: 401 },
  { name: '403', answer: { status: 403, body: '' }, type: 'authentication', status: 403 },
  { name: '500', answer: { status: 500, body: 'oops' }, type: 'server', status: 500 },
  { name: '503', answer: { status: 503, body: { error: { type: 'server', message: 'maintenance' } } }, type: 'server', status: 503 },
  { name: 'malformed JSON', answer: { body: '{"version": 1, "expi' }, type: 'invalid_response', message: /not valid JSON/ },
  { name: 'wrong version', answer: { body: session({ version: 2 }) }, type: 'invalid_response', message: /version/ },
  {
    name: 'javascript: link',
    answer: { body: session({ referrer: { link: 'javascript:alert(document.cookie)' } }) },
    type: 'invalid_response',
    message: /referrer\.link/,
  },
  { name: 'negative count', answer: { body: session({ stats: { reach: -1, referrals: 0, qualified: 0 } }) }, type: 'invalid_response', message: /stats\.reach/ },
  { name: 'bad date', answer: { body: session({ expires_at: 'soon' }) }, type: 'invalid_response', message: /expires_at/ },
  { name: 'unknown status', answer: { body: session({ referrals: { items: [{ id: 'a', status: 'won' }], next: null } }) }, type: 'invalid_response', message: /status/ },
];

for (const c of CASES) {
  test(`${c.name} is reported as ${c.type} and shows the error state`, async (t) => {
    const harness = await startHarness();
    t.after(() => harness.close());
    harness.endpoint = () => c.answer;
    const { context, page } = await openWidget(browser, harness, { attributes: { endpoint: '/session' } });
    t.after(() => context.close());
    const detail = await nthEvent(page, 'rd-error');
    assert.equal(detail.type, c.type);
    if (c.status) assert.equal(detail.status, c.status);
    if (c.message) assert.match(detail.message, c.message);
    const widget = page.locator('referrer-dashboard');
    await widget.locator('[part="retry-button"]').waitFor();
    assert.equal(await widget.locator('[part="link"]').count(), 0, 'nothing from an invalid session is shown');
  });
}

test('the endpoint\'s own error message is passed on', async (t) => {
  const harness = await startHarness();
  t.after(() => harness.close());
  harness.endpoint = () => ({ status: 401, body: { error: { type: 'authentication', message: 'please sign in again' } } });
  const { context, page } = await openWidget(browser, harness, { attributes: { endpoint: '/session' } });
  t.after(() => context.close());
  assert.equal((await nthEvent(page, 'rd-error')).message, 'please sign in again');
});

test('429 is rate_limit and the automatic retry honours Retry-After', async (t) => {
  const harness = await startHarness();
  t.after(() => harness.close());
  let n = 0;
  harness.endpoint = () => {
    n += 1;
    return n === 2 ? { status: 429, headers: { 'retry-after': '3' }, body: { error: { type: 'rate_limit' } } } : { body: session() };
  };
  const { context, page } = await openWidget(browser, harness);
  t.after(() => context.close());
  // Playwright's clock, stopped before the request that gets the 429: the retry's timer starts
  // at a known moment.
  await page.clock.install();
  await addWidget(page, { endpoint: '/session' });
  await nthEvent(page, 'rd-load');
  await page.clock.pauseAt((await page.evaluate(() => Date.now())) + 1_000);
  await page.evaluate(() => document.querySelector('referrer-dashboard').refresh());
  const detail = await nthEvent(page, 'rd-error');
  assert.equal(detail.type, 'rate_limit');
  assert.equal(detail.status, 429);
  const fetches = () => page.evaluate(() => window.__fetches);
  // The backoff alone would retry within 2.5 s; Retry-After says 3.
  await page.clock.runFor(2_900);
  assert.equal(await fetches(), 2, 'no retry before Retry-After');
  await page.clock.runFor(200);
  assert.equal(await fetches(), 3, 'retried once Retry-After has passed');
  await nthEvent(page, 'rd-load', 2);
  assert.equal(harness.sessionRequests().length, 3);
});

test('a request that never answers times out as network', async (t) => {
  const harness = await startHarness();
  t.after(() => harness.close());
  harness.endpoint = () => ({ hold: true });
  const { context, page } = await openWidget(browser, harness);
  t.after(() => context.close());
  // A fake clock lets the 15 s timeout pass without waiting 15 s.
  await page.clock.install();
  await addWidget(page, { endpoint: '/session' });
  while (harness.sessionRequests().length < 1) await new Promise((r) => setImmediate(r));
  await page.clock.runFor(16_000);
  const detail = await nthEvent(page, 'rd-error');
  assert.equal(detail.type, 'network');
  assert.match(detail.message, /timed out/);
});

test('an unreachable endpoint is network', async (t) => {
  const harness = await startHarness();
  t.after(() => harness.close());
  const { context, page } = await openWidget(browser, harness);
  t.after(() => context.close());
  await page.route('**/unreachable', (route) => route.abort('connectionrefused'));
  await addWidget(page, { endpoint: '/unreachable' });
  assert.equal((await nthEvent(page, 'rd-error')).type, 'network');
});

test('a missing endpoint attribute is configuration, with no request made', async (t) => {
  const harness = await startHarness();
  t.after(() => harness.close());
  const { context, page } = await openWidget(browser, harness);
  t.after(() => context.close());
  await addWidget(page, {});
  const detail = await nthEvent(page, 'rd-error');
  assert.equal(detail.type, 'configuration');
  assert.match(detail.message, /endpoint/);
  assert.equal(await page.evaluate(() => window.__fetches), 0);
});
