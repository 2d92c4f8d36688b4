// The API key reaches nothing the browser receives, and no log line, even when it is refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { launch, mintToken, nthEvent, recordEvents, startProcess, PACKAGE_DIR, SITE_DIR } from './helpers.mjs';

const KEY = 'rf_live_TEST_KEY_MUST_NOT_LEAK_5f3a9c71';
const SECRET = 'e2e-identity-secret-0123456789abcdef0123';

/** The server with a real key configuration, against a sandbox started on its own. */
async function startWithKey(t, sandboxKey) {
  const sandbox = await startProcess(['sandbox', '--key', sandboxKey], {}, /^sandbox listening on (http\S+)/m);
  t.after(() => sandbox.stop());
  const server = await startProcess([], {
    REFERRAL_FACTORY_API_KEY: KEY,
    REFERRAL_FACTORY_API_URL: sandbox.url,
    REFERRAL_FACTORY_CAMPAIGN_ID: '1',
    DASHBOARD_JWT_SECRET: SECRET,
    DASHBOARD_SITE_DIR: SITE_DIR,
    DASHBOARD_PACKAGE_DIR: PACKAGE_DIR,
    RUST_LOG: 'debug',
  });
  t.after(() => server.stop());
  return server;
}

/** Opens the demo page with tokens minted here, recording every response the browser gets. */
async function openRecording(t, server) {
  const browser = await launch();
  t.after(() => browser.close());
  const page = await browser.newPage();
  const received = [];
  page.on('response', async (response) => {
    const headers = JSON.stringify(await response.allHeaders());
    const body = await response.body().catch(() => Buffer.alloc(0));
    received.push(`${response.url()}\n${headers}\n${body.toString('latin1')}`);
  });
  const exp = Math.floor(Date.now() / 1000) + 300;
  await recordEvents(page);
  await page.route('**/demo/token*', (route) =>
    route.fulfill({ json: { token: mintToken(SECRET, { sub: 'e2e-ada', email: 'ada@example.com', name: 'Ada', email_verified: true, exp }) } }),
  );
  return { page, received };
}

test('with a working key, nothing the browser receives contains it', async (t) => {
  const server = await startWithKey(t, KEY);
  const { page, received } = await openRecording(t, server);
    await page.goto(`${server.url}/`);
  assert.deepEqual((await nthEvent(page, 'rd-load')).stats, { reach: 1204, referrals: 37, qualified: 12 });
  // Error answers too: no token, and a forged cursor.
  const statuses = await page.evaluate(async () => {
    const a = await fetch('/api/referral-dashboard');
    const b = await fetch('/api/referral-dashboard?cursor=forged.cursor', { headers: { Authorization: 'Bearer x' } });
    return [a.status, b.status];
  });
  assert.deepEqual(statuses, [401, 401]);
  assert.ok(received.length > 5, `recorded ${received.length} responses`);
  for (const text of received) assert.ok(!text.includes(KEY), `the key leaked in:\n${text.slice(0, 300)}`);
  // The log records requests (awaited: the line may reach the pipe after the answer the browser).
  const log = await server.waitForOutput(/path=\/api\/referral-dashboard.*status=401/);
  assert.match(log, /path=\/api\/referral-dashboard.*status=200/);
  assert.ok(!log.includes(KEY), 'the key is not in the server log');
});

test('when the platform refuses the key, the error names no key either', async (t) => {
  const server = await startWithKey(t, 'a-different-key');
  const { page, received } = await openRecording(t, server);
    await page.goto(`${server.url}/`);
  const detail = await nthEvent(page, 'rd-error');
  assert.equal(detail.type, 'server');
  assert.equal(detail.status, 502);
  for (const text of received) assert.ok(!text.includes(KEY), `the key leaked in:\n${text.slice(0, 300)}`);
  const log = await server.waitForOutput(/refused the API key/);
  assert.ok(!log.includes(KEY), 'the key is not in the server log');
});
