// The two encodings a page receives the widget in, made once with the highest settings, as a
// CDN or the reference backend serves them: gzip -9 and brotli -11. benches/size.mjs measures
// with these functions, and `cargo xtask dist` runs this file to write each served file's
// `.gz` and `.br` beside it (the backend serves them precompressed when the browser accepts
// them; a CDN that compresses by itself ignores them).
//
//   node benches/compress.mjs <dir>...
// Writes `<file>.gz` and `<file>.br` for every file of each folder (recursively) whose type a
// browser fetches compressed (COMPRESSIBLE), when the encoding is smaller than the file.
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

/** gzip at level 9. */
export const gzip = (bytes) => gzipSync(bytes, { level: 9 });

/** brotli at quality 11 (its highest), told the input's size. */
export const brotli = (bytes) =>
  brotliCompressSync(bytes, {
    params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length },
  });

/**
 * The files worth sending compressed: text and wasm. Images and fonts are compressed already;
 * `.map` files are not fetched by pages.
 */
const COMPRESSIBLE = /\.(wasm|js|mjs|css|html|json|svg|txt|xml|d\.ts)$/;

/** Writes the `.gz` and `.br` of every compressible file under `dir`; returns how many. */
export async function precompress(dir) {
  let written = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !COMPRESSIBLE.test(entry.name)) continue;
    const path = join(entry.parentPath ?? entry.path, entry.name);
    const bytes = await readFile(path);
    for (const [extension, encode] of [['.gz', gzip], ['.br', brotli]]) {
      const encoded = encode(bytes);
      // A stale encoding of an earlier build must not outlive its file.
      if (encoded.length < bytes.length) {
        await writeFile(path + extension, encoded);
        written += 1;
      } else {
        await rm(path + extension, { force: true });
      }
    }
  }
  return written;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const dir of process.argv.slice(2)) {
    const written = await precompress(dir);
    console.error(`${dir}: ${written} precompressed files (.gz, .br)`);
  }
}
