// Shared helpers for the end-to-end tests: real processes on loopback, real Chromium.
import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { chromium } from 'playwright-core';

/** Chromium flags for this machine (closed network, no sandbox as root). */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export const SERVER_BIN = required('RD_SERVER_BIN');
export const PACKAGE_DIR = required('RD_PACKAGE_DIR');
export const SITE_DIR = required('RD_SITE_DIR');

function required(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the end-to-end tests through cargo xtask test`);
  return value;
}

/** Launches headless Debian Chromium. */
export function launch() {
  return chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
}

/**
 * Starts the server binary with `args` and `env` and resolves once it prints the line matching
 * `ready` (whose first group is its URL). Rejects with its output if it exits first.
 */
export function startProcess(args, env = {}, ready = /^listening on (http\S+)/m) {
  // Without a key the server is to serve its sandbox, which it must be told explicitly (SPEC §6:
  // without a key and without DASHBOARD_SANDBOX it refuses to start).
  const keyed = 'REFERRAL_FACTORY_API_KEY' in env || 'REFERRAL_FACTORY_API_KEY_FILE' in env;
  const sandbox = keyed || args[0] === 'sandbox' ? {} : { DASHBOARD_SANDBOX: 'true' };
  const base = { PATH: process.env.PATH, HOME: process.env.HOME, RUST_LOG: 'info', PORT: '0', DASHBOARD_DB: ':memory:' };
  return startReady('server', SERVER_BIN, args, { env: { ...base, ...sandbox, ...env }, ready });
}

/**
 * Starts `command` with `args` (in `cwd`, with exactly `env`) and resolves once what it prints
 * matches `ready` (its first group, if any, is `url`), with `output()`, `waitForOutput(pattern)`
 * and `stop()`. Rejects with its output, naming it `name`, if it exits first.
 */
export function startReady(name, command, args, { cwd, env, ready }) {
  const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  // Those waiting for a line yet to come: a log line can reach this pipe after the answer it
  // describes has reached the browser.
  const waiting = new Set();
  const append = (chunk) => {
    output += chunk;
    for (const waiter of waiting) waiter();
  };
  /**
   * Resolves with the output once it matches `pattern`; rejects if the process exits first or
   * nothing matches within `deadlineMs` (a deadline for a clear failure, not a pause).
   */
  const waitForOutput = (pattern, deadlineMs = 20_000) =>
    new Promise((found, gone) => {
      const done = () => {
        waiting.delete(check);
        clearTimeout(deadline);
      };
      const check = () => {
        if (pattern.test(output)) {
          done();
          found(output);
        } else if (child.exitCode !== null || child.signalCode !== null) {
          done();
          gone(new Error(`${name} exited without printing ${pattern}:\n${output}`));
        }
      };
      const deadline = setTimeout(() => {
        done();
        gone(new Error(`${name} printed nothing matching ${pattern} in ${deadlineMs} ms:\n${output}`));
      }, deadlineMs);
      waiting.add(check);
      child.once('exit', check);
      check();
    });
  return new Promise((resolve, reject) => {
    const onData = (chunk) => {
      append(chunk);
      const match = output.match(ready);
      if (match) {
        child.stdout.off('data', onData);
        child.stdout.on('data', append);
        resolve({
          url: match[1],
          output: () => output,
          waitForOutput,
          stop: () =>
            new Promise((done) => {
              if (child.exitCode !== null) return done();
              child.once('exit', done);
              child.kill('SIGTERM');
            }),
        });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', append);
    child.once('exit', (code) => reject(new Error(`${name} exited (${code}) before it was ready:\n${output}`)));
  });
}

/** The demo as `cargo xtask demo` runs it: sandbox, demo identities, site and package. */
export function startDemo(env = {}) {
  const cdn = process.env.RD_CDN_DIR ? { DASHBOARD_CDN_DIR: process.env.RD_CDN_DIR } : {};
  return startProcess([], { DASHBOARD_SITE_DIR: SITE_DIR, DASHBOARD_PACKAGE_DIR: PACKAGE_DIR, ...cdn, ...env });
}

/** An HS256 JWT, as a host backend would mint it. */
export function mintToken(secret, claims) {
  const encode = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const body = `${encode({ alg: 'HS256', typ: 'JWT' })}.${encode(claims)}`;
  const signature = createHmac('sha256', secret).update(body).digest('base64url');
  return `${body}.${signature}`;
}

/** Collects console errors, page errors and CSP violations of a page. */
export function watchErrors(page) {
  const errors = [];
  page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`);
  });
  return errors;
}

/** Records every rd-* event the page sees (installed before any page script runs). */
export async function recordEvents(page) {
  await page.addInitScript(() => {
    window.__rdEvents = [];
    for (const type of ['rd-load', 'rd-copy', 'rd-share', 'rd-error']) {
      document.addEventListener(type, (event) => window.__rdEvents.push({ type, detail: event.detail }));
    }
  });
}

/** Waits for the `n`-th (1-based) recorded event of `type` and returns its detail. */
export async function nthEvent(page, type, n = 1) {
  const handle = await page.waitForFunction(
    ([type, n]) => window.__rdEvents.filter((e) => e.type === type)[n - 1]?.detail,
    [type, n],
  );
  return handle.jsonValue();
}

/** How many events of `type` were recorded so far. */
export function eventCount(page, type) {
  return page.evaluate((type) => window.__rdEvents.filter((e) => e.type === type).length, type);
}

/**
 * The byte length of every WebAssembly memory alive in `page`, found through the DevTools
 * protocol (`cdp`, a CDP session of the page): the package's one module exports nothing of
 * the wasm, and importing the glue separately would instantiate a second copy.
 */
export async function wasmMemories(cdp) {
  const { result: prototype } = await cdp.send('Runtime.evaluate', { expression: 'WebAssembly.Memory.prototype' });
  const { objects } = await cdp.send('Runtime.queryObjects', { prototypeObjectId: prototype.objectId });
  const { result } = await cdp.send('Runtime.callFunctionOn', {
    objectId: objects.objectId,
    functionDeclaration: 'function () { return this.map((memory) => memory.buffer.byteLength); }',
    returnByValue: true,
  });
  return result.value;
}
