// A host page whose inherited text styles would wreck the card (centred, uppercase, spaced out,
// `white-space: pre`, italic, bold, the other writing direction): inside the shadow root the
// computed styles are the widget's, the typeface still follows the page, and each card's
// direction follows its own locale. (Vite's template has `#root { text-align: center }`, which
// once centred the referral names.) `cargo xtask screenshots` takes a picture of this page.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { launch } from './helpers.mjs';
import { startHarness } from './harness.mjs';
import { openHostilePage } from './hostile.mjs';

/**
 * How many pixels of two same-sized PNGs differ by more than noise (16 levels in a channel),
 * counted in a blank page (the test page's CSP would refuse the data: URLs).
 */
async function changedPixels(a, b) {
  const page = await browser.newPage();
  const changed = await page.evaluate(async ([a, b]) => {
    const pixels = async (base64) => {
      const image = await createImageBitmap(await (await fetch(`data:image/png;base64,${base64}`)).blob());
      const canvas = new OffscreenCanvas(image.width, image.height);
      const context = canvas.getContext('2d');
      context.drawImage(image, 0, 0);
      return context.getImageData(0, 0, image.width, image.height).data;
    };
    const [x, y] = [await pixels(a), await pixels(b)];
    if (x.length !== y.length) return Infinity;
    let changed = 0;
    for (let i = 0; i < x.length; i += 4) {
      if (Math.max(Math.abs(x[i] - y[i]), Math.abs(x[i + 1] - y[i + 1]), Math.abs(x[i + 2] - y[i + 2])) > 16) changed += 1;
    }
    return changed;
  }, [a.toString('base64'), b.toString('base64')]);
  await page.close();
  return changed;
}

let browser;
before(async () => {
  browser = await launch();
});
after(() => browser.close());

test('a hostile host stylesheet does not reach into the card; direction follows each locale', async (t) => {
  const harness = await startHarness();
  t.after(() => harness.close());
  const { context, page } = await openHostilePage(browser, harness);
  t.after(() => context.close());

  const styles = await page.evaluate(() => {
    const PROPERTIES = [
      'text-align', 'text-transform', 'line-height', 'font-size', 'letter-spacing', 'word-spacing',
      'white-space', 'font-style', 'font-weight', 'font-variant-caps', 'text-indent',
      'text-shadow', 'word-break', 'cursor', 'direction', 'font-family',
    ];
    const read = (element) => {
      const computed = getComputedStyle(element);
      return Object.fromEntries(PROPERTIES.map((p) => [p, computed.getPropertyValue(p)]));
    };
    /** Where a text sits in its box: the distance of its first glyphs from the box's start edge. */
    const inset = (element) => {
      const rtl = getComputedStyle(element).direction === 'rtl';
      const range = document.createRange();
      range.selectNodeContents(element);
      const text = range.getClientRects()[0];
      const box = element.getBoundingClientRect();
      return Math.round(rtl ? box.right - text.right : text.left - box.left);
    };
    return [...document.querySelectorAll('referrer-dashboard')].map((host) => {
      const root = host.shadowRoot;
      const card = root.querySelector('[part="card"]');
      const name = root.querySelector('[part="referral"] .name');
      return {
        host: host.parentElement.id,
        card: read(card),
        heading: read(root.querySelector('.heading')),
        name: read(name),
        label: read(root.querySelector('[part="stat-label"]')),
        nameInset: inset(name),
        headingInset: inset(root.querySelector('.heading')),
        qrStroke: getComputedStyle(root.querySelector('[part="qr"] path')).stroke,
        qrFillOpacity: getComputedStyle(root.querySelector('[part="qr"] path')).fillOpacity,
        pageFont: getComputedStyle(document.body).fontFamily,
      };
    });
  });

  for (const { host, card, heading, name, label, nameInset, headingInset, qrStroke, qrFillOpacity, pageFont } of styles) {
    const direction = host === 'aside' ? 'rtl' : 'ltr';
    for (const [what, style] of Object.entries({ card, heading, name, label })) {
      const at = `${host} ${what}`;
      assert.equal(style['text-align'], 'start', `${at}: text-align`);
      assert.equal(style['text-transform'], 'none', `${at}: text-transform`);
      assert.equal(style['letter-spacing'], 'normal', `${at}: letter-spacing`);
      assert.equal(style['word-spacing'], '0px', `${at}: word-spacing`);
      assert.equal(style['white-space'], 'normal', `${at}: white-space`);
      assert.equal(style['font-style'], 'normal', `${at}: font-style`);
      assert.equal(style['font-variant-caps'], 'normal', `${at}: font-variant-caps`);
      assert.equal(style['text-indent'], '0px', `${at}: text-indent`);
      assert.equal(style['text-shadow'], 'none', `${at}: text-shadow`);
      assert.equal(style['word-break'], 'normal', `${at}: word-break`);
      assert.equal(style.cursor, 'auto', `${at}: cursor`);
      // A referral's name runs in its own script's direction (dir="auto"): Latin here.
      const expected = what === 'name' ? 'ltr' : direction;
      assert.equal(style.direction, expected, `${at}: direction follows the locale (or the name), not the host`);
      assert.equal(style['font-family'], pageFont, `${at}: the typeface still follows the page`);
    }
    assert.equal(card['font-weight'], '400', `${host}: font-weight`);
    assert.equal(parseFloat(card['line-height']), 1.5 * parseFloat(card['font-size']), `${host}: line-height is the card's 1.5`);
    assert.ok(nameInset <= 1, `${host}: a referral's name starts at its box's start edge (inset ${nameInset}px)`);
    assert.ok(headingInset <= 1, `${host}: the list heading starts at its start edge (inset ${headingInset}px)`);
    assert.equal(qrStroke, 'none', `${host}: the QR code's modules get no stroke`);
    assert.equal(qrFillOpacity, '1', `${host}: the QR code's modules stay opaque`);
  }

  // text-decoration is not inherited but drawn through in-flow descendants: a card looks the
  // same with and without the host's red wavy underline (up to anti-aliasing noise of a few
  // levels at rounded corners when the page repaints).
  const card = page.locator('#main referrer-dashboard [part="card"]');
  const hostText = page.locator('#main > p');
  const [cardBefore, textBefore] = [await card.screenshot({ animations: 'disabled' }), await hostText.screenshot()];
  await page.evaluate(() => {
    const underline = new CSSStyleSheet();
    underline.replaceSync('body { text-decoration: underline wavy red 3px; }');
    document.adoptedStyleSheets = [...document.adoptedStyleSheets, underline];
  });
  const [cardAfter, textAfter] = [await card.screenshot({ animations: 'disabled' }), await hostText.screenshot()];
  assert.ok((await changedPixels(textBefore, textAfter)) > 50, "the host's own text is underlined");
  assert.equal(await changedPixels(cardBefore, cardAfter), 0, 'the host underline does not reach the card');
});
