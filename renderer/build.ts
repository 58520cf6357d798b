// Builds the kiosk UI: one esbuild bundle of renderer/main.ts plus the static page and stylesheet.
// The lead's scripts/build.ts calls `buildRenderer('dist/renderer')`; tests build into a temp dir.
import { copyFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const rendererDir = path.dirname(fileURLToPath(import.meta.url));

export async function buildRenderer(outDir: string): Promise<void> {
  await mkdir(outDir, { recursive: true });
  await build({
    entryPoints: [path.join(rendererDir, 'main.ts')],
    outfile: path.join(outDir, 'app.js'),
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    minify: true,
    sourcemap: 'external',
    legalComments: 'none',
    logLevel: 'silent',
  });
  await Promise.all(
    ['index.html', 'styles.css'].map((file) =>
      copyFile(path.join(rendererDir, file), path.join(outDir, file)),
    ),
  );
}
