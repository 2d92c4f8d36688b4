// Server benchmarks against the real binary (server profile) and a standalone sandbox:
//   throughput  cached sessions for 200 users with valid JWTs under wrk on loopback: req/s, p50,
//               p99 (wrk shares the machine's cores with the server; the core count is printed),
//               with the in-process cache and with Redis (DASHBOARD_REDIS_URL) in the same run
//   storm       300 new users at once against the sandbox with a budget of 500 calls/min:
//               upstream calls per user and the busiest 60 s window, from the sandbox's own log;
//               clients retry after Retry-After like the widget does. Once with one instance
//               (SQLite, in-process state), once with three on one Redis and one PostgreSQL,
//               requests spread round robin
//   returning   the same users after a restart (fresh cache, same database): calls per refresh
//
//   node benches/server.mjs <server-binary> [--out file.json] [--duration 10]
import { spawn, execFile } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { createServer } from 'node:net';
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

// --- Redis and PostgreSQL of the bench's own (Debian's packages; `cargo xtask bench` installs them)
const freePort = () =>
  new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
const waitFor = async (what, check) => {
  for (let i = 0; i < 300; i += 1) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not start`);
};
const engines = await mkdtemp(join(tmpdir(), 'rd-bench-engines-'));
const redisPort = await freePort();
const redis = spawn('redis-server', ['--bind', '127.0.0.1', '--port', String(redisPort), '--dir', engines, '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
const REDIS_URL = `redis://127.0.0.1:${redisPort}`;
await waitFor('redis-server', async () => (await exec('redis-cli', ['-p', String(redisPort), 'ping'])).stdout.includes('PONG'));
const pgBin = (await exec('sh', ['-c', 'ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1'])).stdout.trim();
const asRoot = process.getuid?.() === 0;
const pgTool = (tool, args) => (asRoot ? exec('runuser', ['-u', 'postgres', '--', `${pgBin}/${tool}`, ...args]) : exec(`${pgBin}/${tool}`, args));
if (asRoot) await exec('chown', ['postgres:postgres', engines]);
const pgPort = await freePort();
const pgData = join(engines, 'pg');
await pgTool('initdb', ['-D', pgData, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
await pgTool('pg_ctl', ['-D', pgData, '-l', join(engines, 'pg.log'), '-w', '-o', `-c listen_addresses=127.0.0.1 -p ${pgPort} -k ${engines} -c fsync=off`, 'start']);
const PG_URL = `postgres://postgres@127.0.0.1:${pgPort}/postgres`;
const stopEngines = async () => {
  await pgTool('pg_ctl', ['-D', pgData, '-m', 'immediate', '-w', 'stop']).catch(() => {});
  redis.kill('SIGKILL');
  await rm(engines, { recursive: true, force: true });
};

const sandbox = await start(['sandbox', '--key', KEY], {}, /^sandbox listening on (http\S+)/m);
// The sandbox's control routes ask for its key, as its API does.
const control = (path, init = {}) =>
  fetch(sandbox.url.replace('/api/v2', `/__sandbox/${path}`), { ...init, headers: { authorization: `Bearer ${KEY}`, ...init.headers } });
const calls = async () => {
  const response = await control('calls');
  if (!response.ok) throw new Error(`sandbox call log: ${response.status}`);
  return (await response.json()).calls;
};
const resetCalls = () => control('calls', { method: 'DELETE' });
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
for (const [name, level, shared] of [
  ['warn', 'warn', {}],
  ['info', 'info', {}],
  ['redis', 'warn', { DASHBOARD_REDIS_URL: REDIS_URL }],
]) {
  const server = await start([], serverEnv({ DASHBOARD_REQUESTS_PER_MIN: '1000000000', DASHBOARD_NEW_USERS_PER_MIN: '1000000', DASHBOARD_SESSION_TTL_SECS: '3600', RUST_LOG: level, ...shared }), /^listening on (http\S+)/m);
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
  throughput[name] = result;
  await server.stop();
}
console.log(`throughput: cached sessions, ${USERS} users, wrk -t2 -c64 ${DURATION}s on ${availableParallelism()} cores (${cpus()[0].model}), wrk on the same cores`);
for (const [name, r] of Object.entries(throughput)) {
  const label = name === 'redis' ? 'Redis, warn' : `RUST_LOG=${name}`;
  console.log(`  ${label.padEnd(13)} ${r.rps.toFixed(0).padStart(7)} req/s   p50 ${r.p50.toFixed(2)} ms   p99 ${r.p99.toFixed(2)} ms   non-2xx ${r.non2xx}   errors ${r.errors}`);
}
throughput.redisRatio = throughput.redis.rps / throughput.warn.rps;
console.log(`  Redis / in-process (both at warn): ${throughput.redisRatio.toFixed(2)} (target at least 0.5)`);

// --- storm of new users, on one instance and on three ----------------------------------------
const BUDGET = 500;
const STORM = 300;
async function runStorm(prefix, instances) {
  await resetCalls();
  const started = Date.now();
  const statuses = await Promise.all(
    Array.from({ length: STORM }, (_, i) => get(instances[i % instances.length].url, token(`${prefix}-${i}`, `${prefix}-${i}@example.org`))),
  );
  const seconds = (Date.now() - started) / 1000;
  const stormCalls = await calls();
  const times = stormCalls.map((c) => c.at_ms).sort((a, b) => a - b);
  let busiest = 0;
  for (let i = 0, j = 0; i < times.length; i += 1) {
    while (times[j] < times[i] - 60_000) j += 1;
    busiest = Math.max(busiest, i - j + 1);
  }
  const result = { users: STORM, instances: instances.length, sessions: statuses.filter((s) => s === 200).length, calls: stormCalls.length, callsPerUser: stormCalls.length / STORM, busiestWindow: busiest, budget: BUDGET, seconds };
  console.log(`  ${instances.length} instance${instances.length > 1 ? 's' : ' '}: ${result.sessions} sessions in ${seconds.toFixed(1)} s, ${result.calls} upstream calls (${result.callsPerUser.toFixed(2)} per user), busiest 60 s window ${busiest} calls`);
  return result;
}
console.log(`\nstorm: ${STORM} new users at once, budget ${BUDGET}/min, clients retrying after Retry-After:`);
// The storm's 300 users all connect from loopback, one address: the per-address connection cap
// (256), meant for one client's idle sockets, is lifted, as 300 users would come from 300.
const stormEnv = {
  RUST_LOG: 'warn',
  DASHBOARD_UPSTREAM_BUDGET_PER_MIN: String(BUDGET),
  DASHBOARD_NEW_USERS_PER_MIN: '1000000',
  DASHBOARD_MAX_CONNECTIONS_PER_ADDRESS: '0',
};
const stormServer = await start([], serverEnv(stormEnv), /^listening on (http\S+)/m);
const storm = await runStorm('storm', [stormServer]);
await stormServer.stop();
const fleet = await Promise.all([0, 1, 2].map(() => start([], serverEnv({ ...stormEnv, DASHBOARD_DB: PG_URL, DASHBOARD_REDIS_URL: REDIS_URL }), /^listening on (http\S+)/m)));
const stormShared = await runStorm('storm3', fleet);
await Promise.all(fleet.map((s) => s.stop()));

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
await stopEngines();
await rm(work, { recursive: true, force: true });
await mkdir(dirname(OUT), { recursive: true });
await writeFile(OUT, JSON.stringify({ cores: availableParallelism(), cpu: cpus()[0].model, throughput, storm, stormShared, returning }, null, 2));
console.log(`\nresults: ${OUT}`);
