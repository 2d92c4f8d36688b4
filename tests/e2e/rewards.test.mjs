// What the referrer has earned (issue 25): the rewards part, the offer slot, coupon copy, the
// program banner and the `sections` attribute, in headless Chromium against sessions this test
// serves itself (SPEC §5's `rewards` and `program` members).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { eventCount, launch, nthEvent } from './helpers.mjs';
import { openWidget, session, startHarness } from './harness.mjs';

const require = createRequire(import.meta.url);
const AXE = await readFile(require.resolve('axe-core/axe.min.js'), 'utf8');

let browser;
before(async () => {
  browser = await launch();
});
after(() => browser.close());

/** Rewards in every status and kind, two currencies, one coupon. */
const REWARDS = {
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

const OFFER = 'Give $20, get $20';

/**
 * A page with one element whose session is `body` (and `attributes`), its offer slotted when
 * `offer` is set; resolves once `waitFor` was dispatched.
 */
async function setup(t, { body = session({ rewards: REWARDS }), attributes = {}, offer = OFFER, contextOptions, waitFor = 'rd-load' } = {}) {
  const harness = await startHarness();
  t.after(() => harness.close());
  harness.endpoint = () => ({ body });
  const { context, page } = await openWidget(browser, harness, { contextOptions });
  t.after(() => context.close());
  await page.evaluate(
    ([attributes, offer]) => {
      const el = document.createElement('referrer-dashboard');
      for (const [name, value] of Object.entries({ endpoint: '/session', locale: 'en-US', ...attributes })) {
        el.setAttribute(name, value);
      }
      if (offer) {
        const p = document.createElement('p');
        p.slot = 'offer';
        p.textContent = offer;
        el.append(p);
      }
      document.querySelector('#main').append(el);
    },
    [attributes, offer],
  );
  await nthEvent(page, waitFor);
  return { harness, context, page, widget: page.locator('referrer-dashboard') };
}

/** Each reward row's texts, trimmed, by class: kind, amount (or hint), status, date. */
function rows(widget) {
  return widget.locator('[part="reward"]').evaluateAll((items) =>
    items.map((li) => ({
      kind: li.querySelector('.name').textContent.trim(),
      amount: li.querySelector('.amount')?.textContent.trim() ?? null,
      status: li.querySelector('.status').textContent.trim(),
      date: li.querySelector('time')?.textContent.trim() ?? null,
      coupon: li.querySelector('[part="coupon"]')?.value ?? null,
      help: li.querySelector('p.hint')?.textContent.trim() ?? null,
    })),
  );
}

/** Which parts of the card are drawn, in order. */
function parts(widget) {
  return widget.evaluate((el) =>
    [...el.shadowRoot.querySelectorAll('[part="program-status"], .top, [part="stats"], [part="rewards"], .referrals:not(.rewards)')]
      .map((node) => node.getAttribute('part') ?? (node.classList.contains('top') ? 'link' : 'referrals')),
  );
}

test('each reward status is drawn in words, with its kind, amount and date; a zero pending amount is being confirmed', async (t) => {
  const { widget } = await setup(t);
  assert.deepEqual(await rows(widget), [
    { kind: 'Reward', amount: '$20.00', status: 'Pending', date: null, coupon: null, help: null },
    { kind: 'Commission', amount: 'Amount being confirmed', status: 'Pending', date: null, coupon: null, help: null },
    { kind: 'Reward', amount: '$20.00', status: 'On its way', date: 'Nov 25, 2026', coupon: null, help: null },
    { kind: 'Coupon', amount: null, status: 'Earned', date: 'Nov 22, 2026', coupon: 'THANKS-7Q2K', help: null },
    { kind: 'Reward', amount: '$20.00', status: 'Earned', date: 'Nov 21, 2026', coupon: null, help: null },
    { kind: 'Gift', amount: '€15.50', status: 'Not sent', date: 'Nov 20, 2026', coupon: null, help: "We couldn't send this reward. Please contact us." },
  ]);
  // Status is text, and each status has its own look besides.
  const looks = await widget.locator('[part="reward"] .status').evaluateAll((s) => s.map((e) => e.dataset.status));
  assert.deepEqual(looks, ['pending', 'pending', 'on_its_way', 'earned', 'earned', 'failed']);
  const colours = await widget.locator('[part="reward"] .status').evaluateAll((s) => s.map((e) => getComputedStyle(e).color));
  assert.equal(new Set([colours[0], colours[3], colours[5]]).size, 3, 'pending, earned and failed look different too');
  // A calendar date is the day written, whatever the time zone.
  assert.equal(await widget.locator('[part="reward"] time').nth(1).getAttribute('datetime'), '2026-11-22T00:00:00.000Z');
});

test('Earned and Pending are summed per currency in the currency style of the element\'s locale', async (t) => {
  const body = session({
    rewards: {
      earned: [{ currency: 'USD', amount: 15 }, { currency: 'EUR', amount: 1234.5 }, { currency: 'USD', amount: 25 }],
      pending: [],
      items: [],
    },
  });
  const { page, widget } = await setup(t, { body, attributes: { locale: 'de-DE' } });
  const totals = await widget.locator('.totals .stat').evaluateAll((tiles) =>
    tiles.map((tile) => [tile.querySelector('dt').textContent, [...tile.querySelectorAll('[part="reward-amount"]')].map((a) => a.textContent)]),
  );
  const money = (amount, currency) => page.evaluate(([a, c]) => new Intl.NumberFormat('de-DE', { style: 'currency', currency: c }).format(a), [amount, currency]);
  assert.deepEqual(totals, [
    ['Verdient', [await money(40, 'USD'), await money(1234.5, 'EUR')]],
    // Nothing pending reads as zero in the first currency, not as a blank.
    ['Ausstehend', [await money(0, 'USD')]],
  ]);
  assert.match(totals[0][1][1], /1\.234,50\s€/, 'German grouping, decimals and symbol placement');
});

test('an earned coupon copies with its own button: rd-copy { coupon }, and "Copied" is announced like the link\'s', async (t) => {
  const { page, widget } = await setup(t, { contextOptions: { permissions: ['clipboard-read', 'clipboard-write'] } });
  const button = widget.locator('[part="coupon-copy-button"]');
  assert.equal(await button.count(), 1, 'one earned coupon, one button');
  assert.equal(await button.getAttribute('aria-describedby'), await widget.locator('[part="coupon"]').getAttribute('id'));
  await button.click();
  assert.deepEqual(await nthEvent(page, 'rd-copy'), { coupon: 'THANKS-7Q2K' });
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), 'THANKS-7Q2K');
  assert.equal((await button.textContent()).trim(), 'Copied');
  assert.equal((await widget.locator('[part="rewards"] [role="status"][aria-live="polite"]').textContent()).trim(), 'Copied');
  // The link's own button is not the one that copied.
  assert.equal((await widget.locator('[part="copy-button"]').textContent()).trim(), 'Copy');
  await page.waitForFunction(
    () => document.querySelector('referrer-dashboard').shadowRoot.querySelector('[part="coupon-copy-button"]').textContent.trim() === 'Copy',
  );
});

test('when the clipboard refuses, the coupon code is selected and the user told to press Ctrl/Cmd+C', async (t) => {
  const { page, widget } = await setup(t, {
    contextOptions: { permissions: [] },
  });
  await page.evaluate(() => {
    navigator.clipboard.writeText = () => Promise.reject(new DOMException('denied', 'NotAllowedError'));
  });
  await widget.locator('[part="coupon-copy-button"]').click();
  await page.waitForFunction(() => {
    const input = document.querySelector('referrer-dashboard').shadowRoot.querySelector('[part="coupon"]');
    return input.selectionStart === 0 && input.selectionEnd === input.value.length;
  });
  assert.match(await widget.locator('[part="rewards"] .hint[role="status"]').textContent(), /Ctrl\+C.*code/);
  assert.equal(await eventCount(page, 'rd-copy'), 0);
});

test('the host\'s offer shows from its slot="offer" element, above the totals and the rewards', async (t) => {
  const { widget } = await setup(t);
  const order = await widget.evaluate((el) => {
    const rewards = el.shadowRoot.querySelector('[part="rewards"]');
    const slot = rewards.querySelector('slot[name="offer"]');
    return {
      assigned: slot.assignedElements().map((e) => e.textContent),
      before: Boolean(slot.compareDocumentPosition(rewards.querySelector('.totals')) & Node.DOCUMENT_POSITION_FOLLOWING),
    };
  });
  assert.deepEqual(order, { assigned: [OFFER], before: true });
  assert.ok(await widget.getByText(OFFER).isVisible());
});

test('a paused, ended or not started program shows a banner above the link, which stays usable', async (t) => {
  for (const [status, text] of [
    ['paused', 'The referral program is paused.'],
    ['ended', 'The referral program has ended.'],
    ['not_started', "The referral program hasn't started yet."],
  ]) {
    const { page, widget } = await setup(t, {
      body: session({ rewards: REWARDS, program: { status, ends_at: null } }),
      contextOptions: { permissions: ['clipboard-read', 'clipboard-write'] },
    });
    assert.equal((await widget.locator('[part="program-status"]').textContent()).trim(), text, status);
    assert.deepEqual((await parts(widget)).slice(0, 2), ['program-status', 'link'], status);
    await widget.locator('[part="copy-button"]').click();
    assert.deepEqual(await nthEvent(page, 'rd-copy'), { link: 'https://example.com/r/ADA123' }, status);
  }
  const { widget } = await setup(t, { body: session({ rewards: REWARDS, program: { status: 'live', ends_at: null } }) });
  assert.equal(await widget.locator('[part="program-status"]').count(), 0, 'a live program has no banner');
});

test('sections shows only the parts it names, always in card order', async (t) => {
  const { page, widget } = await setup(t, { attributes: { sections: 'referrals rewards' } });
  assert.deepEqual(await parts(widget), ['rewards', 'referrals']);
  assert.equal(await widget.evaluate((el) => el.sections), 'referrals rewards', 'reflected as a property');
  await widget.evaluate((el) => {
    el.sections = 'stats';
  });
  await page.waitForFunction(() => !document.querySelector('referrer-dashboard').shadowRoot.querySelector('[part="rewards"]'));
  assert.deepEqual(await parts(widget), ['stats']);
  await widget.evaluate((el) => el.removeAttribute('sections'));
  await page.waitForFunction(() => document.querySelector('referrer-dashboard').shadowRoot.querySelector('[part="rewards"]'));
  assert.deepEqual(await parts(widget), ['link', 'stats', 'rewards', 'referrals']);
});

test('a credit-only program hides rewards with sections="link stats referrals"; without a rewards member there is no part either', async (t) => {
  const { widget } = await setup(t, { attributes: { sections: 'link stats referrals' } });
  assert.deepEqual(await parts(widget), ['link', 'stats', 'referrals']);
  assert.equal(await widget.locator('[part="reward"]').count(), 0);
  const { widget: plain } = await setup(t, { body: session() });
  assert.deepEqual(await parts(plain), ['link', 'stats', 'referrals']);
});

test('a malformed rewards member drops only the rewards part: rd-error invalid_response, the rest drawn', async (t) => {
  const body = session({
    rewards: { ...REWARDS, items: [...REWARDS.items, { id: 'w9', kind: 'amount', status: 'paid' }] },
    program: { status: 'paused', ends_at: null },
  });
  const { page, widget } = await setup(t, { body, waitFor: 'rd-error' });
  assert.deepEqual(await nthEvent(page, 'rd-error'), {
    type: 'invalid_response',
    message: 'invalid session: rewards.items.6.status must be "pending", "on_its_way", "earned" or "failed"',
  });
  await nthEvent(page, 'rd-load');
  assert.deepEqual(await parts(widget), ['program-status', 'link', 'stats', 'referrals']);
  assert.equal(await widget.locator('[part="error"]').count(), 0, 'no error state');
  assert.equal(await widget.locator('.notice').count(), 0, 'no stale notice');
  assert.equal(await eventCount(page, 'rd-error'), 1);
});

/** axe-core on the element (it walks open shadow roots). */
async function axe(page) {
  await page.evaluate(AXE);
  return page.evaluate(async () => {
    const results = await window.axe.run('referrer-dashboard', { resultTypes: ['violations'] });
    return results.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  });
}

for (const theme of ['light', 'dark']) {
  test(`axe-core finds no violation with rewards in every state, a banner and a copied coupon: ${theme}`, async (t) => {
    const { page, widget } = await setup(t, {
      body: session({ rewards: REWARDS, program: { status: 'paused', ends_at: null } }),
      attributes: { theme },
      contextOptions: { permissions: ['clipboard-read', 'clipboard-write'] },
    });
    assert.deepEqual(await axe(page), []);
    await widget.locator('[part="coupon-copy-button"]').click();
    await nthEvent(page, 'rd-copy');
    assert.deepEqual(await axe(page), [], 'after copying');
  });

  test(`axe-core finds no violation with rewards empty: ${theme}`, async (t) => {
    const { page, widget } = await setup(t, { body: session({ rewards: { earned: [], pending: [], items: [] } }), attributes: { theme }, offer: null });
    assert.equal((await widget.locator('[part="rewards"] .empty').textContent()).trim(), 'No rewards yet');
    assert.deepEqual(await axe(page), []);
  });
}

test('rewards texts follow the locale in all eight languages', async (t) => {
  const seen = new Map();
  for (const locale of ['en', 'es', 'fr', 'de', 'pt-BR', 'ja', 'ar', 'he']) {
    const { widget } = await setup(t, {
      body: session({ rewards: REWARDS, program: { status: 'ended', ends_at: null } }),
      attributes: { locale },
    });
    const texts = await widget.evaluate((el) => {
      const root = el.shadowRoot;
      const text = (selector) => root.querySelector(selector).textContent.trim();
      return [
        text('[part="rewards"] .heading'),
        text('.totals dt'),
        text('[part="program-status"]'),
        text('[part="reward"]:nth-child(2) .amount'),
        text('[part="reward"]:nth-child(3) .status'),
        text('[part="reward"]:nth-child(6) p.hint'),
        root.querySelector('[part="coupon"]').getAttribute('aria-label'),
        text('[part="reward"]:nth-child(6) .name'),
      ];
    });
    for (const [other, theirs] of seen) {
      texts.forEach((text, i) => assert.notEqual(text, theirs[i], `${locale} and ${other} share "${text}"`));
    }
    seen.set(locale, texts);
  }
});

test('right to left: in Arabic the rewards part mirrors, the coupon code stays left to right', async (t) => {
  const { widget } = await setup(t, { attributes: { locale: 'ar' } });
  const layout = await widget.evaluate((el) => {
    const root = el.shadowRoot;
    const row = root.querySelector('[part="reward"]');
    const [first, last] = [row.firstElementChild.getBoundingClientRect(), row.querySelector('.status').getBoundingClientRect()];
    return {
      dir: root.querySelector('[part="card"]').getAttribute('dir'),
      kindRightOfStatus: first.left > last.left,
      coupon: root.querySelector('[part="coupon"]').getAttribute('dir'),
      heading: root.querySelector('[part="rewards"] .heading').textContent,
    };
  });
  assert.deepEqual(layout, { dir: 'rtl', kindRightOfStatus: true, coupon: 'ltr', heading: 'مكافآتك' });
});

test('forced colours: the banner, reward rows and coupon keep visible boundaries', async (t) => {
  const { widget } = await setup(t, {
    body: session({ rewards: REWARDS, program: { status: 'paused', ends_at: null } }),
    contextOptions: { forcedColors: 'active' },
  });
  const borders = await widget.evaluate((el) => {
    const root = el.shadowRoot;
    const width = (selector) => getComputedStyle(root.querySelector(selector)).borderTopWidth;
    return [width('[part="program-status"]'), width('[part="coupon"]'), width('[part="coupon-copy-button"]'), width('.totals .stat'), width('[part="reward"] .status')];
  });
  assert.deepEqual(borders, ['1px', '1px', '1px', '1px', '1px']);
});

test('the demo attribute shows sample rewards: totals, a coupon and a commission being confirmed', async (t) => {
  const harness = await startHarness();
  t.after(() => harness.close());
  const { context, page } = await openWidget(browser, harness, { attributes: { demo: '' } });
  t.after(() => context.close());
  await nthEvent(page, 'rd-load');
  const widget = page.locator('referrer-dashboard');
  assert.deepEqual(await widget.locator('.totals [part="reward-amount"]').allTextContents(), ['$40.00', '$20.00']);
  const statuses = await widget.locator('[part="reward"] .status').allTextContents();
  assert.deepEqual(statuses, ['Pending', 'Pending', 'On its way', 'Earned', 'Earned']);
  assert.equal(await widget.locator('[part="coupon"]').inputValue(), 'THANKS-7Q2K');
  assert.equal(harness.sessionRequests().length, 0, 'no network');
});
