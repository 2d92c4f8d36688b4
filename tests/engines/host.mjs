// The test's own web server, playing a host site and a CDN on two origins:
//   page origin  /c/<id>/            a check's page, under the strict CSP of SPEC §4 (or its own)
//                /c/<id>/record.js   the recorder (below), the first script of every page
//                /c/<id>/<name>.js   a check's own scripts (a host's getAuthToken, a spacer)
//                /c/<id>/pkg/<file>  the npm package's files
//                /c/<id>/api/...     the reference backend's session endpoint and its demo
//                /c/<id>/demo/...    identities, passed through to it (same origin, as a host's
//                                    reverse proxy does)
//   CDN origin   /c/<id>/<file>      the CDN build's content-hashed files, CORS-readable
//                /c/<id>/pkg/<file>  the npm package's files, served from another origin
//   demo origin  everything          the reference backend's own demo site, passed through and
//                                    counted (its pages name their files by absolute paths)
// Each check gets its own <id>, so its URLs are new to the browser (nothing comes from a cache)
// and the requests for its files are counted here, on the server, the same way in every engine.
import { createServer, request as forward } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';
import { STRICT_CSP } from '../e2e/harness.mjs';

const TYPES = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
};

/**
 * Installed before anything else on every page (a file: the strict CSP runs no inline script):
 * records the rd-* events, CSP violations and uncaught errors where every engine's page can
 * read them back.
 */
const RECORDER = `window.__rd = { events: [], csp: [], errors: [] };
for (const type of ['rd-load', 'rd-copy', 'rd-share', 'rd-error']) {
  document.addEventListener(type, (e) => window.__rd.events.push({ type, detail: e.detail }));
}
document.addEventListener('securitypolicyviolation', (e) => window.__rd.csp.push(e.violatedDirective + ' ' + e.blockedURI));
window.addEventListener('error', (e) => window.__rd.errors.push(e.message || 'failed to load ' + (e.target && e.target.src)), true);
window.addEventListener('unhandledrejection', (e) => window.__rd.errors.push('unhandled rejection: ' + e.reason));`;

/** A promise and the function that settles it. */
export function gate() {
  let open;
  const opened = new Promise((resolve) => (open = resolve));
  return { opened, open };
}

/**
 * Starts the two origins. `packageDir` and `cdnDir` are the built npm package and CDN files;
 * `backend` the reference backend's URL.
 */
export async function startHost({ packageDir, cdnDir, backend }) {
  /** The registered checks by id. */
  const sites = new Map();
  let next = 0;

  const listen = async (handler) => {
    const server = createServer((req, res) => {
      handler(req, res).catch((error) => {
        res.writeHead(500);
        res.end(String(error));
      });
    });
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    return { server, url: `http://127.0.0.1:${server.address().port}` };
  };

  /** `/c/<id>/<rest>` split into the site and the rest, or null. */
  const route = (req) => {
    const match = /^\/c\/(\d+)\/(.*)$/.exec(new URL(req.url, 'http://x').pathname);
    const site = match && sites.get(Number(match[1]));
    return site ? { site, rest: match[2] } : null;
  };

  const sendFile = async (res, dir, rest, headers, site) => {
    const file = normalize(rest);
    if (file.startsWith('..') || file.startsWith('/')) {
      res.writeHead(403);
      return res.end();
    }
    site.requests.push(file);
    if (file.endsWith('.wasm')) await site.wasmGate;
    let body;
    try {
      body = await readFile(join(dir, file));
    } catch {
      res.writeHead(404, headers);
      return res.end();
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', ...headers });
    res.end(site.change(file, body));
  };

  const pages = await listen(async (req, res) => {
    const found = route(req);
    if (!found) {
      res.writeHead(req.url === '/favicon.ico' ? 204 : 404);
      return res.end();
    }
    const { site, rest } = found;
    if (rest === '') {
      res.writeHead(200, { 'content-type': 'text/html', 'content-security-policy': site.csp, 'cache-control': 'no-store' });
      return res.end(site.html);
    }
    if (rest === 'record.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' });
      return res.end(RECORDER);
    }
    if (Object.hasOwn(site.scripts, rest)) {
      res.writeHead(200, { 'content-type': 'text/javascript' });
      return res.end(site.scripts[rest]);
    }
    if (rest.startsWith('pkg/')) {
      // As the reference server sends a stable name: revalidate, so a cache never stands in
      // for a second download.
      return sendFile(res, packageDir, rest.slice('pkg/'.length), { 'cache-control': 'no-cache' }, site);
    }
    if (rest.startsWith('api/') || rest.startsWith('demo/')) {
      site.requests.push(rest);
      return pass(req, res, `${backend}/${rest}${new URL(req.url, 'http://x').search}`);
    }
    res.writeHead(404);
    res.end();
  });

  const cdn = await listen(async (req, res) => {
    const found = route(req);
    if (!found) {
      res.writeHead(404);
      return res.end();
    }
    const cors = { 'access-control-allow-origin': '*' };
    if (found.rest.startsWith('pkg/')) {
      return sendFile(res, packageDir, found.rest.slice('pkg/'.length), { ...cors, 'cache-control': 'no-cache' }, found.site);
    }
    return sendFile(res, cdnDir, found.rest, { ...cors, 'cache-control': 'public, max-age=31536000, immutable' }, found.site);
  });

  /** Paths the demo origin passed on to the backend, in order. */
  const demoRequests = [];
  const demo = await listen(async (req, res) => {
    demoRequests.push(new URL(req.url, 'http://x').pathname);
    return pass(req, res, `${backend}${req.url}`);
  });

  return {
    cdn: cdn.url,
    /** The backend's demo site through a counting proxy; `demoRequests` lists the paths asked for. */
    demo: demo.url,
    demoRequests,
    /**
     * Registers a check's site and returns it: `html(site)` makes its page (given `site.base`,
     * the page's folder URL, and `site.cdn`, its CDN folder URL); `scripts(site)` more files by
     * name; `csp` the page's policy (`csp(site)` may widen it); `holdWasm` keeps every wasm
     * request waiting until `site.releaseWasm()`; `site.change(file, body)` may rewrite a file's
     * bytes on the way out (a compromised CDN). `site.requests` lists every file asked for.
     */
    site({ html, scripts = () => ({}), csp = STRICT_CSP, holdWasm = false }) {
      const id = next++;
      const wasm = gate();
      if (!holdWasm) wasm.open();
      const site = {
        id,
        base: `${pages.url}/c/${id}/`,
        cdn: `${cdn.url}/c/${id}/`,
        url: `${pages.url}/c/${id}/`,
        requests: [],
        wasmGate: wasm.opened,
        releaseWasm: wasm.open,
        change: (file, body) => body,
        /** How many requests asked for a file whose name ends with `suffix`. */
        count: (suffix) => site.requests.filter((file) => file.endsWith(suffix)).length,
      };
      site.scripts = scripts(site);
      site.csp = typeof csp === 'function' ? csp(site) : csp;
      site.html = html(site);
      sites.set(id, site);
      return site;
    },
    close: () =>
      Promise.all(
        [pages, cdn, demo].map(
          ({ server }) =>
            new Promise((resolve) => {
              server.closeAllConnections();
              server.close(resolve);
            }),
        ),
      ),
  };
}

/** Passes `req` on to `target` (the reference backend) and its answer back, as a reverse proxy. */
function pass(req, res, target) {
  return new Promise((resolve, reject) => {
    const url = new URL(target);
    const upstream = forward(
      url,
      { method: req.method, headers: { ...req.headers, host: url.host } },
      (answer) => {
        res.writeHead(answer.statusCode, answer.headers);
        answer.pipe(res);
        answer.on('end', resolve);
      },
    );
    upstream.on('error', reject);
    req.pipe(upstream);
  });
}

/** The head every host page starts with: the charset, and the recorder before any other script. */
export function head(site, title = 'engines') {
  // The icon named by an absolute URL: a page whose <base> is the CDN would otherwise ask the
  // CDN origin for /favicon.ico, which its CSP's img-src refuses (WebKit asks).
  const icon = `${new URL(site.base).origin}/favicon.ico`;
  return `<meta charset="utf-8"><title>${title}</title><link rel="icon" href="${icon}"><script src="${site.base}record.js"></script>`;
}
