// Removing elements frees them: 200 add/remove cycles leave the JS heap, live timers and wasm
// memory where they were.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { launch, wasmMemories } from './helpers.mjs';
import { openWidget, startHarness } from './harness.mjs';

const CYCLES = 200;

test(`${CYCLES} add/remove cycles leave no growth in heap, timers or wasm memory`, async (t) => {
  const browser = await launch();
  t.after(() => browser.close());
  const harness = await startHarness();
  t.after(() => harness.close());
  const { context, page } = await openWidget(browser, harness, {
    init: () => {
      // Tracks timers that are still pending. (The harness also records every rd-* event, a few
  // dozen bytes each: that is the test's own growth, inside the 10 % allowance.)
      window.__timers = new Set();
      const set = window.setTimeout;
      const clear = window.clearTimeout;
      window.setTimeout = (fn, ms, ...args) => {
        const id = set(
          (...a) => {
            window.__timers.delete(id);
            typeof fn === 'function' && fn(...a);
          },
          ms,
          ...args,
        );
        window.__timers.add(id);
        return id;
      };
      window.clearTimeout = (id) => {
        window.__timers.delete(id);
        clear(id);
      };
    },
  });
  t.after(() => context.close());
  const cdp = await context.newCDPSession(page);

  // Each cycle adds an element, lets it load (every other one: removes it at once, with its
  // request in flight and its app not yet rendered), and removes it.
  const cycle = (n) =>
    page.evaluate(async (n) => {
      for (let i = 0; i < n; i += 1) {
        const el = document.createElement('referrer-dashboard');
        el.setAttribute('endpoint', '/session');
        const loaded = new Promise((resolve) => el.addEventListener('rd-load', resolve, { once: true }));
        document.querySelector('#main').append(el);
        if (i % 2 === 0) await loaded;
        else await Promise.resolve();
        el.remove();
        // Removal is decided once the current task's microtasks have run.
        await new Promise((r) => setTimeout(r, 0));
      }
    }, n);

  const measure = async () => {
    await cdp.send('HeapProfiler.collectGarbage');
    await cdp.send('HeapProfiler.collectGarbage');
    const { usedSize } = await cdp.send('Runtime.getHeapUsage');
    const timers = await page.evaluate(() => window.__timers.size);
    const memories = await wasmMemories(cdp);
    assert.equal(memories.length, 1, 'one wasm instance for every element');
    return { heap: usedSize, timers, wasm: memories[0] };
  };

  await cycle(20); // warm-up: code paths compiled, allocator grown to its working size
  const baseline = await measure();
  await cycle(CYCLES);
  const afterCycles = await measure();
  t.diagnostic(`baseline ${JSON.stringify(baseline)}; after ${CYCLES} cycles ${JSON.stringify(afterCycles)}`);
  assert.equal(await page.evaluate(() => document.querySelectorAll('referrer-dashboard').length), 0);
  assert.equal(afterCycles.timers, baseline.timers, 'no timer outlives its element');
  assert.ok(afterCycles.heap <= baseline.heap * 1.1, `JS heap grew from ${baseline.heap} to ${afterCycles.heap}`);
  assert.ok(afterCycles.wasm <= baseline.wasm + 65_536, `wasm memory grew from ${baseline.wasm} to ${afterCycles.wasm}`);
  assert.ok(harness.sessionRequests().length >= (20 + CYCLES) / 2);
});
