// Server benchmarks against the real binary (server profile) and a standalone sandbox:
//   throughput  cached sessions for 200 users with valid JWTs under wrk on loopback: req/s, p50,
//               p99 (wrk shares the machine's cores with the server; the core count is printed)
//   storm       300 new users at once against the sandbox with the default budget (500 calls/min):
//               upstream calls per user and the busiest 60 s window, from the sandbox's own log;
//               clients retry after Retry-After like the widget does
//   returning   the same users after a restart (fresh cache, same database): calls per refresh
//
//   node benches/server.mjs <server-binary> [--out file.json] [--duration 10]
import { spawn, execFile } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

const args = process.argv.slice(2);
const BIN = args[0] ?? 'target/server/referrer-dashboard-server';
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const OUT = option('--out', 'target/bench/server.json');
const DURATION = Number(option('--duration', 10));
const KEY = 'rf_bench_key_not_a_secret';
const SECRET = 'bench-identity-secret-0123456789abcdef0123';
const exec = promisify(execFile);

function token(sub, email) {
  const encode = (v) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const body = `${encode({ alg: 'HS256', typ: 'JWT' })}.${encode({ sub, email, email_verified: true, exp: Math.floor(Date.now() / 1000) + 900 })}`;
  return `${body}.${createHmac('sha256', SECRET).update(body).digest('base64url')}`;
}

function start(args, env, ready) {
  const child = spawn(BIN, args, { env: { PATH: process.env.PATH, PORT: '0', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  let started = false;
  return new Promise((resolve, reject) => {
    // Until it is ready the output is kept (for the error message); after that the log is read
    // and dropped, as a log collector would take it, so the bench does not grow a string of it.
    const keep = (chunk) => {
      if (!started) output += chunk;
    };
    child.stdout.on('data', (chunk) => {
      keep(chunk);
      const match = !started && output.match(ready);
      if (match) {
        started = true;
        output = '';
        resolve({ url: match[1], stop: () => new Promise((r) => (child.once('exit', r), child.kill('SIGTERM'))) });
      }
    });
    child.stderr.on('data', keep);
    child.once('exit', (code) => reject(new Error(`exited ${code}:\n${output}`)));
  });
}

const sandbox = await start(['sandbox', '--key', KEY], {}, /^sandbox listening on (http\S+)/m);
const control = (path) => sandbox.url.replace('/api/v2', `/__sandbox/${path}`);
const calls = async () => (await (await fetch(control('calls'))).json()).calls;
const resetCalls = () => fetch(control('calls'), { method: 'DELETE' });
const work = await mkdtemp(join(tmpdir(), 'rd-bench-'));
const serverEnv = (extra = {}) => ({
  REFERRAL_FACTORY_API_KEY: KEY,
  REFERRAL_FACTORY_API_URL: sandbox.url,
  REFERRAL_FACTORY_CAMPAIGN_ID: '1',
  DASHBOARD_JWT_SECRET: SECRET,
  DASHBOARD_DB: join(work, 'bench.sqlite3'),
  ...extra,
});

async function get(base, jwt) {
  for (;;) {
    const response = await fetch(`${base}/api/referral-dashboard`, { headers: { authorization: `Bearer ${jwt}` } });
    await response.arrayBuffer();
    if (response.status !== 429) return response.status;
    const wait = Number(response.headers.get('retry-after') ?? 1);
    await new Promise((r) => setTimeout(r, wait * 1000));
  }
}

// --- throughput -------------------------------------------------------------------------------
const USERS = 200;
const throughput = {};
for (const level of ['warn', 'info']) {
  const server = await start([], serverEnv({ DASHBOARD_REQUESTS_PER_MIN: '1000000000', DASHBOARD_NEW_USERS_PER_MIN: '1000000', DASHBOARD_SESSION_TTL_SECS: '3600', RUST_LOG: level }), /^listening on (http\S+)/m);
  const tokens = Array.from({ length: USERS }, (_, i) => token(`tp-${i}`, `tp-${i}@example.org`));
  for (const jwt of tokens) if ((await get(server.url, jwt)) !== 200) throw new Error('warm-up failed');
  const script = join(work, 'tokens.lua');
  await writeFile(
    script,
    `local tokens = {${tokens.map((t) => `"${t}"`).join(',')}}
local n = 0
request = function()
  n = n + 1
  return wrk.format("GET", "/api/referral-dashboard", { ["Authorization"] = "Bearer " .. tokens[(n % #tokens) + 1] })
end
done = function(summary, latency, requests)
  io.write(string.format("JSON{\\"requests\\":%d,\\"errors\\":%d,\\"non2xx\\":%d,\\"p50\\":%f,\\"p99\\":%f,\\"rps\\":%f}\\n",
    summary.requests, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status, latency:percentile(50) / 1000, latency:percentile(99) / 1000, summary.requests / (summary.duration / 1e6)))
end
`,
  );
  const { stdout } = await exec('wrk', ['-t2', '-c64', `-d${DURATION}s`, '--latency', '-s', script, `${server.url}/api/referral-dashboard`], { maxBuffer: 1 << 24 });
  const result = JSON.parse(stdout.split('JSON')[1]);
  throughput[level] = result;
  await server.stop();
}
console.log(`throughput: cached sessions, ${USERS} users, wrk -t2 -c64 ${DURATION}s on ${availableParallelism()} cores (${cpus()[0].model}), wrk on the same cores`);
for (const [level, r] of Object.entries(throughput)) {
  console.log(`  RUST_LOG=${level.padEnd(5)} ${r.rps.toFixed(0).padStart(7)} req/s   p50 ${r.p50.toFixed(2)} ms   p99 ${r.p99.toFixed(2)} ms   non-2xx ${r.non2xx}   errors ${r.errors}`);
}

// --- storm of new users ----------------------------------------------------------------------
await resetCalls();
const BUDGET = 500;
const STORM = 300;
const stormServer = await start([], serverEnv({ RUST_LOG: 'warn', DASHBOARD_UPSTREAM_BUDGET_PER_MIN: String(BUDGET), DASHBOARD_NEW_USERS_PER_MIN: '1000000' }), /^listening on (http\S+)/m);
const started = Date.now();
const statuses = await Promise.all(Array.from({ length: STORM }, (_, i) => get(stormServer.url, token(`storm-${i}`, `storm-${i}@example.org`))));
const stormSeconds = (Date.now() - started) / 1000;
const stormCalls = await calls();
const times = stormCalls.map((c) => c.at_ms).sort((a, b) => a - b);
let busiest = 0;
for (let i = 0, j = 0; i < times.length; i += 1) {
  while (times[j] < times[i] - 60_000) j += 1;
  busiest = Math.max(busiest, i - j + 1);
}
const storm = {
  users: STORM,
  sessions: statuses.filter((s) => s === 200).length,
  calls: stormCalls.length,
  callsPerUser: stormCalls.length / STORM,
  busiestWindow: busiest,
  budget: BUDGET,
  seconds: stormSeconds,
};
console.log(`\nstorm: ${STORM} new users at once, budget ${BUDGET}/min: ${storm.sessions} sessions in ${stormSeconds.toFixed(1)} s, ${storm.calls} upstream calls (${storm.callsPerUser.toFixed(2)} per user), busiest 60 s window ${busiest} calls`);
await stormServer.stop();

// --- returning users after a restart -----------------------------------------------------------
// Ada's first visit maps her (the storm already mapped its users); then a fresh server (empty
// cache, same database) sees both as returning users.
const first = await start([], serverEnv({ RUST_LOG: 'warn' }), /^listening on (http\S+)/m);
await get(first.url, token('bench-ada', 'ada@example.com'));
await first.stop();
const again = await start([], serverEnv({ RUST_LOG: 'warn' }), /^listening on (http\S+)/m);
const returning = {};
for (const [name, sub, email] of [
  ['with referrals (ada, 37)', 'bench-ada', 'ada@example.com'],
  ['without referrals (storm-0)', 'storm-0', 'storm-0@example.org'],
]) {
  await resetCalls();
  await get(again.url, token(sub, email));
  returning[name] = (await calls()).map((c) => c.route);
}
await again.stop();
console.log('\nreturning user, refresh after a restart (fresh cache, same database):');
for (const [name, routes] of Object.entries(returning)) console.log(`  ${name.padEnd(30)} ${routes.length} calls: ${routes.join(', ')}`);

await sandbox.stop();
await rm(work, { recursive: true, force: true });
await mkdir(dirname(OUT), { recursive: true });
await writeFile(OUT, JSON.stringify({ cores: availableParallelism(), cpu: cpus()[0].model, throughput, storm, returning }, null, 2));
console.log(`\nresults: ${OUT}`);
