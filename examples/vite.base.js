// Shared Vite settings of the framework examples: each builds into target/site/examples/<name>/
// and imports the package built by `cargo xtask dist` (target/dist/npm) as 'referrer-dashboard'.
import { fileURLToPath } from 'node:url';

const at = (path) => fileURLToPath(new URL(path, import.meta.url));

/** The Vite config of example `name`, with `plugins`. */
export function example(name, plugins = []) {
  return {
    root: at(`./${name}`),
    base: `/examples/${name}/`,
    plugins,
    resolve: { alias: { 'referrer-dashboard': at('../target/dist/npm/referrer-dashboard.js') } },
    esbuild: { jsx: 'automatic' },
    build: { outDir: at(`../target/site/examples/${name}`), emptyOutDir: true },
    logLevel: 'error',
  };
}
