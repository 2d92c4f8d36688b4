// How the widget looks and who can use it: axe-core in every state and theme, keyboard-only use,
// theming through --rd-* and ::part(), locales, right to left, and the layout at two widths.
// (`cargo xtask screenshots` takes pictures of the same, for a person to look at.)
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { launch, nthEvent, startDemo } from './helpers.mjs';
import { addWidget, openWidget, referrals, session, startHarness } from './harness.mjs';

const require = createRequire(import.meta.url);
const AXE = await readFile(require.resolve('axe-core/axe.min.js'), 'utf8');

let browser;
before(async () => {
  browser = await launch();
});
after(() => browser.close());

async function setup(t, { endpoint, attributes = {}, contextOptions, init } = {}) {
  const harness = await startHarness();
  t.after(() => harness.close());
  if (endpoint) harness.endpoint = endpoint;
  const { context, page } = await openWidget(browser, harness, { contextOptions, init });
  t.after(() => context.close());
  await addWidget(page, { endpoint: '/session', ...attributes });
  return { harness, context, page, widget: page.locator('referrer-dashboard') };
}

/** axe-core on the element (it walks open shadow roots); the page's CSP does not apply to it. */
async function axe(page) {
  await page.evaluate(AXE);
  return page.evaluate(async () => {
    const results = await window.axe.run('referrer-dashboard', { resultTypes: ['violations'] });
    return results.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  });
}

const STATES = {
  loaded: { endpoint: () => ({ body: session({ referrals: { items: referrals(7), next: 'c1' } }) }), ready: '[part="stat-value"]' },
  empty: { endpoint: () => ({ body: session({ referrals: { items: [], next: null } }) }), ready: '[part="empty"]' },
  loading: { endpoint: () => ({ hold: true }), ready: '.skeleton' },
  error: { endpoint: () => ({ status: 500, body: '' }), ready: '[part="error"]' },
};

for (const theme of ['light', 'dark']) {
  for (const [state, { endpoint, ready }] of Object.entries(STATES)) {
    test(`axe-core finds no violation: ${state}, ${theme}`, async (t) => {
      const { page, widget } = await setup(t, { endpoint, attributes: { theme } });
      await widget.locator(ready).first().waitFor();
      assert.deepEqual(await axe(page), []);
    });
  }
}

/** The focused element inside the widget: its part name, else its channel, else its tag. */
const focused = (page) =>
  page.evaluate(() => {
    const active = document.querySelector('referrer-dashboard').shadowRoot.activeElement;
    if (!active) return null;
    return active.getAttribute('part') ?? active.dataset.channel ?? active.tagName.toLowerCase();
  });

test('keyboard only: Tab reaches copy, the share actions and Show more in order; Enter and Space work', async (t) => {
  const { page, widget } = await setup(t, {
    endpoint: () => ({ body: session({ referrals: { items: referrals(8), next: null } }) }),
    attributes: { channels: 'email x whatsapp' },
    contextOptions: { permissions: ['clipboard-read', 'clipboard-write'] },
  });
  await nthEvent(page, 'rd-load');
  await page.evaluate(() => document.addEventListener('rd-share', (e) => e.preventDefault()));
  const order = [];
  for (let i = 0; i < 6; i += 1) {
    await page.keyboard.press('Tab');
    order.push(await focused(page));
  }
  assert.deepEqual(order, ['link', 'copy-button', 'email', 'x', 'whatsapp', 'more-button']);

  // Space on "Show more" reveals more rows; focus stays on it.
  await page.keyboard.press('Space');
  await page.waitForFunction(() => document.querySelector('referrer-dashboard').shadowRoot.querySelectorAll('[part="referral"]').length === 8);
  // Shift+Tab back to X and Enter it: rd-share fires (cancelled by the page, so nothing opens).
  await page.keyboard.press('Shift+Tab');
  await page.keyboard.press('Shift+Tab');
  assert.equal(await focused(page), 'x');
  await page.keyboard.press('Enter');
  assert.equal((await nthEvent(page, 'rd-share')).channel, 'x');
  // Back to the copy button; Enter copies.
  for (let i = 0; i < 2; i += 1) await page.keyboard.press('Shift+Tab');
  assert.equal(await focused(page), 'copy-button');
  await page.keyboard.press('Enter');
  assert.equal((await nthEvent(page, 'rd-copy')).link, 'https://example.com/r/ADA123');
  const outline = await widget.locator('[part="copy-button"]').evaluate((b) => getComputedStyle(b).outlineStyle);
  assert.notEqual(outline, 'none', 'the focused button shows a focus ring');
});

test('--rd-color-primary on an ancestor colours the copy button and the focus ring', async (t) => {
  const { page, widget } = await setup(t);
  await nthEvent(page, 'rd-load');
  await page.evaluate(() => document.querySelector('#main').style.setProperty('--rd-color-primary', 'rgb(1, 2, 3)'));
  const button = widget.locator('[part="copy-button"]');
  assert.equal(await button.evaluate((b) => getComputedStyle(b).backgroundColor), 'rgb(1, 2, 3)');
  await button.focus();
  await page.keyboard.press('Shift+Tab');
  await page.keyboard.press('Tab');
  assert.equal(await button.evaluate((b) => getComputedStyle(b).outlineColor), 'rgb(1, 2, 3)');
});

test('::part(copy-button) styles from the page apply', async (t) => {
  const { page, widget } = await setup(t);
  await nthEvent(page, 'rd-load');
  await page.evaluate(() => {
    // A constructed sheet: the page's own CSP forbids inline <style>.
    const sheet = new CSSStyleSheet();
    sheet.replaceSync('referrer-dashboard::part(copy-button) { text-transform: uppercase; border-radius: 0px; }');
    document.adoptedStyleSheets = [sheet];
  });
  const style = await widget.locator('[part="copy-button"]').evaluate((b) => {
    const s = getComputedStyle(b);
    return [s.textTransform, s.borderTopLeftRadius];
  });
  assert.deepEqual(style, ['uppercase', '0px']);
});

test('theme="dark" changes the card, theme="light" keeps it light whatever the system prefers', async (t) => {
  const { page, widget } = await setup(t, { contextOptions: { colorScheme: 'dark' }, attributes: { theme: 'light' } });
  await nthEvent(page, 'rd-load');
  const background = () => widget.locator('[part="card"]').evaluate((c) => getComputedStyle(c).backgroundColor);
  assert.equal(await background(), 'rgb(255, 255, 255)');
  await page.evaluate(() => document.querySelector('referrer-dashboard').setAttribute('theme', 'dark'));
  assert.equal(await background(), 'rgb(17, 24, 39)');
  await page.evaluate(() => document.querySelector('referrer-dashboard').removeAttribute('theme'));
  assert.equal(await background(), 'rgb(17, 24, 39)', 'auto follows the system (dark here)');
});

test('locale="de" formats numbers and texts in German', async (t) => {
  const { page, widget } = await setup(t, {
    endpoint: () => ({ body: session({ stats: { reach: 1234567, referrals: 1234567, qualified: 12 } }) }),
    attributes: { locale: 'de' },
  });
  await nthEvent(page, 'rd-load');
  const values = await widget.locator('[part="stat-value"]').allTextContents();
  assert.equal(values[1], '1.234.567');
  assert.equal(values[0], '1,2\u00a0Mio.', 'a large Reach is compact');
  assert.equal(await widget.locator('[part="stat-value"]').first().getAttribute('title'), '1.234.567');
  assert.equal((await widget.locator('[part="copy-button"]').textContent()).trim(), 'Kopieren');
});

test('lang="ar" on an ancestor lays the widget out right to left, in Arabic', async (t) => {
  const harness = await startHarness();
  t.after(() => harness.close());
  const { context, page } = await openWidget(browser, harness);
  t.after(() => context.close());
  await page.evaluate(() => document.querySelector('#main').setAttribute('lang', 'ar'));
  await page.evaluate(() => {
    const el = document.createElement('referrer-dashboard');
    el.setAttribute('endpoint', '/session');
    document.querySelector('#main').append(el);
  });
  await nthEvent(page, 'rd-load');
  const widget = page.locator('referrer-dashboard');
  assert.equal(await widget.locator('[part="card"]').evaluate((c) => getComputedStyle(c).direction), 'rtl');
  assert.equal((await widget.locator('[part="copy-button"]').textContent()).trim(), 'نسخ');
  // Mirrored: the copy button sits to the left of the link field.
  const [input, button] = await Promise.all([
    widget.locator('[part="link"]').boundingBox(),
    widget.locator('[part="copy-button"]').boundingBox(),
  ]);
  assert.ok(button.x < input.x, 'the copy button comes first from the right');
  assert.equal(await widget.locator('[part="link"]').evaluate((i) => getComputedStyle(i).direction), 'ltr', 'the URL itself stays left to right');
});

test('strings overrides replace texts by message id', async (t) => {
  const harness = await startHarness();
  t.after(() => harness.close());
  const { context, page } = await openWidget(browser, harness);
  t.after(() => context.close());
  await page.evaluate(() => {
    const el = document.createElement('referrer-dashboard');
    el.strings = { copy: 'Copy my link', 'stat-reach': 'Views' };
    el.setAttribute('endpoint', '/session');
    document.querySelector('#main').append(el);
  });
  await nthEvent(page, 'rd-load');
  const widget = page.locator('referrer-dashboard');
  assert.equal((await widget.locator('[part="copy-button"]').textContent()).trim(), 'Copy my link');
  assert.equal(await widget.locator('[part="stat-label"]').first().textContent(), 'Views');
  await page.evaluate(() => (document.querySelector('referrer-dashboard').strings = { copy: 'Grab it' }));
  assert.equal((await widget.locator('[part="copy-button"]').textContent()).trim(), 'Grab it');
});

test('no horizontal scroll at 320 px, and every target is at least 24 by 24 px', async (t) => {
  const { page, widget } = await setup(t, {
    endpoint: () => ({ body: session({ referrer: { link: `https://example.com/r/${'L'.repeat(120)}` } }) }),
    attributes: { channels: 'email x whatsapp linkedin facebook telegram sms' },
    contextOptions: { viewport: { width: 320, height: 800 } },
  });
  await nthEvent(page, 'rd-load');
  assert.equal(await page.evaluate(() => document.documentElement.scrollWidth), 320);
  const small = await widget.evaluate((el) =>
    [...el.shadowRoot.querySelectorAll('button, a, input')]
      .map((e) => e.getBoundingClientRect())
      .filter((r) => r.width < 24 || r.height < 24).length,
  );
  assert.equal(small, 0);
});

test('the demo at 320 and 1024 px, light and dark: it fits, follows the scheme and lays out by its own width', async (t) => {
  const server = await startDemo();
  t.after(() => server.stop());
  for (const width of [320, 1024]) {
    for (const scheme of ['light', 'dark']) {
      const context = await browser.newContext({ viewport: { width, height: 900 }, colorScheme: scheme });
      t.after(() => context.close());
      const page = await context.newPage();
      await page.goto(`${server.url}/`);
      const widget = page.locator('referrer-dashboard');
      await widget.locator('[part="stat-value"]').first().waitFor();
      const at = `${width} px, ${scheme}`;
      const layout = await widget.evaluate((host) => {
        const root = host.shadowRoot;
        const box = (selector) => root.querySelector(selector).getBoundingClientRect();
        const stats = [...root.querySelectorAll('[part="stat"]')].map((s) => s.getBoundingClientRect().top);
        return {
          host: host.getBoundingClientRect().width,
          card: box('[part="card"]'),
          link: box('[part="link"]'),
          qr: box('[part="qr"]'),
          stats,
          background: getComputedStyle(root.querySelector('[part="card"]')).backgroundColor,
          scrollWidth: document.documentElement.scrollWidth,
        };
      });
      assert.equal(layout.scrollWidth, width, `${at}: no horizontal scroll`);
      assert.ok(layout.card.right <= width, `${at}: the card fits the viewport`);
      assert.equal(layout.background, scheme === 'dark' ? 'rgb(17, 24, 39)' : 'rgb(255, 255, 255)', `${at}: the card follows the scheme`);
      assert.ok(layout.qr.width > 0 && Math.abs(layout.qr.width - layout.qr.height) < 2, `${at}: a square QR code`);
      // Container queries on the element's own width: QR beside the link from 560 px, the
      // three stats in a row from 400 px, stacked below that.
      if (layout.host >= 560) assert.ok(layout.qr.left >= layout.link.right && layout.qr.top < layout.link.bottom, `${at}: QR beside the link`);
      else assert.ok(layout.qr.top >= layout.link.bottom, `${at}: QR below the link`);
      const row = new Set(layout.stats.map(Math.round)).size === 1;
      assert.equal(row, layout.host >= 400, `${at}: stats in a row from 400 px (host ${layout.host} px)`);
    }
  }
});

test('every state shows something visible: skeleton, empty state, error state, right to left', async (t) => {
  for (const [state, attributes, visible] of [
    ['loading', {}, '.skeleton .bone'],
    ['empty', {}, '[part="empty"]'],
    ['error', {}, '[part="retry-button"]'],
    ['loaded', { locale: 'ar' }, '[part="referral"]'],
  ]) {
    const { widget } = await setup(t, { endpoint: STATES[state].endpoint, attributes, contextOptions: { viewport: { width: 480, height: 700 } } });
    const target = widget.locator(visible).first();
    await target.waitFor();
    const box = await target.boundingBox();
    assert.ok(box.width > 20 && box.height > 8, `${state}: ${visible} is on screen (${JSON.stringify(box)})`);
    const card = await widget.locator('[part="card"]').boundingBox();
    assert.ok(card.height > 80, `${state}: the card has room (${card.height} px)`);
  }
});

test('changing page-size shows that many referrals at once', async (t) => {
  const { page, widget } = await setup(t, {
    endpoint: () => ({ body: session({ referrals: { items: referrals(9), next: null } }) }),
    attributes: { 'page-size': '3' },
  });
  await nthEvent(page, 'rd-load');
  const rows = widget.locator('[part="referral"]');
  assert.equal(await rows.count(), 3);
  await page.evaluate(() => (document.querySelector('referrer-dashboard').pageSize = 6));
  await page.waitForFunction(() => document.querySelector('referrer-dashboard').shadowRoot.querySelectorAll('[part="referral"]').length === 6);
  await page.evaluate(() => document.querySelector('referrer-dashboard').setAttribute('page-size', '2'));
  await page.waitForFunction(() => document.querySelector('referrer-dashboard').shadowRoot.querySelectorAll('[part="referral"]').length === 2);
});
