// The one place the Electron version is read from: package.json pins it (exactly) as an optional dependency,
// because Electron's package is left out of node_modules wherever its binary cannot be downloaded.
// (electron-builder.config.mjs, plain JavaScript, reads the same field.)
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export function pinnedElectronVersion(): string {
  const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as {
    optionalDependencies?: Record<string, string>;
  };
  const version = pkg.optionalDependencies?.['electron'];
  if (!version || !/^\d+\.\d+\.\d+$/.test(version)) {
    throw new Error(
      `package.json must pin optionalDependencies.electron to an exact version (found ${version})`,
    );
  }
  return version;
}
