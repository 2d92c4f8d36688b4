// A test endpoint the tests program answer by answer, serving the built package and a blank
// host page under the strict CSP of SPEC §4. It records every request it receives.
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';
import { PACKAGE_DIR } from './helpers.mjs';

export const STRICT_CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'";

const TYPES = {
  '.js': 'text/javascript',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.ts': 'text/plain',
  '.md': 'text/plain',
};

const PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>test host</title>
  <script type="module" src="/pkg/referrer-dashboard.js"></script>
</head>
<body><main id="main"></main><aside id="aside"></aside></body>
</html>`;

/** A whole, valid session (SPEC §5) with `overrides` merged in. */
export function session(overrides = {}) {
  const base = {
    version: 1,
    expires_at: new Date(Date.now() + 3_600_000).toISOString(),
    referrer: { name: 'Ada', link: 'https://example.com/r/ADA123', code: 'ADA123' },
    stats: { reach: 1204, referrals: 37, qualified: 12 },
    referrals: { items: referrals(3), next: null },
  };
  return { ...base, ...overrides };
}

/** `n` referrals named "Person 1." … (ids start at `from`). */
export function referrals(n, from = 0) {
  return Array.from({ length: n }, (_, i) => ({
    id: `r${from + i}`,
    name: `Person ${from + i}.`,
    status: (from + i) % 3 === 0 ? 'qualified' : 'pending',
    joined_at: new Date(Date.now() - (from + i) * 86_400_000).toISOString(),
  }));
}

/**
 * Starts the harness. `endpoint(request, url)` decides each answer of `/session`: it returns
 * `{ status, headers, body }` (an object body is sent as JSON), or a promise of one, or
 * `{ hold: true }` to never answer.
 */
export async function startHarness({ csp = STRICT_CSP, cors = false } = {}) {
  const requests = [];
  const harness = {
    requests,
    endpoint: () => ({ status: 200, body: session() }),
    /** Awaited before a package file is served (tests hold back the wasm with it). */
    beforeFile: async () => {},
    /** The page at `/`. */
    page: PAGE,
    /** More scripts by path (`/host.js` → its text), held back by `beforeFile` too. */
    files: {},
    /**
     * More answering routes by path (`/token` → a function like `endpoint`), recorded in
     * `requests` like the session's.
     */
    routes: {},
    url: '',
    /** Requests to `/session` so far. */
    sessionRequests: () => requests.filter((r) => r.path === '/session'),
  };
  const server = createServer(async (req, res) => {
    const url = new URL(req.url, 'http://localhost');
    if (url.pathname === '/') {
      res.writeHead(200, { 'content-type': 'text/html', 'content-security-policy': csp });
      return res.end(harness.page);
    }
    if (Object.hasOwn(harness.files, url.pathname)) {
      await harness.beforeFile(url.pathname);
      res.writeHead(200, { 'content-type': 'text/javascript' });
      return res.end(harness.files[url.pathname]);
    }
    if (url.pathname === '/favicon.ico') {
      res.writeHead(204);
      return res.end();
    }
    if (url.pathname.startsWith('/pkg/')) {
      const file = normalize(url.pathname.slice('/pkg/'.length));
      if (file.startsWith('..')) {
        res.writeHead(403);
        return res.end();
      }
      try {
        await harness.beforeFile(file);
        const body = await readFile(join(PACKAGE_DIR, file));
        res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
        return res.end(body);
      } catch {
        res.writeHead(404);
        return res.end();
      }
    }
    // With `cors`, the session routes answer pages of any other origin, cookies included.
    const allow = cors && req.headers.origin
      ? { 'access-control-allow-origin': req.headers.origin, 'access-control-allow-credentials': 'true', vary: 'Origin' }
      : {};
    if (cors && req.method === 'OPTIONS') {
      res.writeHead(204, { ...allow, 'access-control-allow-headers': 'authorization, accept' });
      return res.end();
    }
    const route = Object.hasOwn(harness.routes, url.pathname) ? harness.routes[url.pathname] : null;
    if (route || url.pathname === '/session' || url.pathname === '/other-session') {
      const record = { path: url.pathname, url: req.url, cursor: url.searchParams.get('cursor'), headers: req.headers, at: Date.now() };
      requests.push(record);
      const answer = await (route ?? harness.endpoint)(record, url);
      if (answer.hold) return; // never answers: the client's timeout must fire
      const body = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body ?? null);
      res.writeHead(answer.status ?? 200, {
        'content-type': 'application/json',
        'cache-control': 'no-store',
        ...allow,
        ...(answer.headers ?? {}),
      });
      return res.end(body);
    }
    res.writeHead(404);
    res.end();
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  harness.url = `http://127.0.0.1:${server.address().port}`;
  harness.close = () =>
    new Promise((resolve) => {
      server.closeAllConnections();
      server.close(resolve);
    });
  return harness;
}

/**
 * Opens the host page in a fresh context, recording rd-* events and CSP violations, and adds
 * a `<referrer-dashboard>` with `attributes` (and `properties` set before it connects), in
 * `context` when given (a test that routes requests first), else in a fresh one.
 */
export async function openWidget(browser, harness, { attributes = {}, contextOptions = {}, init, context: given } = {}) {
  const context = given ?? (await browser.newContext(contextOptions));
  const page = await context.newPage();
  await page.addInitScript(() => {
    window.__rdEvents = [];
    window.__csp = [];
    // Counts the widget's fetch calls synchronously (not the package's own .wasm download),
    // so a test can tell that none was made.
    window.__fetches = 0;
    const fetch = window.fetch;
    window.fetch = (input, init) => {
      const url = String(input instanceof Request ? input.url : input);
      if (!url.includes('/pkg/')) window.__fetches += 1;
      return fetch(input, init);
    };
    for (const type of ['rd-load', 'rd-copy', 'rd-share', 'rd-error']) {
      document.addEventListener(type, (event) => window.__rdEvents.push({ type, detail: event.detail }));
    }
    document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  if (init) await page.addInitScript(init);
  await page.goto(`${harness.url}/`);
  await page.waitForFunction(() => customElements.get('referrer-dashboard'));
  if (Object.keys(attributes).length > 0) await addWidget(page, attributes);
  return { context, page };
}

/** Appends a `<referrer-dashboard>` with `attributes` to `#main` (or `parent`). */
export function addWidget(page, attributes, parent = '#main') {
  return page.evaluate(
    ([attributes, parent]) => {
      const el = document.createElement('referrer-dashboard');
      for (const [name, value] of Object.entries(attributes)) el.setAttribute(name, value);
      document.querySelector(parent).append(el);
    },
    [{ locale: 'en-US', ...attributes }, parent],
  );
}
