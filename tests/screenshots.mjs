// `cargo xtask screenshots`: the widget as a person sees it, as PNGs, for looking at (the
// end-to-end tests assert what these pictures show). Same builds, server and pages as the tests.
//
//   node tests/screenshots.mjs <dir>   (RD_* variables as cargo xtask sets them)
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { launch, startDemo } from './e2e/helpers.mjs';
import { addWidget, openWidget, referrals, session, startHarness } from './e2e/harness.mjs';
import { openHostilePage } from './e2e/hostile.mjs';

const dir = process.argv[2] ?? 'target/screenshots';
await mkdir(dir, { recursive: true });
const written = [];
const shot = async (locator, name, options = {}) => {
  const path = join(dir, `${name}.png`);
  await locator.screenshot({ path, animations: 'disabled', ...options });
  written.push(path);
};

const browser = await launch();
const server = await startDemo();
const harness = await startHarness();
try {
  // The demo page at a phone's width and a desktop's, in both schemes.
  for (const width of [320, 1024]) {
    for (const scheme of ['light', 'dark']) {
      const context = await browser.newContext({ viewport: { width, height: 900 }, colorScheme: scheme });
      const page = await context.newPage();
      await page.goto(`${server.url}/`);
      const widget = page.locator('referrer-dashboard');
      await widget.locator('[part="stat-value"]').first().waitFor();
      await shot(widget, `dashboard-${width}-${scheme}`);
      await context.close();
    }
  }

  // The other states, and right to left.
  const states = [
    ['loading', () => ({ hold: true }), {}, '.skeleton'],
    ['empty', () => ({ body: session({ referrals: { items: [], next: null } }) }), {}, '[part="empty"]'],
    ['error', () => ({ status: 500, body: '' }), {}, '[part="error"]'],
    ['rtl-ar', () => ({ body: session({ referrals: { items: referrals(7), next: 'c1' } }) }), { locale: 'ar' }, '[part="stat-value"]'],
  ];
  for (const [name, endpoint, attributes, ready] of states) {
    harness.endpoint = endpoint;
    const { context, page } = await openWidget(browser, harness, { contextOptions: { viewport: { width: 480, height: 700 } } });
    await addWidget(page, { endpoint: '/session', ...attributes });
    const widget = page.locator('referrer-dashboard');
    await widget.locator(ready).first().waitFor();
    await shot(widget, `state-${name}`);
    await context.close();
  }

  // What the referrer has earned: every reward status, two currencies, a coupon, a paused
  // program's banner and the host's offer, in both themes and right to left.
  const rewards = {
    earned: [{ currency: 'USD', amount: 40 }, { currency: 'EUR', amount: 15.5 }],
    pending: [{ currency: 'USD', amount: 20 }],
    items: [
      { id: 'w1', kind: 'amount', status: 'pending', amount: 20, currency: 'USD' },
      { id: 'w2', kind: 'commission', status: 'pending', amount: 0, currency: 'USD' },
      { id: 'w3', kind: 'amount', status: 'on_its_way', amount: 20, currency: 'USD', at: '2026-11-25T09:00:00Z' },
      { id: 'w4', kind: 'coupon', status: 'earned', coupon: 'THANKS-7Q2K', at: '2026-11-22' },
      { id: 'w5', kind: 'amount', status: 'earned', amount: 20, currency: 'USD', at: '2026-11-21' },
      { id: 'w6', kind: 'custom', status: 'failed', amount: 15.5, currency: 'EUR', at: '2026-11-20' },
    ],
  };
  harness.endpoint = () => ({
    body: session({ rewards, program: { status: 'paused', ends_at: null }, referrals: { items: referrals(3), next: null } }),
  });
  for (const [name, attributes, width] of [
    ['rewards-light', { theme: 'light' }, 480],
    ['rewards-dark', { theme: 'dark' }, 480],
    ['rewards-wide-dark', { theme: 'dark' }, 1024],
    ['rewards-rtl-ar', { locale: 'ar' }, 480],
  ]) {
    const { context, page } = await openWidget(browser, harness, { contextOptions: { viewport: { width, height: 1400 } } });
    await page.evaluate((attributes) => {
      const el = document.createElement('referrer-dashboard');
      for (const [key, value] of Object.entries({ endpoint: '/session', locale: 'en-US', ...attributes })) el.setAttribute(key, value);
      const offer = document.createElement('p');
      offer.slot = 'offer';
      offer.textContent = 'Give a friend $20 off, get $20 for each friend who joins.';
      el.append(offer);
      document.querySelector('#main').append(el);
    }, attributes);
    const widget = page.locator('referrer-dashboard');
    await widget.locator('[part="reward"]').first().waitFor();
    await shot(widget, `state-${name}`);
    await context.close();
  }

  // The loader's own error state: the wasm cannot be downloaded.
  harness.endpoint = () => ({ body: session() });
  harness.beforeFile = (file) => {
    if (file.endsWith('.wasm')) throw new Error('the wasm is gone');
  };
  {
    const { context, page } = await openWidget(browser, harness, { contextOptions: { viewport: { width: 480, height: 400 } } });
    await addWidget(page, { endpoint: '/session' });
    const widget = page.locator('referrer-dashboard');
    await widget.locator('[part="retry-button"]').waitFor();
    await shot(widget, 'loader-error');
    await context.close();
  }
  harness.beforeFile = async () => {};

  // A hostile host page: its own text is wrecked, the cards are not.
  {
    const { context, page } = await openHostilePage(browser, harness);
    await shot(page, 'host-styles-hostile', { fullPage: true });
    await context.close();
  }
} finally {
  await harness.close();
  await server.stop();
  await browser.close();
}
for (const path of written) console.log(path);
