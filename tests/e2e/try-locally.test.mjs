// The backend guide's "Try it locally" section, followed as a new user would: its commands run,
// its demo users have the numbers its table gives, its Vite proxy forwards routes that exist.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { startProcess } from './helpers.mjs';

const guide = readFileSync(new URL('../../www/docs/backend.html', import.meta.url), 'utf8');

/** The text of the `<pre id="…">` block, entities decoded. */
function block(id) {
  const match = guide.match(new RegExp(`<pre[^>]*id="${id}"[^>]*><code>([\\s\\S]*?)</code></pre>`));
  assert.ok(match, `the guide has a #${id} block`);
  return match[1].replaceAll('&lt;', '<').replaceAll('&gt;', '>').replaceAll('&quot;', '"').replaceAll('&amp;', '&');
}

/** The demo users table: user → [reach, referrals, qualified]. */
function demoUsers() {
  const table = guide.match(/<table id="demo-users">([\s\S]*?)<\/table>/)[1];
  const rows = [...table.matchAll(/<tr><td><code>(\w+)<\/code><\/td><td>[^<]*<\/td><td>(\d+)<\/td><td>(\d+)<\/td><td>(\d+)<\/td><\/tr>/g)];
  return rows.map(([, user, reach, referrals, qualified]) => [user, { reach: +reach, referrals: +referrals, qualified: +qualified }]);
}

test('"Try it locally": the sandbox starts as written, its demo users and tokens and the Vite proxy match the guide', async (t) => {
  // Step 1: the start command's environment, as written (the port is ours: 8787 may be taken).
  const run = block('try-run').split('\n').find((line) => line.includes('referrer-dashboard-server') && line.includes('='));
  const env = Object.fromEntries(run.split(/\s+/).filter((w) => /^[A-Z_]+=/.test(w)).map((w) => w.split('=')));
  assert.equal(env.DASHBOARD_SANDBOX, 'true');
  const server = await startProcess([], { ...env, PORT: '0' });
  t.after(() => server.stop());

  // Step 2 and 3: every demo user's token gives the numbers of the table.
  const users = demoUsers();
  assert.deepEqual(users.map(([user]) => user), ['ada', 'grace', 'linus', 'new']);
  for (const [user, stats] of users) {
    const { token } = await (await fetch(`${server.url}/demo/token?user=${user}`)).json();
    const response = await fetch(`${server.url}/api/referral-dashboard`, { headers: { Authorization: `Bearer ${token}` } });
    assert.equal(response.status, 200, user);
    assert.deepEqual((await response.json()).stats, stats, user);
  }

  // Step 3's shell lines, run as written against this server.
  const port = new URL(server.url).port;
  const script = block('try-token').replaceAll('8787', port);
  const out = execFileSync('bash', ['-c', script], { encoding: 'utf8' });
  assert.equal(JSON.parse(out).stats.referrals, 37, 'the curl lines give Ada\'s session');

  // Step 4: the proxied paths are the server's routes.
  const proxied = [...block('try-vite').matchAll(/'(\/[^']+)': 'http:\/\/127\.0\.0\.1:8787'/g)].map((m) => m[1]);
  assert.deepEqual(proxied, ['/api/referral-dashboard', '/demo/token']);
  for (const path of proxied) {
    const response = await fetch(`${server.url}${path}`);
    assert.notEqual(response.status, 404, path);
  }
});
