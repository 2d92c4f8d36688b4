// A host page whose inherited text styles would wreck the card, shared by the host-styles test
// and the screenshot step: the same page is asserted on and looked at.
import { addWidget, openWidget } from './harness.mjs';

/** Everything a careless host stylesheet lets elements inherit. */
export const HOSTILE = `
  body {
    font-family: Georgia, "Times New Roman", serif;
    text-align: center;
    text-transform: uppercase;
    line-height: 4;
    letter-spacing: 0.3em;
    word-spacing: 1em;
    white-space: pre;
    font-style: italic;
    font-weight: 700;
    font-variant: small-caps;
    text-indent: 3em;
    text-shadow: 2px 2px 0 red;
    word-break: break-all;
    cursor: wait;
    direction: rtl;
    stroke: red;
    fill-opacity: 0.2;
  }
  #aside { direction: ltr; }
`;

/**
 * Opens the harness page with `HOSTILE` as its stylesheet, some text of its own, and two
 * dashboards: English inside the right-to-left body (#main), Arabic inside a left-to-right
 * aside; resolves once both show their stats.
 */
export async function openHostilePage(browser, harness) {
  const { context, page } = await openWidget(browser, harness, { contextOptions: { viewport: { width: 900, height: 1300 } } });
  // The host's stylesheet, as a constructable sheet: the harness page runs under the strict CSP.
  await page.evaluate((css) => {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(css);
    document.adoptedStyleSheets = [sheet];
  }, HOSTILE);
  await page.evaluate(() => {
    for (const id of ['main', 'aside']) {
      const text = document.createElement('p');
      text.textContent = `The host page's own text, in #${id}.`;
      document.getElementById(id).append(text);
    }
  });
  await addWidget(page, { endpoint: '/session' }, '#main');
  await addWidget(page, { endpoint: '/session', locale: 'ar' }, '#aside');
  for (const parent of ['#main', '#aside']) {
    await page.locator(`${parent} referrer-dashboard [part="stat-value"]`).first().waitFor();
  }
  return { context, page };
}
