// `npm run package`: builds the app, then packages it with electron-builder (`--linux dir`) against a local,
// already-unpacked Electron distribution, because the Electron zip cannot be downloaded here
// (research/electron.md §0.2, §3.4). Where that distribution comes from, first match wins:
//   --electron-dist DIR | F2F_ELECTRON_DIST=DIR | node_modules/electron/dist (when electron's postinstall
//   downloaded the binary) | --fake-electron (a generated stand-in, only good for checking the package layout).
// Prints one JSON line {"appDir":...} on stdout when done; electron-builder's own output goes to stderr.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const HELP = `package — build f2f-kiosk and package it for Linux (electron-builder "dir" target)

Usage:
  npm run package -- [--electron-dist DIR | --fake-electron] [--out DIR] [--no-build] [--deb]

Options:
  --electron-dist DIR  an unpacked Electron for this version and arch (default: $F2F_ELECTRON_DIST, else
                       node_modules/electron/dist when the electron package downloaded its binary)
  --fake-electron      package against a generated fake Electron (a shell script): checks the package layout
                       offline; the result does not run
  --out DIR            electron-builder's output folder (default: release/)
  --no-build           package the existing dist/ instead of running npm run build first
  --deb                also build the .deb (needs fpm, downloaded by electron-builder unless USE_SYSTEM_FPM=true)
  -h, --help           this text

Then run the release gate: npm run package:check -- <out>/linux-unpacked`;

class UsageError extends Error {}

interface Options {
  electronDist: string | undefined;
  fakeElectron: boolean;
  out: string;
  build: boolean;
  deb: boolean;
}

function parseArgs(argv: string[]): Options | 'help' {
  const options: Options = {
    electronDist: undefined,
    fakeElectron: false,
    out: path.join(root, 'release'),
    build: true,
    deb: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = (): string => {
      const next = argv[++i];
      if (!next) throw new UsageError(`${arg} needs a value`);
      return next;
    };
    if (arg === '-h' || arg === '--help') return 'help';
    else if (arg === '--fake-electron') options.fakeElectron = true;
    else if (arg === '--no-build') options.build = false;
    else if (arg === '--deb') options.deb = true;
    else if (arg === '--electron-dist') options.electronDist = path.resolve(value());
    else if (arg === '--out') options.out = path.resolve(value());
    else throw new UsageError(`unknown argument ${arg} (see --help)`);
  }
  if (options.fakeElectron && options.electronDist) {
    throw new UsageError('--fake-electron and --electron-dist exclude each other');
  }
  return options;
}

function isElf(file: string): boolean {
  try {
    const fd = fs.openSync(file, 'r');
    const magic = Buffer.alloc(4);
    fs.readSync(fd, magic, 0, 4, 0);
    fs.closeSync(fd);
    return magic.equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46]));
  } catch {
    return false;
  }
}

/**
 * The smallest tree electron-builder accepts as "a custom already-unpacked Electron distribution": it copies it,
 * renames `electron` to the executable name and adds resources/app.asar. Nothing in it can run the app.
 */
function makeFakeElectronDist(dir: string): void {
  fs.mkdirSync(path.join(dir, 'resources'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'locales'), { recursive: true });
  fs.writeFileSync(
    path.join(dir, 'electron'),
    '#!/bin/sh\necho "fake Electron (package layout check only): this build cannot run" >&2\nexit 1\n',
    { mode: 0o755 },
  );
  fs.writeFileSync(path.join(dir, 'locales', 'en-US.pak'), '');
  fs.writeFileSync(path.join(dir, 'chrome-sandbox'), '', { mode: 0o755 });
}

/** Resolves the Electron distribution, or explains how to get one. Returns a cleanup for generated ones. */
function resolveElectronDist(options: Options): { dir: string; fake: boolean; cleanup: () => void } {
  if (options.fakeElectron) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'f2f-fake-electron-'));
    makeFakeElectronDist(dir);
    return { dir, fake: true, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
  }
  const fromEnv = process.env['F2F_ELECTRON_DIST'];
  const installed = path.join(root, 'node_modules', 'electron', 'dist');
  const dir =
    options.electronDist ??
    (fromEnv ? path.resolve(fromEnv) : isElf(path.join(installed, 'electron')) ? installed : undefined);
  if (!dir) {
    throw new UsageError(
      'no Electron distribution to package against: the Electron binary was not downloaded ' +
        '(ELECTRON_SKIP_BINARY_DOWNLOAD or no network). Set F2F_ELECTRON_DIST=/path/to/unpacked ' +
        'electron-v<version>-linux-<arch> (or --electron-dist DIR), or pass --fake-electron to check the ' +
        'package layout only (docs/packaging.md).',
    );
  }
  if (!fs.existsSync(path.join(dir, 'electron'))) {
    throw new UsageError(`${dir} is not an unpacked Electron distribution: it has no 'electron' executable`);
  }
  return { dir, fake: !isElf(path.join(dir, 'electron')), cleanup: () => {} };
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv): void {
  // Child output goes to stderr: this program's stdout carries only its final JSON line.
  const result = spawnSync(command, args, { cwd: root, env, stdio: ['ignore', process.stderr, 'inherit'] });
  if (result.status !== 0) {
    throw new Error(
      `${path.basename(command)} ${args.join(' ')} failed (exit ${result.status ?? result.signal})`,
    );
  }
}

function main(argv: string[]): void {
  const options = parseArgs(argv);
  if (options === 'help') {
    console.log(HELP);
    return;
  }
  const dist = resolveElectronDist(options);
  try {
    if (options.build)
      run(process.execPath, ['--import', 'tsx', path.join(root, 'scripts', 'build.ts')], process.env);
    const builder = path.join(root, 'node_modules', 'electron-builder', 'cli.js');
    run(
      process.execPath,
      [
        builder,
        '--config',
        'electron-builder.config.mjs',
        '--linux',
        ...(options.deb ? ['dir', 'deb'] : ['dir']),
        `-c.directories.output=${options.out}`,
        '--publish',
        'never',
      ],
      // The config reads these: it sets electronDist, and turns fuses off for a fake (non-ELF) Electron.
      { ...process.env, F2F_ELECTRON_DIST: dist.dir, ...(dist.fake ? { F2F_ELECTRON_FUSES: 'off' } : {}) },
    );
  } finally {
    dist.cleanup();
  }
  const appDir = fs
    .readdirSync(options.out)
    .filter((name) => name.endsWith('-unpacked'))
    .map((name) => path.join(options.out, name))[0];
  if (!appDir) throw new Error(`electron-builder produced no *-unpacked folder in ${options.out}`);
  if (dist.fake) {
    console.error('packaged against a FAKE Electron: the layout can be checked, the app cannot run.');
  }
  console.log(JSON.stringify({ appDir, fakeElectron: dist.fake }));
}

try {
  main(process.argv.slice(2));
} catch (err) {
  console.error(`package: ${(err as Error).message}`);
  process.exitCode = err instanceof UsageError ? 2 : 1;
}
