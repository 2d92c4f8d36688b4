// What a user does with the dashboard: copy, share; and what a hostile session cannot do.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { eventCount, launch, nthEvent } from './helpers.mjs';
import { openWidget, session, startHarness } from './harness.mjs';

let browser;
before(async () => {
  browser = await launch();
});
after(() => browser.close());

async function setup(t, options = {}) {
  const harness = await startHarness();
  t.after(() => harness.close());
  if (options.endpoint) harness.endpoint = options.endpoint;
  const { context, page } = await openWidget(browser, harness, {
    attributes: options.attributes ?? { endpoint: '/session' },
    contextOptions: options.contextOptions,
    init: options.init,
  });
  t.after(() => context.close());
  await nthEvent(page, options.waitFor ?? 'rd-load');
  return { harness, context, page, widget: page.locator('referrer-dashboard') };
}

test('copy writes the link to the clipboard, says Copied and announces it', async (t) => {
  const { page, widget } = await setup(t, {
    contextOptions: { permissions: ['clipboard-read', 'clipboard-write'] },
  });
  const button = widget.locator('[part="copy-button"]');
  await button.click();
  assert.deepEqual(await nthEvent(page, 'rd-copy'), { link: 'https://example.com/r/ADA123' });
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), 'https://example.com/r/ADA123');
  assert.equal((await button.textContent()).trim(), 'Copied');
  assert.equal((await widget.locator('[role="status"][aria-live="polite"]').first().textContent()).trim(), 'Copied');
  // "Copied" lasts a moment, then the button reads Copy again.
  await page.waitForFunction(
    () => document.querySelector('referrer-dashboard').shadowRoot.querySelector('[part="copy-button"]').textContent.trim() === 'Copy',
  );
});

async function assertSelectedFallback(page, widget) {
  await page.waitForFunction(() => {
    const input = document.querySelector('referrer-dashboard').shadowRoot.querySelector('[part="link"]');
    return input.selectionStart === 0 && input.selectionEnd === input.value.length;
  });
  assert.match(await widget.locator('.hint').textContent(), /Ctrl\+C/);
  assert.equal(await eventCount(page, 'rd-copy'), 0, 'nothing was copied, so no rd-copy');
}

test('when the clipboard refuses, the link is selected and the user told to press Ctrl/Cmd+C', async (t) => {
  const { page, widget } = await setup(t, {
    init: () => {
      navigator.clipboard.writeText = () => Promise.reject(new DOMException('denied', 'NotAllowedError'));
    },
  });
  await widget.locator('[part="copy-button"]').click();
  await assertSelectedFallback(page, widget);
});

test('where there is no Clipboard API at all, the same fallback applies', async (t) => {
  const { page, widget } = await setup(t, {
    init: () => Object.defineProperty(Navigator.prototype, 'clipboard', { get: () => undefined }),
  });
  await widget.locator('[part="copy-button"]').click();
  await assertSelectedFallback(page, widget);
});

test('rd-share is cancelable: a host that prevents it gets the event and nothing opens', async (t) => {
  const { context, page, widget } = await setup(t, { attributes: { endpoint: '/session', channels: 'x email' } });
  await page.evaluate(() => document.addEventListener('rd-share', (e) => e.preventDefault()));
  let opened = 0;
  context.on('page', () => (opened += 1));
  await widget.locator('[data-channel="x"]').click();
  assert.deepEqual(await nthEvent(page, 'rd-share'), { channel: 'x', link: 'https://example.com/r/ADA123' });
  assert.equal(page.url().startsWith('http://127.0.0.1'), true, 'the page did not navigate');
  // The click's default action (opening a tab) would have happened synchronously with it.
  await page.evaluate(() => new Promise((r) => setTimeout(r, 0)));
  assert.equal(opened, 0);
});

test('without cancel, a share link opens the network\'s share page with the link', async (t) => {
  const { context, widget } = await setup(t, { attributes: { endpoint: '/session', channels: 'x' } });
  await context.route('https://x.com/**', (route) => route.fulfill({ body: 'x stand-in' }));
  const [popup] = await Promise.all([context.waitForEvent('page'), widget.locator('[data-channel="x"]').click()]);
  const url = new URL(popup.url());
  assert.equal(url.origin + url.pathname, 'https://x.com/intent/post');
  assert.equal(url.searchParams.get('url'), 'https://example.com/r/ADA123');
});

test('channels follow the attribute, in order; native share only where the browser has it', async (t) => {
  const { widget, page } = await setup(t, { attributes: { endpoint: '/session', channels: 'sms native telegram' } });
  const hasShare = await page.evaluate(() => 'share' in navigator);
  const channels = await widget.locator('[part="share"] [data-channel]').evaluateAll((els) => els.map((e) => e.dataset.channel));
  assert.deepEqual(channels, hasShare ? ['sms', 'native', 'telegram'] : ['sms', 'telegram']);
});

test('a hostile session renders its markup as text and runs nothing', async (t) => {
  const evil = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>';
  const { page, widget } = await setup(t, {
    endpoint: () => ({
      body: session({
        referrer: { name: evil, link: 'https://example.com/r/"><svg/onload=alert(1)>' },
        referrals: { items: [{ id: '<b>', name: evil, status: 'pending' }], next: null },
      }),
    }),
  });
  assert.equal(await widget.locator('[part="referral"] .name').textContent(), evil);
  const injected = await page.evaluate(() => {
    const root = document.querySelector('referrer-dashboard').shadowRoot;
    return root.querySelectorAll('img, script, svg[onload], b').length;
  });
  assert.equal(injected, 0);
  assert.equal(await page.evaluate(() => window.__pwned), undefined);
});

test('under the strict CSP of SPEC §4 it renders without a single violation', async (t) => {
  const { page, widget } = await setup(t);
  assert.equal(await widget.locator('[part="stat-value"]').count(), 3);
  // Interactions too: copy (fallback or not), show more, share links.
  await widget.locator('[part="copy-button"]').click();
  assert.deepEqual(await page.evaluate(() => window.__csp), []);
  const styled = await widget.locator('[part="copy-button"]').evaluate((b) => getComputedStyle(b).backgroundColor);
  assert.notEqual(styled, 'rgba(0, 0, 0, 0)', 'the adopted stylesheet applied despite style-src');
});

test('demo renders built-in sample data with no network, a few pages deep', async (t) => {
  const { page, widget } = await setup(t, { attributes: { demo: '' } });
  assert.equal(await page.evaluate(() => window.__fetches), 0);
  assert.equal(await widget.locator('[part="link"]').inputValue(), 'https://example.com/r/DEMO42');
  const more = widget.locator('[part="more-button"]');
  while ((await more.count()) > 0) await more.click();
  assert.equal(await widget.locator('[part="referral"]').count(), 27);
  assert.equal(await page.evaluate(() => window.__fetches), 0);
});
