// The other languages' texts, downloaded on demand: only English is in the wasm; an element in
// another language imports its catalogue (`catalogue-<language>.js`, beside the wasm) once per
// page, in parallel with the wasm, and its first render is already in its language.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { launch, nthEvent, watchErrors } from './helpers.mjs';
import { addWidget, openWidget, startHarness } from './harness.mjs';

let browser;
before(async () => {
  browser = await launch();
});
after(() => browser.close());

/**
 * Records, in every element's shadow root from its creation on, each text the copy button ever
 * showed (`window.__copyTexts`): a first render in English, replaced a moment later, would be
 * seen.
 */
function watchCopyButtons() {
  window.__copyTexts = new Set();
  const attach = Element.prototype.attachShadow;
  Element.prototype.attachShadow = function (init) {
    const root = attach.call(this, init);
    new MutationObserver(() => {
      for (const button of root.querySelectorAll('[part="copy-button"]')) window.__copyTexts.add(button.textContent.trim());
    }).observe(root, { subtree: true, childList: true, characterData: true });
    return root;
  };
}

async function setup(t) {
  const harness = await startHarness();
  t.after(() => harness.close());
  const files = [];
  harness.beforeFile = async (file) => {
    files.push(file);
  };
  const { context, page } = await openWidget(browser, harness, { init: watchCopyButtons });
  t.after(() => context.close());
  return { harness, page, files, catalogues: () => files.filter((f) => f.startsWith('catalogue-')) };
}

const copyTexts = (page) => page.evaluate(() => [...document.querySelectorAll('referrer-dashboard')].map((el) => el.shadowRoot.querySelector('[part="copy-button"]')?.textContent.trim()));

test('an English element downloads no catalogue; German ones download theirs once, and their first render is German', async (t) => {
  const { page, catalogues } = await setup(t);
  const errors = watchErrors(page);
  await addWidget(page, { endpoint: '/session', locale: 'en-US' });
  await nthEvent(page, 'rd-load');
  assert.deepEqual(catalogues(), [], 'English is in the wasm');

  await page.evaluate(() => {
    document.querySelector('#aside').setAttribute('lang', 'de-AT');
    for (const [parent, locale] of [['#main', 'de'], ['#aside', null]]) {
      const el = document.createElement('referrer-dashboard');
      el.setAttribute('endpoint', '/session');
      if (locale) el.setAttribute('locale', locale);
      document.querySelector(parent).append(el);
    }
  });
  await nthEvent(page, 'rd-load', 3);
  assert.deepEqual(await copyTexts(page), ['Copy', 'Kopieren', 'Kopieren'], 'the second German element reads its ancestor lang');
  assert.deepEqual(catalogues(), ['catalogue-de.js'], 'one download for both');
  assert.deepEqual(
    (await page.evaluate(() => [...window.__copyTexts])).sort(),
    ['Copy', 'Kopieren'],
    'no German element ever showed the English text',
  );
  assert.deepEqual(await page.evaluate(() => [...document.querySelectorAll('referrer-dashboard')].map((el) => el.shadowRoot.querySelector('[part="card"]').lang)), ['en-US', 'de', 'de-AT']);
  assert.deepEqual(errors, []);
});

test('a catalogue that cannot be downloaded leaves the texts English and says so in the console; a later element tries again', async (t) => {
  const { harness, page, files, catalogues } = await setup(t);
  const warnings = [];
  page.on('console', (message) => message.type() === 'warning' && warnings.push(message.text()));
  let down = true;
  harness.beforeFile = async (file) => {
    files.push(file);
    if (down && file === 'catalogue-fr.js') throw new Error('the file is gone'); // the harness answers 404
  };
  await addWidget(page, { endpoint: '/session', locale: 'fr-CA' });
  await nthEvent(page, 'rd-load');
  assert.deepEqual(await copyTexts(page), ['Copy']);
  assert.equal(await page.evaluate(() => window.__rdEvents.filter((e) => e.type === 'rd-error').length), 0, 'the dashboard works: no rd-error');
  assert.equal(warnings.length, 1, warnings.join('\n'));
  assert.match(warnings[0], /the "fr" catalogue could not be loaded \(.*catalogue-fr\.js\); its texts are shown in English/);

  down = false;
  await addWidget(page, { endpoint: '/session', locale: 'fr' }, '#aside');
  await nthEvent(page, 'rd-load', 2);
  assert.deepEqual(await copyTexts(page), ['Copy', 'Copier']);
  assert.deepEqual(catalogues(), ['catalogue-fr.js', 'catalogue-fr.js'], 'asked again after the failure, once');
});

test('a locale changed at run time keeps the texts shown until the new catalogue is in, then switches whole', async (t) => {
  const { harness, page, files } = await setup(t);
  await addWidget(page, { endpoint: '/session', locale: 'en-US' });
  await nthEvent(page, 'rd-load');
  let release;
  const held = new Promise((resolve) => {
    release = resolve;
  });
  let asked;
  const requested = new Promise((resolve) => {
    asked = resolve;
  });
  harness.beforeFile = async (file) => {
    files.push(file);
    if (file === 'catalogue-ja.js') {
      asked();
      await held;
    }
  };
  await page.evaluate(() => document.querySelector('referrer-dashboard').setAttribute('locale', 'ja'));
  await requested;
  const card = page.locator('referrer-dashboard [part="card"]');
  assert.equal(await card.getAttribute('lang'), 'en-US', 'while it downloads, the texts stay as they were');
  assert.deepEqual(await copyTexts(page), ['Copy']);
  release();
  await page.waitForFunction(() => document.querySelector('referrer-dashboard').shadowRoot.querySelector('[part="card"]').lang === 'ja');
  assert.deepEqual(await copyTexts(page), ['コピー']);
  assert.equal(await page.locator('referrer-dashboard [part="stat-label"]').first().textContent(), 'リーチ');
});
