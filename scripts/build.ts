// Builds what cannot run from source: the renderer bundle (browser), and the Electron main process and
// preload (CommonJS bundles; npm packages stay external and load from node_modules, natives included).
// Everything else runs from TypeScript through tsx.
import { build } from 'esbuild';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildConsole } from '../backend-bridge/console/build.ts';
import { buildRenderer } from '../renderer/build.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');

await buildRenderer(path.join(dist, 'renderer'));
await buildConsole(path.join(dist, 'console'));
await build({
  entryPoints: { main: path.join(root, 'main', 'main.ts') },
  outdir: path.join(dist, 'main'),
  outExtension: { '.js': '.cjs' },
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  packages: 'external',
  sourcemap: true,
  logLevel: 'warning',
});
await build({
  entryPoints: { preload: path.join(root, 'main', 'preload.ts') },
  outdir: path.join(dist, 'main'),
  outExtension: { '.js': '.cjs' },
  bundle: true,
  // Sandboxed preloads may require only 'electron' (and a few Node built-ins): bundle everything else.
  platform: 'node',
  target: 'chrome120',
  format: 'cjs',
  external: ['electron'],
  logLevel: 'warning',
});
console.error(`built ${path.relative(root, dist)}/{renderer,console,main}`);
