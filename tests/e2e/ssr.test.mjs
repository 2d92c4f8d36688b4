// The package where there is no DOM: server-side rendering imports a page's modules in Node
// (Next.js, SvelteKit, Nuxt, Astro). Each import runs in a fresh `node` process, so nothing one
// leaves behind (a global, a cached module) can make another pass.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { PACKAGE_DIR } from './helpers.mjs';

const exec = promisify(execFile);
const CDN_DIR = process.env.RD_CDN_DIR;
const ROOT = new URL('../../', import.meta.url).pathname;

/**
 * Runs `body` (an async function's source, given `url`) as a module in a fresh Node process whose
 * `fetch` only counts calls, and returns what it printed as JSON.
 */
async function inNode(url, body, prelude = '') {
  const source = `
    globalThis.__fetches = [];
    globalThis.fetch = (input) => { globalThis.__fetches.push(String(input)); return Promise.reject(new Error('no network here')); };
    ${prelude}
    const url = ${JSON.stringify(url)};
    const result = await (${body})(url);
    console.log(JSON.stringify(result));
  `;
  const { stdout, stderr } = await exec(process.execPath, ['--input-type=module', '-e', source], { cwd: ROOT }).catch((error) => {
    // The message without the minified line Node quotes above the error.
    const why = error.stderr.split('\n').filter((line) => line.length < 300).join('\n');
    throw new Error(`the import failed:\n${why}`);
  });
  assert.equal(stderr, '', 'nothing written to stderr');
  return JSON.parse(stdout.trim().split('\n').pop());
}

/** What importing `url` did: its exports, the globals it defined, the requests it made. */
const importIt = `async (url) => {
  const module = await import(url);
  return {
    exports: Object.keys(module).sort(),
    default: typeof module.default,
    fetches: globalThis.__fetches,
    globals: ['document', 'window', 'self', 'customElements', 'HTMLElement'].filter((name) => name in globalThis),
  };
}`;

const packageEntry = async () => {
  const manifest = JSON.parse(await readFile(join(PACKAGE_DIR, 'package.json'), 'utf8'));
  return pathToFileURL(join(PACKAGE_DIR, manifest.exports['.'].default)).href;
};

test('importing the built npm package in plain Node defines nothing, fetches nothing, throws nothing', async () => {
  const result = await inNode(await packageEntry(), importIt);
  assert.deepEqual(result, {
    exports: ['ReferrerDashboard', 'default'],
    default: 'undefined',
    fetches: [],
    globals: [],
  });
});

test('importing the script-tag (CDN) module in plain Node defines nothing, fetches nothing, throws nothing', async () => {
  const manifest = JSON.parse(await readFile(join(CDN_DIR, 'manifest.json'), 'utf8'));
  const result = await inNode(pathToFileURL(join(CDN_DIR, manifest.entry)).href, importIt);
  assert.deepEqual(result, { exports: ['ReferrerDashboard', 'default'], default: 'undefined', fetches: [], globals: [] });
});

test('the same module, given the globals of a page, starts the wasm download and defines the element', async () => {
  // The counter-proof of the two tests above: the guard skips only what is absent.
  const page = `
    globalThis.__defined = [];
    globalThis.HTMLElement = class {};
    globalThis.document = { getElementsByTagName: () => [] };
    globalThis.location = new URL('https://shop.example/account');
    globalThis.addEventListener = () => {}; // the window's, where the loader listens for traps
    globalThis.customElements = { get: () => undefined, define: (name, cls) => globalThis.__defined.push([name, typeof cls]) };
  `;
  const result = await inNode(
    await packageEntry(),
    `async (url) => {
      const module = await import(url);
      await new Promise((resolve) => setTimeout(resolve, 0));
      return { defined: globalThis.__defined, default: typeof module.default, fetches: globalThis.__fetches.map((u) => u.split('/').pop()) };
    }`,
    page,
  );
  assert.deepEqual(result, {
    defined: [['referrer-dashboard', 'function']],
    default: 'function',
    fetches: ['referrer_dashboard_bg.wasm'],
  });
});
