// Transfer size of the widget: every file a page downloads (the wasm and the JS module), raw,
// gzip -9 and brotli -11 (benches/compress.mjs, the encodings `cargo xtask dist` writes beside
// each file), and the total. The CSS ships inside the JS module (the loader adopts it as a
// constructable stylesheet); its minified size is reported on its own line for reference.
//
//   node benches/size.mjs <package-dir> [--budget KB] [--css file]
// With --budget, exits 1 when the gzip total exceeds it (the budget only goes down); the bar
// line gives both encodings, since most browsers and CDNs negotiate brotli.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { brotli, gzip } from './compress.mjs';

const args = process.argv.slice(2);
const dir = args[0] ?? 'target/dist/npm';
const option = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const budgetKb = option('--budget') === undefined ? undefined : Number(option('--budget'));
// The wasm and every JS module a page loads (one, bundled, since issue 16; three before). The
// React wrapper (`referrer-dashboard/react`, react.js) is loaded only by a page that imports it,
// and a language catalogue (`catalogue-<language>.json`) only by an element in that language
// (English is in the wasm): measured on their own lines, outside the total and the budget.
const OPTIONAL = ['react.js'];
const CATALOGUE = /^catalogue-[a-z]+\.js$/;
const FILES = ['referrer_dashboard_bg.wasm', ...(await readdir(dir)).filter((f) => f.endsWith('.js') && !OPTIONAL.includes(f) && !CATALOGUE.test(f)).sort()];

const measure = (bytes) => ({ raw: bytes.length, gzip: gzip(bytes).length, brotli: brotli(bytes).length });

const kb = (n) => (n / 1000).toFixed(1).padStart(7);
const rows = [];
for (const file of FILES) rows.push([file, measure(await readFile(join(dir, file)))]);
const total = rows.reduce((t, [, m]) => ({ raw: t.raw + m.raw, gzip: t.gzip + m.gzip, brotli: t.brotli + m.brotli }), {
  raw: 0,
  gzip: 0,
  brotli: 0,
});
console.log(`${'file'.padEnd(30)} ${'raw KB'.padStart(7)} ${'gzip KB'.padStart(7)} ${'br KB'.padStart(7)}`);
for (const [file, m] of rows) console.log(`${file.padEnd(30)} ${kb(m.raw)} ${kb(m.gzip)} ${kb(m.brotli)}`);
console.log(`${'total (what a page downloads)'.padEnd(30)} ${kb(total.raw)} ${kb(total.gzip)} ${kb(total.brotli)}`);
for (const file of OPTIONAL) {
  const bytes = await readFile(join(dir, file)).catch(() => null);
  if (bytes) console.log(`${`  ${file} (only if imported)`.padEnd(30)} ${kb(measure(bytes).raw)} ${kb(measure(bytes).gzip)} ${kb(measure(bytes).brotli)}`);
}
const catalogues = (await readdir(dir)).filter((f) => CATALOGUE.test(f)).sort();
if (catalogues.length) {
  const sizes = await Promise.all(catalogues.map(async (f) => measure(await readFile(join(dir, f)))));
  const largest = (key) => Math.max(...sizes.map((m) => m[key]));
  const label = `  a catalogue (largest of ${catalogues.length})`;
  console.log(`${label.padEnd(30)} ${kb(largest('raw'))} ${kb(largest('gzip'))} ${kb(largest('brotli'))}`);
}
const css = option('--css');
if (css) {
  const m = measure(await readFile(css));
  console.log(`${'  of which CSS (in the JS)'.padEnd(30)} ${kb(m.raw)} ${kb(m.gzip)} ${kb(m.brotli)}`);
}
console.log(JSON.stringify({ total, files: Object.fromEntries(rows) }));
if (budgetKb !== undefined) {
  const used = total.gzip / 1000;
  const br = `(brotli ${(total.brotli / 1000).toFixed(1)} KB)`;
  if (used > budgetKb) {
    console.error(`size budget exceeded: ${used.toFixed(2)} KB gzip > ${budgetKb} KB ${br}`);
    process.exit(1);
  }
  console.log(`size budget: ${used.toFixed(2)} KB gzip of ${budgetKb} KB ${br}`);
}
