// Every page of the demo and documentation site, examples included, opened in Chromium under the
// demo server's strict CSP: no console error, and every dashboard on a page renders.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { launch, startDemo, watchErrors, SITE_DIR } from './helpers.mjs';

/** Every .html file under `dir`, as a URL path. */
async function pages(dir) {
  const found = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && entry.name.endsWith('.html')) {
      const path = `/${relative(SITE_DIR, join(entry.parentPath ?? entry.path, entry.name))}`;
      found.push(path.replace(/index\.html$/, ''));
    }
  }
  return found.sort();
}

let server;
let browser;
before(async () => {
  server = await startDemo();
  browser = await launch();
});
after(async () => {
  await browser.close();
  await server.stop();
});

const all = await pages(SITE_DIR);

test('the site has the documentation pages and the four examples', () => {
  for (const expected of ['/', '/examples/plain.html', '/examples/react/', '/examples/vue/', '/examples/svelte/']) {
    assert.ok(all.includes(expected), `${expected} is built (${all.join(', ')})`);
  }
  assert.ok(all.filter((p) => p.startsWith('/docs/')).length >= 4, 'integration, backend, CSP and troubleshooting guides');
});

for (const path of all) {
  test(`${path} loads without console errors and renders its dashboards`, async (t) => {
    const context = await browser.newContext();
    t.after(() => context.close());
    const page = await context.newPage();
    const errors = watchErrors(page);
    await page.addInitScript(() => {
      window.__csp = [];
      document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
    });
    const response = await page.goto(`${server.url}${path}`);
    assert.equal(response.status(), 200);
    await page.waitForLoadState('load');
    const count = await page.locator('referrer-dashboard').count();
    for (let i = 0; i < count; i += 1) {
      await page.locator('referrer-dashboard').nth(i).locator('[part="stat-value"]').first().waitFor();
    }
    if (path.startsWith('/examples/')) {
      assert.equal(count, 1, 'one dashboard per example');
      // The framework's own listener binding saw the event.
      await page.waitForFunction(() => document.querySelector('#last-event')?.textContent === 'rd-load: 37 referrals');
    }
    assert.deepEqual(await page.evaluate(() => window.__csp), []);
    assert.deepEqual(errors, []);
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1), 'no horizontal scroll');
  });
}

test('the configurator restyles the running dashboard and shows the matching snippet', async (t) => {
  const context = await browser.newContext();
  t.after(() => context.close());
  const page = await context.newPage();
  await page.goto(`${server.url}/`);
  const dashboard = page.locator('#dashboard');
  await dashboard.locator('[part="stat-value"]').first().waitFor();

  await page.locator('#cfg-primary').fill('#7c3aed');
  await page.locator('#cfg-page-size').fill('2');
  await page.locator('#cfg-locale').selectOption('de');
  await page.locator('#cfg-theme').selectOption('dark');

  const button = dashboard.locator('[part="copy-button"]');
  await page.waitForFunction(() => {
    const b = document.querySelector('#dashboard').shadowRoot.querySelector('[part="copy-button"]');
    return getComputedStyle(b).backgroundColor === 'rgb(124, 58, 237)' && b.textContent.trim() === 'Kopieren';
  });
  assert.equal(await dashboard.locator('[part="referral"]').count(), 2, 'a new page-size applies at once');
  assert.equal(await dashboard.locator('[part="card"]').evaluate((c) => getComputedStyle(c).backgroundColor), 'rgb(17, 24, 39)');
  const snippet = await page.locator('#cfg-snippet').textContent();
  for (const expected of ['--rd-color-primary: #7c3aed', 'page-size="2"', 'locale="de"', 'theme="dark"']) {
    assert.ok(snippet.includes(expected), `snippet has ${expected}:\n${snippet}`);
  }
  assert.equal(await button.isVisible(), true);
});

test('the configurator\'s sections and offer controls change the running dashboard and the snippet', async (t) => {
  const context = await browser.newContext();
  t.after(() => context.close());
  const page = await context.newPage();
  await page.goto(`${server.url}/`);
  const dashboard = page.locator('#dashboard');
  await dashboard.locator('[part="stat-value"]').first().waitFor();

  await page.locator('#cfg-sections input[value="stats"]').uncheck();
  await page.waitForFunction(() => !document.querySelector('#dashboard').shadowRoot.querySelector('[part="stats"]'));
  assert.equal(await dashboard.getAttribute('sections'), 'link rewards referrals');
  await page.locator('#cfg-offer').fill('Give 10%, get 10% <b>off</b>');
  assert.equal(await dashboard.locator(':scope > [slot="offer"]').textContent(), 'Give 10%, get 10% <b>off</b>', 'text, never markup');
  let snippet = await page.locator('#cfg-snippet').textContent();
  for (const expected of ['sections="link rewards referrals"', '<p slot="offer">Give 10%, get 10% &lt;b>off&lt;/b></p>']) {
    assert.ok(snippet.includes(expected), `snippet has ${expected}:\n${snippet}`);
  }
  await page.locator('#cfg-offer').fill('');
  assert.equal(await dashboard.locator(':scope > [slot="offer"]').count(), 0, 'an empty offer is no offer');
  await page.locator('#cfg-reset').click();
  assert.equal(await dashboard.getAttribute('sections'), null);
  await dashboard.locator('[part="stats"]').waitFor();
  snippet = await page.locator('#cfg-snippet').textContent();
  assert.ok(snippet.includes('<p slot="offer">Give a friend $20 off'), snippet);
});

test('the theming guide quotes exactly the brand stylesheet its live example runs on', async (t) => {
  const context = await browser.newContext();
  t.after(() => context.close());
  const page = await context.newPage();
  await page.goto(`${server.url}/docs/theming.html`);
  const { quoted, live } = await page.evaluate(() => {
    const code = [...document.querySelectorAll('pre code')].find((c) => c.textContent.startsWith('.brand-purple {'));
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(code.textContent);
    const rules = (list) => [...list].map((r) => r.cssText);
    const site = [...document.styleSheets].find((s) => s.href?.endsWith('/site.css'));
    return {
      quoted: rules(sheet.cssRules),
      live: rules(site.cssRules).filter((text) => text.includes('.brand-purple')),
    };
  });
  assert.ok(quoted.length >= 4, `the sample has the brand's rules: ${quoted.length}`);
  assert.deepEqual(quoted, live);
});
