// `cargo xtask dist` writes each served file's gzip and brotli encoding beside it, so the
// backend (and any server or CDN that can) sends them precompressed: every one is there, decodes
// to exactly its file (a stale encoding of an earlier build would be another file, and fail the
// wasm's integrity check), and is smaller than it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { PACKAGE_DIR } from './helpers.mjs';

const CDN_DIR = process.env.RD_CDN_DIR ?? 'target/dist/cdn';

for (const [name, dir] of [['npm package', PACKAGE_DIR], ['script-tag build', CDN_DIR]]) {
  test(`every file a page downloads from the ${name} has its .br and .gz beside it, decoding to it`, async () => {
    const files = (await readdir(dir)).filter((f) => /\.(wasm|js|json)$/.test(f));
    assert.ok(files.some((f) => f.endsWith('.wasm')) && files.some((f) => f.endsWith('.js')), `${dir} holds the wasm and the module`);
    for (const file of files) {
      const bytes = await readFile(join(dir, file));
      for (const [extension, decode] of [['.br', brotliDecompressSync], ['.gz', gunzipSync]]) {
        const encoded = await readFile(join(dir, file + extension));
        assert.ok(decode(encoded).equals(bytes), `${file}${extension} decodes to ${file}`);
        assert.ok(encoded.length < bytes.length, `${file}${extension} is smaller`);
      }
    }
  });
}
