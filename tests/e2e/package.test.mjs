// The built npm package: its package.json entry, imported in a page, defines the element.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { launch, startDemo, watchErrors, PACKAGE_DIR } from './helpers.mjs';

test('importing the package entry defines the element once, and a second import is harmless', async (t) => {
  const manifest = JSON.parse(await readFile(join(PACKAGE_DIR, 'package.json'), 'utf8'));
  const entry = manifest.exports['.'].default;
  assert.ok(entry, 'package.json has exports["."]');
  const server = await startDemo();
  t.after(() => server.stop());
  const browser = await launch();
  t.after(() => browser.close());
  const page = await browser.newPage();
  const errors = watchErrors(page);
  // A same-origin page that loads nothing of its own.
  await page.goto(`${server.url}/healthz`);
  const result = await page.evaluate(async (url) => {
    const before = customElements.get('referrer-dashboard');
    const first = await import(url);
    const defined = customElements.get('referrer-dashboard');
    // A second copy of the module (another URL) must not throw on define.
    const second = await import(`${url}?copy`);
    return {
      before: before === undefined,
      defined: typeof defined === 'function' && defined === first.default,
      sameClass: second.default === first.default,
      isElement: document.createElement('referrer-dashboard') instanceof HTMLElement,
    };
  }, `/referrer-dashboard/${entry.replace(/^\.\//, '')}`);
  assert.deepEqual(result, { before: true, defined: true, sameClass: true, isElement: true });
  assert.deepEqual(errors, []);
});

// ---------------------------------------------------------------------------------------------
// npm pack → a fresh Vite 7 project → build → served → rendered.

import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile, mkdir, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { promisify } from 'node:util';

const exec = promisify(execFile);
const ROOT = new URL('../../', import.meta.url).pathname;

async function npm(args, cwd) {
  const { stdout } = await exec('npm', args, { cwd, maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

test('npm pack ships the one JS module, the wasm and the catalogues beside it, types and manifest, and the React wrapper apart', async () => {
  const [packed] = JSON.parse(await npm(['pack', '--dry-run', '--json'], PACKAGE_DIR));
  const files = packed.files.map((f) => f.path).sort();
  for (const needed of ['package.json', 'README.md', 'referrer-dashboard.js', 'referrer-dashboard.d.ts', 'referrer_dashboard_bg.wasm', 'custom-elements.json', 'react.js', 'react.d.ts']) {
    assert.ok(files.includes(needed), `${needed} is in the tarball (${files.join(', ')})`);
  }
  // The other languages' texts, beside the wasm, fetched only by an element that needs one.
  assert.deepEqual(
    files.filter((f) => f.startsWith('catalogue-')),
    ['ar', 'de', 'es', 'fr', 'he', 'ja', 'pt'].map((language) => `catalogue-${language}.js`),
  );
  // Entry, loader and glue are one module: no import waits for another round trip. The React
  // wrapper is a module of its own, loaded only where it is imported.
  assert.deepEqual(files.filter((f) => f.endsWith('.js') && !f.startsWith('catalogue-')), ['react.js', 'referrer-dashboard.js']);
  const manifest = JSON.parse(await readFile(join(PACKAGE_DIR, 'package.json'), 'utf8'));
  assert.deepEqual(manifest.exports['./react'], { types: './react.d.ts', default: './react.js' });
  assert.deepEqual(manifest.peerDependenciesMeta, { react: { optional: true } }, 'React is no dependency of the element');
  const wrapper = await readFile(join(PACKAGE_DIR, 'react.js'), 'utf8');
  assert.deepEqual([...wrapper.matchAll(/^import .* from '([^']+)';$/gm)].map((m) => m[1]), ['react'], 'the wrapper imports React…');
  assert.match(wrapper, /^import '\.\/referrer-dashboard\.js';$/m, '…and the element, the same module as the entry');
  assert.match(wrapper, /^'use client';/, 'a client module for React Server Components');
  const source = await readFile(join(PACKAGE_DIR, 'referrer-dashboard.js'), 'utf8');
  assert.deepEqual(
    [...source.matchAll(/(?:from|import)\s*\(?\s*["']([^"']+)["']/g)].map((m) => m[1]).sort(),
    ['ar', 'de', 'es', 'fr', 'he', 'ja', 'pt'].map((language) => `./catalogue-${language}.js`),
    'the module imports nothing but a language catalogue, when an element needs one (import())',
  );
  assert.ok(source.includes('referrer_dashboard_bg.wasm'), 'it fetches the wasm beside itself');
});

test('the packed package installed into a fresh Vite 7 project builds and renders, plainly (in German, its catalogue shipped by Vite) and in React 19', async (t) => {
  const work = await mkdtemp(join(tmpdir(), 'rd-vite-'));
  t.after(() => rm(work, { recursive: true, force: true }));
  const [packed] = JSON.parse(await npm(['pack', '--json', '--pack-destination', work], PACKAGE_DIR));
  const tarball = join(work, packed.filename);
  const app = join(work, 'app');
  await mkdir(app);
  const versions = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')).devDependencies;
  await writeFile(
    join(app, 'package.json'),
    JSON.stringify({
      name: 'fresh-vite-app',
      private: true,
      type: 'module',
      dependencies: { 'referrer-dashboard': `file:${tarball}`, react: versions.react, 'react-dom': versions['react-dom'] },
      devDependencies: { vite: versions.vite },
    }),
  );
  await writeFile(
    join(app, 'vite.config.js'),
    `export default { esbuild: { jsx: 'automatic' }, build: { rollupOptions: { input: ['index.html', 'react.html'] } } };\n`,
  );
  await writeFile(
    join(app, 'index.html'),
    `<!doctype html><html lang="de"><head><meta charset="utf-8"><title>plain</title>
<script type="module" src="/main.js"></script></head>
<body><referrer-dashboard endpoint="/api/referral-dashboard"></referrer-dashboard></body></html>`,
  );
  await writeFile(
    join(app, 'main.js'),
    `import 'referrer-dashboard';
document.querySelector('referrer-dashboard').getAuthToken = async () => (await (await fetch('/demo/token?user=ada')).json()).token;
`,
  );
  await writeFile(
    join(app, 'react.html'),
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>react</title>
<script type="module" src="/react.jsx"></script></head><body><div id="root"></div></body></html>`,
  );
  await writeFile(
    join(app, 'react.jsx'),
    `import { useState } from 'react';
import { createRoot } from 'react-dom/client';
import 'referrer-dashboard';

const getAuthToken = async () => (await (await fetch('/demo/token?user=linus')).json()).token;

function App() {
  const [copied, setCopied] = useState('');
  return (
    <>
      <referrer-dashboard endpoint="/api/referral-dashboard" getAuthToken={getAuthToken}
        onrd-copy={(event) => setCopied(event.detail.link ?? event.detail.coupon)} />
      <output id="copied">{copied}</output>
    </>
  );
}
createRoot(document.getElementById('root')).render(<App />);
`,
  );
  await npm(['install', '--prefer-offline', '--no-audit', '--no-fund'], app);
  await exec(join(app, 'node_modules/.bin/vite'), ['build', '--logLevel', 'error'], { cwd: app });
  // Each catalogue is a chunk of its own, loaded only by an element in its language; none is
  // inlined into the page's scripts.
  const assets = await readdir(join(app, 'dist/assets'));
  assert.deepEqual(assets.filter((f) => f.startsWith('catalogue-')).map((f) => f.split('-')[1]).sort(), ['ar', 'de', 'es', 'fr', 'he', 'ja', 'pt']);
  for (const script of assets.filter((f) => f.endsWith('.js') && !f.startsWith('catalogue-'))) {
    assert.ok(!(await readFile(join(app, 'dist/assets', script), 'utf8')).includes('Kopieren'), `${script} carries no catalogue`);
  }

  // The built app, served by the reference backend (same origin as the endpoint).
  const server = await startDemo({ DASHBOARD_SITE_DIR: join(app, 'dist') });
  t.after(() => server.stop());
  const browser = await launch();
  t.after(() => browser.close());
  const context = await browser.newContext({ permissions: ['clipboard-read', 'clipboard-write'] });
  const page = await context.newPage();
  const errors = watchErrors(page);

  await page.goto(`${server.url}/`);
  const values = page.locator('referrer-dashboard [part="stat-value"]');
  await values.first().waitFor();
  assert.deepEqual(await values.allTextContents(), ['1.204', '37', '12'], 'in German, the page\'s language');
  // The German catalogue is a file beside the wasm: Vite saw its URL and shipped it.
  assert.equal((await page.locator('referrer-dashboard [part="copy-button"]').textContent()).trim(), 'Kopieren');

  await page.goto(`${server.url}/react.html`);
  await values.first().waitFor();
  assert.deepEqual(await values.allTextContents(), ['98.8K', '260', '151'], 'the JSX getAuthToken property signed in Linus');
  await page.locator('referrer-dashboard [part="copy-button"]').click();
  await page.waitForFunction(() => document.querySelector('#copied').textContent.includes('/r/'));
  assert.match(await page.locator('#copied').textContent(), /^http:\/\/127\.0\.0\.1:\d+\/r\/\w+$/, 'the JSX onrd-copy listener ran');
  assert.deepEqual(errors, []);
});

// ---------------------------------------------------------------------------------------------
// The TypeScript declarations, as consumers of the packed tarball meet them under tsc --strict.

const TSC = join(ROOT, 'node_modules/.bin/tsc');

/** Installs the packed package (and `dependencies`) into a fresh folder under `work`. */
async function consumer(work, name, tarball, dependencies = {}) {
  const dir = join(work, name);
  await mkdir(dir);
  await writeFile(
    join(dir, 'package.json'),
    JSON.stringify({ name, private: true, type: 'module', dependencies: { 'referrer-dashboard': `file:${tarball}`, ...dependencies } }),
  );
  await npm(['install', '--prefer-offline', '--no-audit', '--no-fund'], dir);
  return dir;
}

/** `tsc --strict` on `files` of `dir` (no skipLibCheck: the package's .d.ts is checked too). */
async function typeCheck(dir, files, jsx) {
  const options = {
    strict: true,
    noEmit: true,
    target: 'es2022',
    lib: ['dom', 'es2022'],
    module: 'esnext',
    moduleResolution: 'bundler',
    resolveJsonModule: true,
    ...(jsx ? { jsx: 'react-jsx' } : {}),
  };
  await writeFile(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: options, files }));
  try {
    await exec(TSC, ['-p', join(dir, 'tsconfig.json')], { cwd: dir });
    return { ok: true, output: '' };
  } catch (error) {
    return { ok: false, output: `${error.stdout}${error.stderr}` };
  }
}

test('the types: React JSX takes HTML attributes and the element own props under tsc --strict, rejects wrong ones; events are typed on document and window; the manifest is exported', async (t) => {
  const work = await mkdtemp(join(tmpdir(), 'rd-types-'));
  t.after(() => rm(work, { recursive: true, force: true }));
  const [packed] = JSON.parse(await npm(['pack', '--json', '--pack-destination', work], PACKAGE_DIR));
  const tarball = join(work, packed.filename);
  const versions = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')).devDependencies;

  const react = await consumer(work, 'react-app', tarball, { '@types/react': versions['@types/react'] });
  await writeFile(
    join(react, 'app.tsx'),
    `import type { CSSProperties } from 'react';
import 'referrer-dashboard';
import type { ReferrerDashboard } from 'referrer-dashboard';

async function getToken(): Promise<string | null> {
  return (await (await fetch('/auth/dashboard-token')).json()).token;
}

export function Page({ onCopied }: { onCopied: (link: string) => void }) {
  return (
    <>
      <referrer-dashboard
        endpoint="/api/referral-dashboard"
        credentials="include"
        theme="dark"
        locale="de-DE"
        page-size={10}
        channels="email x"
        demo={false}
        getAuthToken={getToken}
        strings={{ copy: 'Copy my link' }}
        onrd-copy={(event) => onCopied(event.detail.link ?? event.detail.coupon)}
        onrd-error={(event) => console.warn(event.detail.type, event.detail.status)}
        lang="de"
        dir="rtl"
        title="Your referrals"
        className="dashboard"
        id="referrals"
        hidden={false}
        style={{ maxWidth: '40rem', '--rd-color-primary': '#7c3aed' } as CSSProperties}
        tabIndex={-1}
        onClick={(event) => event.currentTarget.refresh()}
        ref={(element: ReferrerDashboard | null) => {
          element?.focus();
        }}
      />
      <referrer-dashboard key="second" demo getAuthToken={() => 'a-token-given-at-once'} />
    </>
  );
}
`,
  );
  await writeFile(
    join(react, 'wrapper.tsx'),
    `import { useRef } from 'react';
import { ReferrerDashboard, type ReferrerDashboardElement, type ReferrerDashboardProps } from 'referrer-dashboard/react';

export function Page({ onCopied }: { onCopied: (link: string) => void }) {
  const dashboard = useRef<ReferrerDashboardElement>(null);
  const props: ReferrerDashboardProps = { endpoint: '/api/referral-dashboard', pageSize: 10 };
  return (
    <ReferrerDashboard
      {...props}
      ref={dashboard}
      tokenUrl="/auth/dashboard-token"
      theme="dark"
      demo={false}
      loading="lazy"
      getAuthToken={async () => null}
      strings={{ copy: 'Copy my link' }}
      onRdLoad={(event) => console.log(event.detail.stats.qualified)}
      onRdCopy={(event) => onCopied(event.detail.link ?? event.detail.coupon)}
      onRdShare={(event) => event.detail.channel === 'email' && event.preventDefault()}
      onRdError={(event) => dashboard.current?.refresh() ?? event.detail.status}
      className="dashboard"
      style={{ maxWidth: '40rem' }}
      id="referrals"
    />
  );
}
`,
  );
  const good = await typeCheck(react, ['app.tsx', 'wrapper.tsx'], true);
  assert.ok(good.ok, `a React consumer type-checks:\n${good.output}`);

  await writeFile(
    join(react, 'wrong-wrapper.tsx'),
    `import { ReferrerDashboard } from 'referrer-dashboard/react';
export const a = <ReferrerDashboard theme="blue" />;
export const b = <ReferrerDashboard onRdCopy={(event) => event.detail.channel} />;
export const c = <ReferrerDashboard getAuthToken={() => 42} />;
export const d = <ReferrerDashboard tokenURL="/auth/token" />;
`,
  );
  const wrongWrapper = await typeCheck(react, ['wrong-wrapper.tsx'], true);
  assert.equal(wrongWrapper.ok, false, 'wrong wrapper props fail');
  for (const line of [2, 3, 4, 5]) {
    assert.match(wrongWrapper.output, new RegExp(`wrong-wrapper\\.tsx\\(${line},\\d+\\): error TS`), `line ${line} is rejected:\n${wrongWrapper.output}`);
  }

  await writeFile(
    join(react, 'wrong.tsx'),
    `import 'referrer-dashboard';
export const a = <referrer-dashboard theme="blue" />;
export const b = <referrer-dashboard getAuthToken={() => 42} />;
export const c = <referrer-dashboard tabIndex="first" />;
export const d = <referrer-dashboard endpont="/api/referral-dashboard" />;
`,
  );
  const wrong = await typeCheck(react, ['wrong.tsx'], true);
  assert.equal(wrong.ok, false, 'wrong props fail');
  for (const line of [2, 3, 4, 5]) {
    assert.match(wrong.output, new RegExp(`wrong\\.tsx\\(${line},\\d+\\): error TS2322`), `line ${line} is rejected:\n${wrong.output}`);
  }
  assert.match(wrong.output, /'"blue"' is not assignable/);
  assert.match(wrong.output, /Did you mean 'endpoint'\?/);

  // No React in sight: the same declarations type-check a plain TypeScript project.
  const plain = await consumer(work, 'plain-app', tarball);
  await writeFile(
    join(plain, 'main.ts'),
    `import ReferrerDashboard from 'referrer-dashboard';
const element: ReferrerDashboard | null = document.querySelector('referrer-dashboard');
if (element) {
  element.getAuthToken = () => 'a-token';
  element.getAuthToken = async () => null;
  element.pageSize = 10;
  element.addEventListener('rd-copy', (event) => console.log(event.detail.link));
}
// The events bubble and are composed: typed wherever they are heard.
document.addEventListener('rd-copy', (e) => e.detail.link);
window.addEventListener('rd-error', (e) => e.detail.status ?? e.detail.type);
document.body.addEventListener('rd-share', (e) => e.detail.channel === 'email' && e.preventDefault());
`,
  );
  // Tools read the Custom Elements Manifest through the package's exports.
  await writeFile(
    join(plain, 'tools.ts'),
    `import manifest from 'referrer-dashboard/custom-elements.json' with { type: 'json' };
export const tag: string = manifest.modules[0].declarations[0].tagName;
`,
  );
  const bare = await typeCheck(plain, ['main.ts', 'tools.ts'], false);
  assert.ok(bare.ok, `a consumer without @types/react type-checks:\n${bare.output}`);
  const resolved = await exec('node', ['--input-type=module', '-e', "console.log(import.meta.resolve('referrer-dashboard/custom-elements.json'))"], { cwd: plain });
  assert.match(resolved.stdout, /node_modules\/referrer-dashboard\/custom-elements\.json$/m);

  await writeFile(
    join(plain, 'wrong.ts'),
    `import 'referrer-dashboard';
document.addEventListener('rd-copy', (e) => e.detail.channel);
`,
  );
  const untyped = await typeCheck(plain, ['wrong.ts'], false);
  assert.equal(untyped.ok, false, 'the detail is typed, not any');
  assert.match(untyped.output, /wrong\.ts\(2,\d+\): error TS2339: Property 'channel' does not exist/);
});
