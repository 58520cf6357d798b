// Builds the renderer bundle (browser), the Electron main process and preload (CommonJS bundles), and the
// four programs of bin/ (ESM bundles in dist/cli, which the launchers run under plain node: loading the
// TypeScript through tsx took about a second of the agent's start). npm packages stay external and load
// from node_modules, natives (better-sqlite3, serialport's bindings) included.
import { build } from 'esbuild';
import fs from 'node:fs';
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
const programs = ['kiosk-agent', 'notify-relay', 'alipay-sim', 'vmc-sim'];
const cli = await build({
  entryPoints: Object.fromEntries(programs.map((p) => [p, path.join(root, 'cli', `${p}.ts`)])),
  outdir: path.join(dist, 'cli'),
  outExtension: { '.js': '.mjs' },
  bundle: true,
  // Code shared by the programs, and what they import lazily (the agent's demo profile), goes in chunks:
  // a production start of the agent never loads the simulators or the relay's web framework.
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  platform: 'node',
  target: 'node20',
  format: 'esm',
  packages: 'external',
  sourcemap: true,
  metafile: true,
  logLevel: 'warning',
});
// The sources the bundles were made from: bin/launch.js runs TypeScript instead when one changed since.
const sources = Object.keys(cli.metafile.inputs).map((file) =>
  path.relative(root, path.resolve(process.cwd(), file)),
);
fs.writeFileSync(path.join(dist, 'cli', 'sources.json'), JSON.stringify(sources));
console.error(`built ${path.relative(root, dist)}/{renderer,console,main,cli}`);
