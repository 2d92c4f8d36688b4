// The README's "Browser support" says nothing the element uses is newer than Safari 16.4,
// Firefox 110 and Chrome/Edge 105. The three engines of the suite are all newer than that, so
// they cannot catch a feature that only an older listed browser lacks (light-dark() passed in
// all of them): this guard looks for the usual suspects in what ships, the loader's stylesheet,
// the widget's stylesheet and the bundled module (loader and wasm-bindgen glue). A guard against
// the likely, not a proof: a feature missing from the list below is not caught.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PACKAGE_DIR } from '../e2e/helpers.mjs';

const ROOT = new URL('../../', import.meta.url).pathname;

/** CSS newer than the floor, with the first versions that have it. */
const CSS = [
  [/light-dark\(/, 'light-dark() (Safari 17.5, Firefox 120, Chrome 123)'],
  [/color-mix\(/, 'color-mix() (Firefox 113, Chrome 111)'],
  [/:has\(/, ':has() (Firefox 121)'],
  [/&/, 'nesting (Safari 17.2, Firefox 117, Chrome 120)'],
  [/@scope\b/, '@scope (Safari 17.4, Chrome 118)'],
  [/@starting-style\b/, '@starting-style (Safari 17.5, Firefox 129, Chrome 117)'],
  [/@property\b/, '@property (Firefox 128)'],
  [/\d(r?lh)\b/, 'lh and rlh units (Firefox 120, Chrome 109)'],
  [/\b(round|mod|rem)\(/, 'round(), mod(), rem() (Firefox 118, Chrome 125)'],
  [/\banchor\(|position-anchor/, 'anchor positioning'],
  [/field-sizing|calc-size\(|interpolate-size/, 'field-sizing, calc-size() (Chrome only)'],
  [/text-wrap\s*:\s*(balance|pretty)/, 'text-wrap: balance (Safari 17.5, Firefox 121)'],
];

/** JavaScript newer than the floor, with the first versions that have it. */
const JS = [
  [/\bwithResolvers\b/, 'Promise.withResolvers (Safari 17.4, Firefox 121, Chrome 119)'],
  [/\b(Object|Map)\.groupBy\b/, 'Object.groupBy (Safari 17.4, Firefox 119, Chrome 117)'],
  [/\.(toSorted|toReversed|toSpliced)\(/, 'change-array-by-copy (Firefox 115, Chrome 110)'],
  [/\bArray\.fromAsync\b/, 'Array.fromAsync (Chrome 121)'],
  [/\bAbortSignal\.any\b/, 'AbortSignal.any (Safari 17.4, Firefox 124, Chrome 116)'],
  [/\bURL\.(canParse|parse)\b/, 'URL.canParse (Safari 17, Firefox 115, Chrome 120)'],
  [/\bisWellFormed\b|\btoWellFormed\b/, 'String.prototype.isWellFormed (Chrome 111)'],
  [/\bIntl\.(Segmenter|DurationFormat)\b/, 'Intl.Segmenter (Firefox 125)'],
  [/\brequestIdleCallback\b/, 'requestIdleCallback (no Safari)'],
  [/\bcheckVisibility\b/, 'Element.checkVisibility (Safari 17.4, Chrome 105)'],
  [/\b(showPopover|hidePopover|togglePopover)\b/, 'the Popover API (Safari 17, Firefox 125, Chrome 114)'],
  [/\b(setHTMLUnsafe|parseHTMLUnsafe)\b/, 'setHTMLUnsafe (Safari 17.4, Firefox 128, Chrome 124)'],
  [/\bimport\s*\([^)]*,\s*\{\s*with\b|\bwith\s*\{\s*type\s*:/, 'import attributes (Safari 17.2, Firefox 138)'],
  [/\.transfer\(|\.resize\(/, 'resizable ArrayBuffer (Safari 16.4, Firefox 122, Chrome 111)'],
];

/** `text` without comments, which may name anything. */
const uncommented = (text) => text.replace(/\/\*[\s\S]*?\*\//g, '');

/** The stylesheet the loader adopts: the string `STYLESHEET` of pkg-template/element.js. */
async function loaderCss() {
  const source = await readFile(join(ROOT, 'pkg-template/element.js'), 'utf8');
  const match = /^const STYLESHEET = (".*");$/m.exec(source);
  assert.ok(match, 'pkg-template/element.js defines STYLESHEET');
  return JSON.parse(match[1]);
}

/** The features of `list` that `text` uses. */
const used = (list, text) => list.filter(([pattern]) => pattern.test(text)).map(([, what]) => what);

test("the widget's stylesheet, as written and as the loader carries it, uses nothing newer than Safari 16.4, Firefox 110, Chrome 105", async () => {
  assert.deepEqual(used(CSS, await loaderCss()), [], "the loader's copy (pkg-template/element.js)");
  const widget = uncommented(await readFile(join(ROOT, 'src/styles/widget.css'), 'utf8'));
  assert.deepEqual(used(CSS, widget), [], "the widget's stylesheet (src/styles/widget.css)");
});

test('the bundled module uses nothing newer than Safari 16.4, Firefox 110, Chrome 105', async () => {
  const bundle = await readFile(join(PACKAGE_DIR, 'referrer-dashboard.js'), 'utf8');
  // What the bundle uses only behind a check is fine: wasm-bindgen adds `Symbol.dispose`
  // where the browser has it.
  assert.deepEqual(used(JS, bundle), [], 'target/dist/npm/referrer-dashboard.js');
});

test('the guard catches what it looks for', () => {
  assert.deepEqual(used(CSS, '.card{background:var(--x,light-dark(#fff,#000))}'), ['light-dark() (Safari 17.5, Firefox 120, Chrome 123)']);
  assert.deepEqual(used(JS, 'const { promise, resolve } = Promise.withResolvers();'), ['Promise.withResolvers (Safari 17.4, Firefox 121, Chrome 119)']);
});
