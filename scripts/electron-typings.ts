// Puts Electron's own typings (electron.d.ts of the pinned version) where main/tsconfig.json reads them:
// node_modules/.cache/electron-typings/. Electron is an optional dependency: where its postinstall cannot
// download the binary (offline build machines, CI here), npm drops the whole package, typings included. The
// typings then come from the registry tarball itself (`npm pack` runs no install script), so main/ is always
// checked against the exact Electron it will run on.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pinnedElectronVersion, repoRoot as root } from './electron-version.ts';

const cacheDir = path.join(root, 'node_modules', '.cache', 'electron-typings');
const typingsFile = path.join(cacheDir, 'electron.d.ts');
const stampFile = path.join(cacheDir, 'version');

function installedElectronTypings(version: string): string | undefined {
  const dir = path.join(root, 'node_modules', 'electron');
  try {
    const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version: string };
    const file = path.join(dir, 'electron.d.ts');
    return pkg.version === version && fs.existsSync(file) ? file : undefined;
  } catch {
    return undefined;
  }
}

function typingsFromRegistry(version: string): string {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'f2f-electron-typings-'));
  try {
    const tarball = execFileSync(
      'npm',
      ['pack', `electron@${version}`, '--pack-destination', work, '--silent', '--ignore-scripts'],
      { cwd: work, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
    )
      .trim()
      .split('\n')
      .pop();
    if (!tarball) throw new Error('npm pack printed no file name');
    execFileSync('tar', ['-xzf', path.join(work, tarball), '-C', work, 'package/electron.d.ts']);
    const extracted = path.join(work, 'electron.d.ts');
    fs.renameSync(path.join(work, 'package', 'electron.d.ts'), extracted);
    return extracted;
  } catch (err) {
    fs.rmSync(work, { recursive: true, force: true });
    throw err;
  }
}

export function ensureElectronTypings(): { file: string; source: string } {
  const version = pinnedElectronVersion();
  if (fs.existsSync(typingsFile) && fs.readFileSync(stampFile, 'utf8').trim() === version) {
    return { file: typingsFile, source: 'cache' };
  }
  const installed = installedElectronTypings(version);
  const from = installed ?? typingsFromRegistry(version);
  fs.mkdirSync(cacheDir, { recursive: true });
  fs.copyFileSync(from, typingsFile);
  fs.writeFileSync(stampFile, `${version}\n`);
  if (!installed) fs.rmSync(path.dirname(from), { recursive: true, force: true });
  return {
    file: typingsFile,
    source: installed ? 'node_modules/electron' : `the registry (electron@${version})`,
  };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    const { source } = ensureElectronTypings();
    if (source !== 'cache') console.error(`electron typings: taken from ${source}`);
  } catch (err) {
    console.error(`electron typings: ${(err as Error).message}`);
    process.exit(1);
  }
}
