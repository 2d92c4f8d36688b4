// The React wrapper, `referrer-dashboard/react`: rendered on the server by react-dom/server, then
// hydrated in Chromium (and rendered by the client alone), against a test endpoint that accepts
// only the token its `getAuthToken` prop gives.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { createElement } from 'react';
import { renderToString } from 'react-dom/server';
import { launch, watchErrors, PACKAGE_DIR } from './helpers.mjs';
import { session, startHarness } from './harness.mjs';

const ROOT = new URL('../../', import.meta.url).pathname;
const WRAPPER = join(PACKAGE_DIR, 'react.js');
const { ReferrerDashboard } = await import(pathToFileURL(WRAPPER).href);

let browser;
before(async () => {
  browser = await launch();
});
after(() => browser.close());

/** The props of the page's one dashboard; the functions are the browser's own (see APP). */
const PROPS = { endpoint: '/session', locale: 'en-US', pageSize: 3, demo: false, id: 'dashboard', className: 'card' };

/**
 * The page's app, bundled for the browser in development mode (React's hydration checks on),
 * in StrictMode (effects run twice): hydrates `#root` when the server rendered it, after a delay
 * that leaves the defined element time to start on its own if nothing held it, else renders it.
 */
const APP = `
import { StrictMode, createElement } from 'react';
import { createRoot, hydrateRoot } from 'react-dom/client';
import { ReferrerDashboard } from ${JSON.stringify(WRAPPER)};

window.__loads = [];
const props = ${JSON.stringify(PROPS)};
const getAuthToken = async () => 'token-from-react';
const app = createElement(StrictMode, null, createElement(ReferrerDashboard, {
  ...props,
  getAuthToken,
  strings: { copy: 'Copy my link' },
  onRdLoad: (event) => window.__loads.push(event.detail.stats.referrals),
  ref: (element) => { if (element) window.__ref = element; },
}));
const root = document.getElementById('root');
if (root.firstElementChild) {
  await new Promise((resolve) => setTimeout(resolve, 300));
  hydrateRoot(root, app);
} else {
  createRoot(root).render(app);
}
`;

/** The app as one module; the element's own module stays the page's `/pkg/` one. */
async function bundle() {
  const result = await build({
    stdin: { contents: APP, resolveDir: ROOT, loader: 'js' },
    bundle: true,
    format: 'esm',
    write: false,
    logLevel: 'silent',
    define: { 'process.env.NODE_ENV': '"development"' },
    plugins: [
      {
        name: 'the-page-element',
        setup(on) {
          on.onResolve({ filter: /referrer-dashboard\.js$/ }, () => ({ path: '/pkg/referrer-dashboard.js', external: true }));
        },
      },
    ],
  });
  return result.outputFiles[0].text;
}

test('the wrapper renders the tag with its attributes on the server, and defer-hydration, without touching a DOM', () => {
  const html = renderToString(
    createElement(ReferrerDashboard, {
      ...PROPS,
      tokenUrl: '/auth/token',
      theme: 'dark',
      demo: true,
      getAuthToken: async () => 'never rendered',
      strings: { copy: 'never rendered' },
      onRdLoad: () => {},
    }),
  );
  assert.match(html, /^<referrer-dashboard [^>]*><\/referrer-dashboard>$/);
  const attributes = Object.fromEntries([...html.matchAll(/ ([a-z-]+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
  assert.deepEqual(attributes, {
    'defer-hydration': '',
    endpoint: '/session',
    locale: 'en-US',
    'page-size': '3',
    demo: '',
    id: 'dashboard',
    class: 'card',
    'token-url': '/auth/token',
    theme: 'dark',
  });
  assert.ok(!/never rendered|function|onrd/i.test(html), html);
});

for (const mode of ['hydrated after server rendering', 'rendered by the client']) {
  test(`the wrapper ${mode}: getAuthToken before the first request, onRdLoad heard, the ref is the element`, async (t) => {
    const harness = await startHarness();
    t.after(() => harness.close());
    const REFUSED = { status: 401, body: { error: { type: 'authentication', message: 'no token' } } };
    harness.endpoint = (record) => (record.headers.authorization === 'Bearer token-from-react' ? { body: session() } : REFUSED);
    const server = mode.startsWith('hydrated') ? renderToString(createElement(ReferrerDashboard, PROPS)) : '';
    harness.page = harness.page.replace('<main id="main"></main>', `<main id="main"><div id="root">${server}</div></main>`).replace('</head>', '<script type="module" src="/app.js"></script></head>');
    harness.files['/app.js'] = await bundle();
    const context = await browser.newContext();
    t.after(() => context.close());
    const page = await context.newPage();
    const errors = watchErrors(page);
    await page.goto(`${harness.url}/`);
    const widget = page.locator('referrer-dashboard');
    await widget.locator('[part="stat-value"]').first().waitFor();
    await page.waitForFunction(() => window.__loads.length > 0);
    assert.deepEqual(await page.evaluate(() => window.__loads), [37], 'onRdLoad heard rd-load once');
    assert.deepEqual(harness.sessionRequests().map((r) => r.headers.authorization), ['Bearer token-from-react'], 'one request, with the token');
    assert.equal(await widget.locator('[part="copy-button"]').textContent(), 'Copy my link', 'strings set');
    const element = await page.evaluate(() => ({
      isTheElement: window.__ref === document.querySelector('referrer-dashboard') && window.__ref instanceof customElements.get('referrer-dashboard'),
      deferred: window.__ref.hasAttribute('defer-hydration'),
      className: window.__ref.className,
    }));
    assert.deepEqual(element, { isTheElement: true, deferred: false, className: 'card' });
    assert.deepEqual(errors, [], 'no hydration warning, no error');
  });
}
