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
