// The server-rendered examples as their frameworks serve them: Next.js 16 (App Router, `next
// start`) and SvelteKit 2 (adapter-node, `node build`), built by `cargo xtask` into
// target/examples/, each with its own token route and its proxy to the reference backend (the
// server binary in sandbox mode, accepting the frameworks' tokens through DASHBOARD_JWT_SECRET).
// Loaded in Chromium: the server's HTML has the tag, the dashboard renders, no error, no
// hydration warning, one session request with the framework's token.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { launch, startProcess, startReady, watchErrors } from './helpers.mjs';

const exec = promisify(execFile);
const ROOT = new URL('../../', import.meta.url).pathname;
const EXAMPLES = process.env.RD_EXAMPLES_DIR ?? join(ROOT, 'target/examples');
/** The secret the frameworks sign with and the backend checks (SPEC §6: 32 bytes or more). */
const SECRET = randomBytes(32).toString('hex');

let backend;
let browser;
before(async () => {
  backend = await startProcess([], { DASHBOARD_JWT_SECRET: SECRET });
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await backend?.stop();
});

/** A free loopback port (for servers that print no port of their own choosing). */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const FRAMEWORKS = [
  {
    name: 'Next.js 16 (App Router, next start)',
    dir: 'next',
    start: (port) => [join(ROOT, 'node_modules/next/dist/bin/next'), 'start', '-H', '127.0.0.1', '-p', String(port)],
    env: { NEXT_TELEMETRY_DISABLED: '1' },
    ready: /Ready in/,
    // The React wrapper's attributes: the element waits for its effects.
    rendered: ['endpoint="/api/referral-dashboard"', 'defer-hydration=""'],
  },
  {
    name: 'SvelteKit 2 (adapter-node, node build)',
    dir: 'sveltekit',
    start: () => ['build'],
    env: {},
    ready: /Listening on/,
    rendered: ['endpoint="/api/referral-dashboard"', 'token-url="/api/dashboard-token"'],
  },
];

for (const framework of FRAMEWORKS) {
  test(`${framework.name}: server-rendered, then the dashboard in Chromium, no error, no hydration warning`, async (t) => {
    const port = await freePort();
    const app = await startReady(framework.name, process.execPath, framework.start(port), {
      cwd: join(EXAMPLES, framework.dir),
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        NODE_ENV: 'production',
        ...framework.env,
        HOST: '127.0.0.1',
        PORT: String(port),
        DASHBOARD_BACKEND_URL: backend.url,
        DASHBOARD_JWT_SECRET: SECRET,
      },
      ready: framework.ready,
    });
    t.after(() => app.stop());
    const url = `http://127.0.0.1:${port}/`;

    // What the framework's server answers, before any script runs: the tag, with its attributes.
    for (let i = 0; i < 2; i += 1) {
      const response = await fetch(url);
      const html = await response.text();
      assert.equal(response.status, 200, `request ${i + 1} is served (no 500):\n${html.slice(0, 500)}`);
      const tag = html.match(/<referrer-dashboard[^>]*>/)?.[0];
      assert.ok(tag, `the server's HTML has the element:\n${html.slice(0, 2000)}`);
      for (const attribute of framework.rendered) assert.ok(tag.includes(attribute), `${attribute} in ${tag}`);
    }

    const context = await browser.newContext();
    t.after(() => context.close());
    const page = await context.newPage();
    const errors = watchErrors(page);
    page.on('console', (message) => {
      if (/hydrat/i.test(message.text())) errors.push(`${message.type()}: ${message.text()}`);
    });
    const failed = [];
    page.on('response', (response) => {
      if (response.status() >= 400) failed.push(`${response.status()} ${response.url()}`);
    });
    const sessions = [];
    page.on('request', (request) => {
      if (new URL(request.url()).pathname === '/api/referral-dashboard') sessions.push(request.headers().authorization ?? '');
    });
    const response = await page.goto(url);
    assert.equal(response.status(), 200);
    const widget = page.locator('referrer-dashboard');
    await widget.locator('[part="stat-value"]').first().waitFor();
    assert.deepEqual(await widget.locator('[part="stat-value"]').allTextContents(), ['1,204', '37', '12'], "Ada's dashboard");
    // The framework's own listener heard rd-load (attached after hydration).
    await page.waitForFunction(() => document.querySelector('#last-event')?.textContent === 'rd-load: 37 referrals');
    assert.equal(sessions.length, 1, 'one session request');
    assert.match(sessions[0], /^Bearer [\w-]+\.[\w-]+\.[\w-]+$/, "with the framework's token");
    assert.deepEqual(failed, [], 'no request failed');
    assert.deepEqual(errors, []);
  });
}

test('svelte-check passes on the SvelteKit example (TypeScript) and catches wrong props and events with the package types', async (t) => {
  const svelteCheck = join(ROOT, 'node_modules/svelte-check/bin/svelte-check');
  const check = async (dir) => {
    try {
      const { stdout } = await exec(process.execPath, [svelteCheck, '--tsconfig', './tsconfig.json', '--output', 'machine'], { cwd: dir, maxBuffer: 16 * 1024 * 1024 });
      return { ok: true, output: stdout };
    } catch (error) {
      return { ok: false, output: `${error.stdout}${error.stderr}` };
    }
  };
  const example = join(EXAMPLES, 'sveltekit');
  // A copy beside it (so it resolves the same packages) with a page that gets the element wrong.
  const wrong = await mkdtemp(join(EXAMPLES, 'sveltekit-wrong-'));
  t.after(() => rm(wrong, { recursive: true, force: true }));
  await cp(example, wrong, { recursive: true, filter: (path) => !path.includes('/build') });
  await writeFile(
    join(wrong, 'src/routes/+page.svelte'),
    `<script lang="ts">
  import 'referrer-dashboard';
</script>

<referrer-dashboard theme="blue"></referrer-dashboard>
<referrer-dashboard endpoint="/api" onrd-copy={(event) => event.detail.channel}></referrer-dashboard>
<referrer-dashboard endpoint="/api" getAuthToken={() => 42}></referrer-dashboard>
`,
  );
  const [good, bad] = await Promise.all([check(example), check(wrong)]);
  assert.ok(good.ok, `the example type-checks:\n${good.output}`);
  assert.match(good.output, /COMPLETED \d+ FILES 0 ERRORS 0 WARNINGS/);
  assert.equal(bad.ok, false, `wrong props fail:\n${bad.output}`);
  for (const [line, what] of [
    [5, /blue/],
    [6, /channel/],
    [7, /number/],
  ]) {
    const error = bad.output.split('\n').find((l) => l.includes(' ERROR ') && l.includes(`+page.svelte" ${line}:`));
    assert.ok(error && what.test(error), `line ${line} is rejected (${what}):\n${bad.output}`);
  }
});
