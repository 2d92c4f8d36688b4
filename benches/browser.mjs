// Browser benchmarks of the widget in headless Chromium, against sessions served from loopback:
//   render   navigation start → rd-load with 20 referrals: ours side by side with the vanilla
//            element of vanilla-element.js, same run; and ours with and without the early
//            session request, with an instant backend and with one that takes 150 ms
//   scaling  sessions of 10, 1,000 and 10,000 referrals in one page: load time, JS heap, wasm
//            memory; "Show more" cost per page (revealing, and fetching a cursor page)
//   cycles   JS heap and wasm memory after 200 mount/unmount cycles
//   phone    the network of a phone: 150 ms round trip, 1.6 Mbps down, 0.75 Mbps up (the
//            figures of issue 16, through CDP's Network.emulateNetworkConditions), every file
//            compressed as a CDN sends it (gzip; brotli for one variant); time to the element's
//            first content and to rd-load, ours with and without the preload recipe (and with it
//            over brotli) against the vanilla element (gzip)
//
//   node benches/browser.mjs <package-dir> [--runs N] [--phone-runs N] [--only phone|scaling|render]
//                            [--sources target/pkg-src] [--out file.json]
import { createServer } from 'node:http';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, extname, join } from 'node:path';
import zlib, { brotliCompressSync, gzipSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';

const args = process.argv.slice(2);
const PACKAGE = args[0] ?? 'target/dist/npm';
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const RUNS = Number(option('--runs', 25));
const OUT = option('--out', 'target/bench/browser.json');
const PHONE_RUNS = Number(option('--phone-runs', 9));
const ONLY = option('--only', null);
// The package's JS before bundling (xtask's package_sources), for the variant without the early
// request.
const SOURCES = option('--sources', join(PACKAGE, '../../pkg-src'));
const HERE = dirname(new URL(import.meta.url).pathname);
const FLAGS = [
  '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run', '--enable-precise-memory-info',
];

function session(n, { next = null, from = 0 } = {}) {
  const now = Date.now();
  return {
    version: 1,
    expires_at: new Date(now + 3_600_000).toISOString(),
    referrer: { name: 'Ada', link: 'https://example.com/r/ADA123', code: 'ADA123' },
    stats: { reach: 1204, referrals: n, qualified: Math.ceil(n / 3) },
    referrals: {
      items: Array.from({ length: n }, (_, i) => ({
        id: `r${from + i}`,
        name: `Person ${from + i}.`,
        status: (from + i) % 3 === 0 ? 'qualified' : 'pending',
        joined_at: new Date(now - (from + i) * 3_600_000).toISOString(),
      })),
      next,
    },
  };
}

// Sessions are built once per size, so the server answers each request at loopback speed.
const bodies = new Map();
const body = (key, make) => bodies.get(key) ?? bodies.set(key, JSON.stringify(make())).get(key);

const TYPES = { '.js': 'text/javascript', '.wasm': 'application/wasm', '.json': 'application/json' };
let vanillaConfig = '';
// Records, the same way for both elements: `first` at the first animation frame whose paint
// includes the element's card (the loader's skeleton, or the vanilla element's whole card),
// `load` when rd-load fires, `shown` at the first
// animation frame whose paint includes the copy button (rAF runs before that frame's paint),
// and resolves `__done` once both are known. The copy button works from
// max(shown, load): both elements attach its click handler before firing rd-load.
const RECORDER = `<script>
  window.__t = {};
  let done;
  window.__done = new Promise((resolve) => (done = resolve));
  document.addEventListener('rd-load', () => (window.__t.load ??= performance.now()));
  const watch = () => {
    const host = document.querySelector('referrer-dashboard, vanilla-dashboard');
    if (window.__t.first === undefined && host?.shadowRoot?.querySelector('[part~="card"]')) {
      window.__t.first = performance.now();
    }
    if (window.__t.shown === undefined && host?.shadowRoot?.querySelector('[part~="copy-button"]')) {
      window.__t.shown = performance.now();
    }
    if (window.__t.shown !== undefined && window.__t.load !== undefined) done();
    else requestAnimationFrame(watch);
  };
  requestAnimationFrame(watch);
</script>`;

// The package's module without the loader's early session request: bundled from the sources
// the way the package build bundles it, with the request left out of element.js.
let noEarly;
async function withoutEarlyRequest() {
  if (noEarly) return noEarly;
  const text = await readFile(join(SOURCES, 'element.js'), 'utf8');
  const patched = text.replace('this.#start(root, this.#prefetch(), texts);', 'this.#start(root, null, texts);');
  if (patched === text) throw new Error('element.js no longer starts an early request the way this bench expects');
  const result = await build({
    entryPoints: [join(SOURCES, 'referrer-dashboard.js')],
    bundle: true,
    minify: true,
    format: 'esm',
    write: false,
    external: ['./catalogue-*'], // as the package build: each catalogue a module of its own
    plugins: [{ name: 'no-early', setup: (b) => b.onLoad({ filter: /element\.js$/ }, () => ({ contents: patched, loader: 'js' })) }],
  });
  noEarly = result.outputFiles[0].text;
  return noEarly;
}

const compressed = new Map();
const server = createServer(async (req, res) => {
  const url = new URL(req.url, 'http://x');
  // Gzip (level 9) or brotli (quality 11), as a CDN would, when the request asks for it: only
  // the phone pages do. Compressed once per content, so no load waits for the compressor.
  const asks = (flag) => url.searchParams.get(flag) === '1' || req.headers.referer?.includes(`${flag}=1`);
  const encoding = asks('br') ? 'br' : asks('gz') ? 'gzip' : null;
  const send = (status, type, content) => {
    const headers = { 'content-type': type, 'cache-control': 'no-store' };
    if (encoding && content.length) {
      const key = `${encoding}:${createHash('sha256').update(content).digest('hex')}`;
      if (!compressed.has(key)) {
        compressed.set(key, encoding === 'br'
          ? brotliCompressSync(content, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: Buffer.byteLength(content) } })
          : gzipSync(content, { level: 9 }));
      }
      content = compressed.get(key);
      headers['content-encoding'] = encoding;
    }
    res.writeHead(status, headers);
    res.end(content);
  };
  const n = Number(url.searchParams.get('n') ?? 20);
  if (url.pathname === '/session') {
    const cursor = url.searchParams.get('cursor');
    if (cursor) {
      const page = Number(cursor);
      return send(200, 'application/json', body(`page-${page}`, () => ({ version: 1, referrals: session(25, { from: page * 25, next: String(page + 1) }).referrals })));
    }
    const paged = url.searchParams.get('paged') === '1';
    // A backend that takes `delay` ms to answer (the early request's case).
    const delay = Number(url.searchParams.get('delay') ?? 0);
    if (delay) await new Promise((resolve) => setTimeout(resolve, delay));
    return send(200, 'application/json', body(`s-${n}-${paged}`, () => session(n, paged ? { next: '1' } : {})));
  }
  if (url.pathname === '/ours.html' || url.pathname === '/ours-noprefetch.html') {
    const pkg = url.pathname === '/ours.html' ? 'pkg' : 'pkg-noprefetch';
    const extra =
      (url.searchParams.get('paged') === '1' ? '&amp;paged=1' : '') +
      (url.searchParams.has('delay') ? `&amp;delay=${Number(url.searchParams.get('delay'))}` : '');
    // The preload recipe of the README: module and wasm requested with the HTML.
    const preload = url.searchParams.get('preload') === '1'
      ? `<link rel="modulepreload" href="/${pkg}/referrer-dashboard.js"><link rel="preload" href="/${pkg}/referrer_dashboard_bg.wasm" as="fetch">`
      : '';
    return send(200, 'text/html', `<!doctype html><html lang="en"><head><meta charset="utf-8">${RECORDER}${preload}
      <script type="module" src="/${pkg}/referrer-dashboard.js"></script></head>
      <body><referrer-dashboard endpoint="/session?n=${n}${extra}" locale="en-US"></referrer-dashboard></body></html>`);
  }
  if (url.pathname === '/vanilla.html') {
    return send(200, 'text/html', `<!doctype html><html lang="en"><head><meta charset="utf-8">${RECORDER}
      <script src="/vanilla-config.js"></script><script type="module" src="/vanilla-element.js"></script></head>
      <body><vanilla-dashboard endpoint="/session?n=${n}"></vanilla-dashboard></body></html>`);
  }
  if (url.pathname === '/blank.html') return send(200, 'text/html', '<!doctype html><main id="main"></main>');
  if (url.pathname === '/vanilla-config.js') return send(200, 'text/javascript', vanillaConfig);
  if (url.pathname === '/vanilla-element.js') return send(200, 'text/javascript', await readFile(join(HERE, 'vanilla-element.js')));
  const match = url.pathname.match(/^\/(pkg|pkg-noprefetch)\/(.+)$/);
  if (match) {
    let content = await readFile(join(PACKAGE, match[2]));
    if (match[1] === 'pkg-noprefetch' && match[2] === 'referrer-dashboard.js') content = await withoutEarlyRequest();
    return send(200, TYPES[extname(match[2])] ?? 'application/octet-stream', content);
  }
  if (url.pathname === '/favicon.ico') return send(204, 'text/plain', '');
  send(404, 'text/plain', 'not found');
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const BASE = `http://127.0.0.1:${server.address().port}`;
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: FLAGS });

const stats = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { median: at(0.5), p10: at(0.1), p90: at(0.9), min: sorted[0], max: sorted[sorted.length - 1], runs: values.length };
};

/** The wasm memories alive in a page, found through CDP (the package exports nothing of the wasm). */
async function wasmMemories(cdp) {
  const { result: prototype } = await cdp.send('Runtime.evaluate', { expression: 'WebAssembly.Memory.prototype' });
  const { objects } = await cdp.send('Runtime.queryObjects', { prototypeObjectId: prototype.objectId });
  const { result } = await cdp.send('Runtime.callFunctionOn', {
    objectId: objects.objectId,
    functionDeclaration: 'function () { return this.map((memory) => memory.buffer.byteLength); }',
    returnByValue: true,
  });
  return result.value;
}

/**
 * The phone network of issue 16, as CDP takes it: latency is the round trip in ms, throughputs
 * in bytes per second (1.6 Mbps = 200,000 B/s down, 0.75 Mbps = 93,750 B/s up).
 */
const PHONE = { offline: false, latency: 150, downloadThroughput: 1.6e6 / 8, uploadThroughput: 0.75e6 / 8 };

/** One cold page load (fresh context: no HTTP or compile cache); returns its timings. */
async function load(path, { network } = {}) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  if (network) {
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', network);
  }
  await page.goto(`${BASE}${path}`);
  // One evaluate that waits for the page's own signal: polling would compete for the main thread.
  await page.evaluate(() =>
    Promise.race([window.__done, new Promise((_, fail) => setTimeout(() => fail(new Error('no rd-load within 60 s')), 60_000))]),
  );
  const timings = await page.evaluate(() => ({ ...window.__t, interactive: Math.max(window.__t.shown, window.__t.load) }));
  const heap = await page.evaluate(() => performance.memory?.usedJSHeapSize ?? 0);
  const wasm = path.includes('ours') ? Math.max(0, ...(await wasmMemories(cdp))) : 0;
  return { page, context, timings, memory: { heap, wasm } };
}

/** The phone profile: first content and rd-load, median of PHONE_RUNS cold loads each, interleaved. */
async function phone() {
  const pages = {
    ours: '/ours.html?gz=1',
    'ours, preload recipe': '/ours.html?gz=1&preload=1',
    'ours, preload, brotli': '/ours.html?br=1&preload=1',
    vanilla: '/vanilla.html?gz=1',
  };
  const taken = Object.fromEntries(Object.keys(pages).map((k) => [k, { first: [], load: [] }]));
  for (let i = 0; i < PHONE_RUNS + 1; i += 1) {
    for (const [name, path] of Object.entries(pages)) {
      const { timings, context } = await load(path, { network: PHONE });
      await context.close();
      if (i === 0) continue; // warm-up
      taken[name].first.push(timings.first);
      taken[name].load.push(timings.load);
    }
  }
  const result = Object.fromEntries(Object.entries(taken).map(([name, t]) => [name, { first: stats(t.first), load: stats(t.load) }]));
  console.log(`\nphone: 150 ms RTT, 1.6 Mbps down, 0.75 Mbps up, gzip unless named; 20 referrals; median of ${PHONE_RUNS} cold loads (ms)`);
  console.log(`${''.padEnd(24)} ${'first content'.padStart(14)} ${'rd-load'.padStart(9)} ${'× vanilla'.padStart(18)}`);
  const v = result.vanilla;
  for (const [name, r] of Object.entries(result)) {
    const ratio = `${(r.first.median / v.first.median).toFixed(2)} / ${(r.load.median / v.load.median).toFixed(2)}`;
    console.log(`${name.padEnd(24)} ${r.first.median.toFixed(0).padStart(14)} ${r.load.median.toFixed(0).padStart(9)} ${ratio.padStart(18)}`);
  }
  return result;
}

// The vanilla element draws the real element's stylesheet and QR code.
{
  const { page, context } = await load('/ours.html');
  const extracted = await page.evaluate(() => {
    const root = document.querySelector('referrer-dashboard').shadowRoot;
    const css = [...root.adoptedStyleSheets[0].cssRules].map((r) => r.cssText).join('\n');
    const svg = root.querySelector('[part="qr"] svg');
    return { css, qrSide: Number(svg.getAttribute('viewBox').split(' ')[2]), qrPath: svg.querySelector('path').getAttribute('d') };
  });
  vanillaConfig = `window.VANILLA = ${JSON.stringify(extracted)};`;
  const markup = await page.evaluate(() => document.querySelector('referrer-dashboard').shadowRoot.innerHTML.length);
  await context.close();
  const vanilla = await load('/vanilla.html');
  const vanillaMarkup = await vanilla.page.evaluate(() => document.querySelector('vanilla-dashboard').shadowRoot.innerHTML.length);
  await vanilla.context.close();
  console.log(`markup size: ours ${markup} chars, vanilla ${vanillaMarkup} chars`);
}

/** One session page of 10, 1,000 and 10,000 referrals: load time, JS heap, wasm memory. */
async function scalingRun() {
  const scaling = {};
  console.log('\nscaling: one session page of N referrals (median of 7 cold loads)');
  console.log(`${'N'.padStart(7)} ${'rd-load ms'.padStart(11)} ${'JS heap KB'.padStart(11)} ${'wasm KB'.padStart(9)}`);
  for (const n of [10, 1_000, 10_000]) {
    const loads = [];
    for (let i = 0; i < 7; i += 1) {
      const { timings, memory, context } = await load(`/ours.html?n=${n}`);
      loads.push({ time: timings.load, ...memory });
      await context.close();
    }
    scaling[n] = { load: stats(loads.map((l) => l.time)), heap: stats(loads.map((l) => l.heap)), wasm: stats(loads.map((l) => l.wasm)) };
    console.log(`${String(n).padStart(7)} ${scaling[n].load.median.toFixed(1).padStart(11)} ${(scaling[n].heap.median / 1000).toFixed(0).padStart(11)} ${(scaling[n].wasm.median / 1000).toFixed(0).padStart(9)}`);
  }
  return scaling;
}

if (ONLY === 'scaling') {
  const result = await scalingRun();
  await browser.close();
  server.close();
  await mkdir(dirname(OUT), { recursive: true });
  await writeFile(OUT.replace(/\.json$/, '-scaling.json'), JSON.stringify({ scaling: result }, null, 2));
  process.exit(0);
}

if (ONLY === 'phone') {
  const result = await phone();
  await browser.close();
  server.close();
  await mkdir(dirname(OUT), { recursive: true });
  await writeFile(OUT.replace(/\.json$/, '-phone.json'), JSON.stringify({ phone: result }, null, 2));
  process.exit(0);
}

// Render, interleaved so drift hits every variant alike.
const variants = {
  ours: '/ours.html',
  'ours, no early request': '/ours-noprefetch.html',
  vanilla: '/vanilla.html',
  'ours, 150 ms backend': '/ours.html?delay=150',
  '  no early request': '/ours-noprefetch.html?delay=150',
};
const samples = Object.fromEntries(Object.keys(variants).map((k) => [k, { load: [], interactive: [] }]));
for (let i = 0; i < RUNS + 2; i += 1) {
  for (const [name, path] of Object.entries(variants)) {
    const { timings, context } = await load(path);
    await context.close();
    if (i < 2) continue; // warm-up of the browser process itself
    samples[name].load.push(timings.load);
    samples[name].interactive.push(timings.interactive);
  }
}
const render = Object.fromEntries(
  Object.entries(samples).map(([name, s]) => [name, { load: stats(s.load), interactive: stats(s.interactive) }]),
);
const ratio = render.ours.load.median / render.vanilla.load.median;
console.log(`\nrender: navigation start → rd-load, 20 referrals, ${RUNS} cold loads each (ms)`);
console.log(`${''.padEnd(28)} ${'median'.padStart(7)} ${'p10'.padStart(7)} ${'p90'.padStart(7)} | copy button on screen and working (median)`);
for (const [name, r] of Object.entries(render)) {
  console.log(`${name.padEnd(28)} ${r.load.median.toFixed(1).padStart(7)} ${r.load.p10.toFixed(1).padStart(7)} ${r.load.p90.toFixed(1).padStart(7)} | ${r.interactive.median.toFixed(1).padStart(7)}`);
}
console.log(`ratio ours / vanilla (median rd-load): ${ratio.toFixed(2)}×`);
if (ONLY === 'render') {
  await browser.close();
  server.close();
  await mkdir(dirname(OUT), { recursive: true });
  await writeFile(OUT.replace(/\.json$/, '-render.json'), JSON.stringify({ render, ratio }, null, 2));
  process.exit(0);
}

// Scaling.
const scaling = await scalingRun();

/** Median ms from a "Show more" click to the list showing the new rows, over `clicks` clicks. */
async function showMore(path, clicks) {
  const { page, context } = await load(path);
  const times = await page.evaluate(async (clicks) => {
    const root = document.querySelector('referrer-dashboard').shadowRoot;
    const rows = () => root.querySelectorAll('[part="referral"]').length;
    const out = [];
    for (let i = 0; i < clicks; i += 1) {
      const before = rows();
      const start = performance.now();
      root.querySelector('[part="more-button"]').click();
      await new Promise((resolve) => {
        const check = () => (rows() > before ? resolve() : requestAnimationFrame(check));
        const observer = new MutationObserver(() => rows() > before && (observer.disconnect(), resolve()));
        observer.observe(root, { childList: true, subtree: true });
        check();
      });
      out.push(performance.now() - start);
    }
    return out;
  }, clicks);
  await context.close();
  return stats(times);
}
const reveal = await showMore('/ours.html?n=1000', 40);
const fetched = await showMore('/ours.html?n=5&paged=1', 20);
console.log(`\n"Show more": reveal 5 loaded rows ${reveal.median.toFixed(1)} ms median (p90 ${reveal.p90.toFixed(1)}); fetch a 25-row cursor page and show 5 ${fetched.median.toFixed(1)} ms median (p90 ${fetched.p90.toFixed(1)})`);

// Mount/unmount cycles.
const cycles = await (async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${BASE}/blank.html`);
  await page.evaluate(() => import('/pkg/referrer-dashboard.js'));
  const cdp = await context.newCDPSession(page);
  const run = (n) =>
    page.evaluate(async (n) => {
      for (let i = 0; i < n; i += 1) {
        const el = document.createElement('referrer-dashboard');
        el.setAttribute('endpoint', '/session?n=20');
        const loaded = new Promise((resolve) => el.addEventListener('rd-load', resolve, { once: true }));
        document.querySelector('#main').append(el);
        await loaded;
        el.remove();
        await new Promise((r) => setTimeout(r, 0));
      }
    }, n);
  const measure = async () => {
    await cdp.send('HeapProfiler.collectGarbage');
    const { usedSize } = await cdp.send('Runtime.getHeapUsage');
    const [wasm] = await wasmMemories(cdp);
    return { heap: usedSize, wasm };
  };
  await run(20);
  const before = await measure();
  await run(200);
  const after = await measure();
  await context.close();
  return { before, after, heapChange: after.heap / before.heap - 1 };
})();
console.log(`\n200 mount/unmount cycles: JS heap ${(cycles.before.heap / 1000).toFixed(0)} → ${(cycles.after.heap / 1000).toFixed(0)} KB (${(cycles.heapChange * 100).toFixed(1)} %), wasm memory ${cycles.before.wasm / 1024} → ${cycles.after.wasm / 1024} KiB`);

const phoneNetwork = await phone();

await browser.close();
server.close();
await mkdir(dirname(OUT), { recursive: true });
await writeFile(OUT, JSON.stringify({ render, ratio, scaling, showMore: { reveal, fetched }, cycles, phone: phoneNetwork }, null, 2));
console.log(`\nresults: ${OUT}`);
