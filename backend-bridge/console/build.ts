// Builds the operator console into a directory the relay serves (default dist/console): one esbuild bundle
// of web/main.ts with uPlot inside (no CDN), the page, the stylesheets, and uPlot's stylesheet.
import { copyFile, mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const webDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'web');

export async function buildConsole(outDir: string): Promise<void> {
  await mkdir(outDir, { recursive: true });
  await build({
    entryPoints: [path.join(webDir, 'main.ts')],
    outfile: path.join(outDir, 'console.js'),
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    minify: true,
    legalComments: 'none',
    logLevel: 'silent',
  });
  const uplotCss = createRequire(import.meta.url).resolve('uplot/dist/uPlot.min.css');
  await Promise.all([
    ...['index.html', 'console.css', 'login.css'].map((file) =>
      copyFile(path.join(webDir, file), path.join(outDir, file)),
    ),
    copyFile(uplotCss, path.join(outDir, 'uplot.css')),
  ]);
}
