// One thin adapter per browser engine, so one list of checks runs against all three:
//   chromium  Debian's Chromium through playwright-core (as the end-to-end suite)
//   firefox   Debian's Firefox ESR through puppeteer-core over WebDriver BiDi
//   webkit    Debian's WebKitGTK MiniBrowser through WebKitWebDriver (selenium-webdriver),
//             on a virtual X display (xvfb-run): WebKitGTK has no headless mode
//
// Every adapter has the same surface, each method taking a function that runs in the page with
// one JSON argument and returns JSON (a DOM node comes back differently from each driver):
//   open(url)                  navigate the engine's one tab (each check uses URLs of its own,
//                              so nothing one check loaded is in the cache for the next)
//   evaluate(fn, arg)          run fn in the page, await its promise, return its JSON value
//   waitFor(fn, arg, what)     until fn returns a truthy value (polled), return that value
//   click(selector)            a real pointer click on the first match of `selector` inside the
//                              shadow root of the first <referrer-dashboard>
//   paste(selector)            focus `selector` in the page and press Ctrl+V
//   console()                  the engine's own console errors and warnings so far, or null
//                              where its driver cannot read them (WebKitWebDriver: see
//                              webkitConsole below for how WebKit's words are read instead)
//   close()
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import puppeteer from 'puppeteer-core';
import { Builder, Key } from 'selenium-webdriver';
import { CHROMIUM_ARGS } from '../e2e/helpers.mjs';

/** The engines, in the order a run takes them. */
export const ENGINES = ['chromium', 'firefox', 'webkit'];

/** Where Debian puts each engine's binaries (xtask installs the packages when missing). */
export const BINARIES = {
  chromium: '/usr/bin/chromium',
  firefox: '/usr/bin/firefox-esr',
  webkitDriver: '/usr/bin/WebKitWebDriver',
  // In Debian's multiarch folder (x86_64-linux-gnu, aarch64-linux-gnu), as xtask checks it.
  miniBrowser: `/usr/lib/${{ x64: 'x86_64', arm64: 'aarch64' }[process.arch] ?? process.arch}-linux-gnu/webkit2gtk-4.1/MiniBrowser`,
  xvfbRun: '/usr/bin/xvfb-run',
};

/** How long a condition may take to hold: a wasm compile in a loaded CI machine's debug run. */
const WAIT_MS = 20_000;
/** How often a polled wait asks the page again (each ask is a round trip to the driver). */
const POLL_MS = 50;
/** The window every engine gets, so layout-dependent checks (lazy loading) see one viewport. */
const VIEWPORT = { width: 1024, height: 768 };

/**
 * Asks `ask()` until it gives a truthy value and returns that, POLL_MS apart, failing after
 * WAIT_MS with `what` (or what `what()` says then). For the drivers without a wait of their own that works on every page:
 * Puppeteer's waitForFunction compiles its predicate with `Function()` in the page, which the
 * strict CSP of SPEC §4 refuses in Firefox.
 */
async function poll(engine, ask, what) {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const value = await ask();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`${engine}: timed out waiting for ${typeof what === 'function' ? what() : what}`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** Starts `name` and returns its adapter. */
export function launch(name) {
  switch (name) {
    case 'chromium':
      return launchChromium();
    case 'firefox':
      return launchFirefox();
    case 'webkit':
      return launchWebKit();
    default:
      throw new Error(`unknown engine ${name}`);
  }
}

/** The selector's element in the first <referrer-dashboard>'s shadow root. */
const inShadow = (selector) => `referrer-dashboard >>> ${selector}`;

/** Console messages worth failing a check for: errors and warnings, with their text. */
function consoleRecorder() {
  const messages = [];
  return {
    messages,
    push: (type, text) => {
      if (type === 'error' || type === 'warn' || type === 'warning') messages.push(`${type}: ${text}`);
    },
  };
}

async function launchChromium() {
  const browser = await chromium.launch({ executablePath: BINARIES.chromium, args: CHROMIUM_ARGS });
  const context = await browser.newContext({ viewport: VIEWPORT, permissions: ['clipboard-read', 'clipboard-write'] });
  const page = await context.newPage();
  const log = consoleRecorder();
  page.on('console', (message) => log.push(message.type(), message.text()));
  page.on('pageerror', (error) => log.push('error', `uncaught ${error.message}`));
  return {
    name: 'chromium',
    version: browser.version(),
    open: async (url) => {
      await page.goto(url);
    },
    evaluate: (fn, arg) => page.evaluate(fn, arg),
    waitFor: async (fn, arg, what) => {
      const handle = await page.waitForFunction(fn, arg, { timeout: WAIT_MS }).catch((error) => {
        throw new Error(`chromium: timed out waiting for ${what}: ${error.message}`);
      });
      return handle.jsonValue();
    },
    click: (selector) => page.locator(`referrer-dashboard ${selector}`).first().click(),
    paste: async (selector) => {
      await page.focus(selector);
      await page.keyboard.press('Control+V');
    },
    console: () => [...log.messages],
    close: () => browser.close(),
  };
}

async function launchFirefox() {
  const browser = await puppeteer.launch({
    browser: 'firefox',
    protocol: 'webDriverBiDi',
    executablePath: BINARIES.firefox,
    headless: true,
    defaultViewport: VIEWPORT,
  });
  const page = (await browser.pages())[0] ?? (await browser.newPage());
  const log = consoleRecorder();
  page.on('console', (message) => log.push(message.type(), message.text()));
  page.on('pageerror', (error) => log.push('error', `uncaught ${error.message}`));
  return {
    name: 'firefox',
    version: await browser.version(),
    open: async (url) => {
      await page.goto(url);
    },
    evaluate: (fn, arg) => page.evaluate(fn, arg),
    waitFor: (fn, arg, what) => poll('firefox', () => page.evaluate(fn, arg), what),
    click: async (selector) => {
      const element = await page.waitForSelector(inShadow(selector), { timeout: WAIT_MS });
      await element.click();
    },
    paste: async (selector) => {
      await page.focus(selector);
      await page.keyboard.down('Control');
      await page.keyboard.press('v');
      await page.keyboard.up('Control');
    },
    console: () => [...log.messages],
    close: () => browser.close(),
  };
}

/** A TCP port free on loopback right now (for WebKitWebDriver, which takes one on its command line). */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Resolves once the WebDriver server at `url` answers `/status` as ready; rejects if `driver` exits. */
async function driverReady(url, driver, output) {
  const exited = new Promise((_, reject) =>
    driver.once('exit', (code) => reject(new Error(`WebKitWebDriver exited (${code}) before it was ready:\n${output()}`))),
  );
  const poll = (async () => {
    for (;;) {
      try {
        const status = await (await fetch(`${url}/status`)).json();
        if (status.value?.ready) return;
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  })();
  return Promise.race([poll, exited]);
}

async function launchWebKit() {
  const port = await freePort();
  // xvfb-run gives the driver (and the MiniBrowser it starts) a display of their own; its own
  // process group, so closing ends Xvfb, the driver and the browser together.
  const driverProcess = spawn(
    BINARIES.xvfbRun,
    ['--auto-servernum', '--server-args=-screen 0 1280x1024x24', BINARIES.webkitDriver, `--port=${port}`],
    { detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  driverProcess.stdout.on('data', (chunk) => (output += chunk));
  driverProcess.stderr.on('data', (chunk) => (output += chunk));
  const url = `http://127.0.0.1:${port}`;
  const stop = () => {
    try {
      process.kill(-driverProcess.pid, 'SIGTERM');
    } catch {
      // already gone
    }
  };
  let driver;
  try {
    await driverReady(url, driverProcess, () => output);
    driver = await new Builder()
      .usingServer(url)
      .withCapabilities({
        browserName: 'MiniBrowser',
        'webkitgtk:browserOptions': { binary: BINARIES.miniBrowser, args: ['--automation'] },
      })
      .build();
    await driver.manage().window().setRect(VIEWPORT);
  } catch (error) {
    stop();
    throw error;
  }
  const capabilities = await driver.getCapabilities();
  const shadowElement = (selector) =>
    driver.executeScript(
      (selector) => document.querySelector('referrer-dashboard').shadowRoot.querySelector(selector),
      selector,
    );
  return {
    name: 'webkit',
    version: `WebKitGTK ${capabilities.get('browserVersion')}`,
    open: (url) => driver.get(url),
    evaluate: (fn, arg) => driver.executeScript(fn, arg),
    waitFor: (fn, arg, what) => poll('webkit', () => driver.executeScript(fn, arg), what),
    click: async (selector) => {
      const element = await poll('webkit', () => shadowElement(selector), `${selector} to click`);
      await element.click();
    },
    paste: async (selector) => {
      await driver.executeScript((selector) => document.querySelector(selector).focus(), selector);
      await driver.actions().keyDown(Key.CONTROL).sendKeys('v').keyUp(Key.CONTROL).perform();
    },
    console: () => null,
    close: async () => {
      await driver.quit().catch(() => {});
      stop();
    },
  };
}

/**
 * WebKit's own console for one load of `url`, which WebKitWebDriver cannot read: MiniBrowser
 * started without automation writes every console message to stdout (the WebKitGTK setting
 * `enable-write-console-messages-to-stdout`, which it ignores in automation mode), with a
 * profile of its own, on a display of its own. Resolves with the `CONSOLE …` lines once `enough(lines)`
 * holds, then closes the browser.
 */
export async function webkitConsole(url, enough, what) {
  // Its cache and storage in a folder of its own (`--private` would silence the console too).
  const profile = await mkdtemp(join(tmpdir(), 'rd-minibrowser-'));
  const browser = spawn(
    BINARIES.xvfbRun,
    ['--auto-servernum', BINARIES.miniBrowser, '--enable-write-console-messages-to-stdout=true', url],
    {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, XDG_CACHE_HOME: join(profile, 'cache'), XDG_DATA_HOME: join(profile, 'data'), XDG_CONFIG_HOME: join(profile, 'config') },
    },
  );
  let output = '';
  browser.stdout.on('data', (chunk) => (output += chunk));
  browser.stderr.on('data', (chunk) => (output += chunk));
  const lines = () => output.split('\n').filter((line) => line.includes('CONSOLE '));
  try {
    return await poll('webkit', () => enough(lines()) && lines(), () => `${what} (MiniBrowser said: ${output || 'nothing'})`);
  } finally {
    const exited = new Promise((resolve) => (browser.exitCode !== null ? resolve() : browser.once('exit', resolve)));
    try {
      process.kill(-browser.pid, 'SIGTERM');
    } catch {
      // already gone
    }
    await exited;
    await rm(profile, { recursive: true, force: true });
  }
}
