// The wasm trapping (a panic ends in one: the release build aborts, the size build aborts at
// once without a hook; or any other fault): the loader stops every element with `rd-error` and
// its error state, whether the trap comes out of one of its calls into the wasm or reaches the
// window from the wasm's own event handlers, and nothing calls into the dead instance again.
// A trap is made from outside, in the build as shipped: the wasm's memory overwritten with
// 0xFE through the DevTools protocol, so the next pointer the wasm follows is out of bounds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { launch } from './helpers.mjs';
import { addWidget, openWidget, startHarness } from './harness.mjs';

/**
 * Overwrites every WebAssembly memory of the page with 0xFE bytes: every pointer then lies far
 * out of bounds. Not 0xFF: usize::MAX is a sentinel to allocators and to wasm-bindgen (lol_alloc
 * reads it as "no free block" and grows the memory; wasm-bindgen as "mutably borrowed" and throws
 * a JS Error), so the wasm would not always fault.
 */
async function corruptWasmMemory(cdp) {
  const { result: prototype } = await cdp.send('Runtime.evaluate', { expression: 'WebAssembly.Memory.prototype' });
  const { objects } = await cdp.send('Runtime.queryObjects', { prototypeObjectId: prototype.objectId });
  const { result } = await cdp.send('Runtime.callFunctionOn', {
    objectId: objects.objectId,
    functionDeclaration: 'function () { this.forEach((m) => new Uint8Array(m.buffer).fill(0xfe)); return this.length; }',
    returnByValue: true,
  });
  assert.equal(result.value, 1, 'one wasm memory: the widget');
}

/** A page with two loaded elements. */
async function twoWidgets(t) {
  const browser = await launch();
  t.after(() => browser.close());
  const harness = await startHarness();
  t.after(() => harness.close());
  const { page, context } = await openWidget(browser, harness);
  const errors = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await addWidget(page, { endpoint: '/session' });
  await addWidget(page, { endpoint: '/session' });
  await page.waitForFunction(() => window.__rdEvents.filter((e) => e.type === 'rd-load').length === 2);
  return { page, cdp: await context.newCDPSession(page), errors };
}

/** Both elements stopped: one `rd-error` each, the error state without retry, no dashboard. */
async function assertStopped(page) {
  await page.waitForFunction(() => window.__rdEvents.filter((e) => e.type === 'rd-error').length >= 2);
  const errors = await page.evaluate(() => window.__rdEvents.filter((e) => e.type === 'rd-error').map((e) => e.detail));
  assert.equal(errors.length, 2, 'one rd-error per element');
  for (const detail of errors) {
    assert.equal(detail.type, 'invalid_response');
    assert.match(detail.message, /the widget stopped \(.+\)/);
  }
  const shown = await page.evaluate(() =>
    [...document.querySelectorAll('referrer-dashboard')].map((el) => ({
      error: el.shadowRoot.querySelector('[part="error"] p')?.textContent,
      retry: el.shadowRoot.querySelector('[part="retry-button"]') !== null,
      link: el.shadowRoot.querySelector('[part="link"]') !== null,
      session: el.session,
    })),
  );
  for (const element of shown) {
    assert.deepEqual(element, { error: "We couldn't load your referral dashboard.", retry: false, link: false, session: null });
  }
}

test('a trap in a call into the wasm (an attribute change) stops every element', async (t) => {
  const { page, cdp } = await twoWidgets(t);
  await corruptWasmMemory(cdp);
  // The loader's attributeChangedCallback calls the core, which traps. (The browser reports an
  // exception thrown there rather than throwing it to the host's setAttribute in any case.)
  const thrown = await page.evaluate(() => {
    try {
      document.querySelector('referrer-dashboard').setAttribute('theme', 'dark');
      return null;
    } catch (error) {
      return String(error);
    }
  });
  assert.equal(thrown, null, 'setAttribute returned normally');
  await assertStopped(page);

  // Afterwards nothing calls into the dead wasm: a new element is stopped at once, and the old
  // ones answer their host (refresh resolves, attributes change) without a trap.
  const later = await page.evaluate(async () => {
    const el = document.createElement('referrer-dashboard');
    el.setAttribute('endpoint', '/session');
    const errored = new Promise((resolve) => el.addEventListener('rd-error', (e) => resolve(e.detail.type), { once: true }));
    document.querySelector('#main').append(el);
    const old = document.querySelector('referrer-dashboard');
    old.setAttribute('theme', 'light');
    await old.refresh();
    old.remove();
    return { type: await errored, error: el.shadowRoot.querySelector('[part="error"]') !== null };
  });
  assert.deepEqual(later, { type: 'invalid_response', error: true });
});

test("a trap in the wasm's own event handler reaches the window and stops every element", async (t) => {
  const { page, cdp, errors } = await twoWidgets(t);
  await corruptWasmMemory(cdp);
  // The copy button's click runs Yew's listener inside the wasm: no loader call is on the stack.
  await page.locator('referrer-dashboard [part="copy-button"]').first().click();
  await assertStopped(page);
  assert.ok(errors.some((message) => /unreachable|out of bounds|RuntimeError/i.test(message)), `the trap is still in the console: ${errors}`);
});

test("another module's trap leaves the widget alone", async (t) => {
  const { page } = await twoWidgets(t);
  await page.evaluate(async () => {
    // A module of one exported function, `f`, whose body is `unreachable`.
    const bytes = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 3, 2, 1, 0, 7, 5, 1, 1, 102, 0, 0, 10, 5, 1, 3, 0, 0, 11]);
    const { instance } = await WebAssembly.instantiate(bytes);
    await new Promise((resolve) => {
      window.addEventListener('error', (event) => event.error instanceof WebAssembly.RuntimeError && resolve(), { once: true });
      setTimeout(() => instance.exports.f(), 0);
    });
  });
  // The element still calls into its wasm and answers.
  const after = await page.evaluate(async () => {
    const el = document.querySelector('referrer-dashboard');
    await el.refresh();
    return {
      session: el.session?.referrer?.code ?? null,
      errors: window.__rdEvents.filter((e) => e.type === 'rd-error').length,
      link: el.shadowRoot.querySelector('[part="link"]') !== null,
    };
  });
  assert.deepEqual(after, { session: 'ADA123', errors: 0, link: true });
});
