// Packages the app the way an offline machine can (a fake unpacked Electron, research/electron.md §3.4) and
// checks what an operator would find on the kiosk: the executable, what app.asar ships, where the native
// binaries are, and that the release gate blocks the Node-ABI better-sqlite3 build.
import { listPackage } from '@electron/asar';
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../helpers/temp-dir.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const projectPkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
};

function runScript(
  script: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'scripts', script), ...args], {
    cwd: root,
    env,
    encoding: 'utf8',
    timeout: 120_000,
  });
}

describe('offline package (fake Electron)', () => {
  let appDir = '';
  let asarFile = '';
  let entries: string[] = [];

  before(() => {
    const out = tempDir('f2f-package-');
    // `npm test` builds dist/ first; a lone run of this file builds it when missing.
    const built = fs.existsSync(path.join(root, 'dist', 'main', 'main.cjs'));
    const result = runScript('package.ts', [
      '--fake-electron',
      '--out',
      out,
      ...(built ? ['--no-build'] : []),
    ]);
    assert.equal(result.status, 0, `package failed:\n${result.stderr}`);
    const report = JSON.parse(result.stdout.trim()) as { appDir: string; fakeElectron: boolean };
    assert.equal(report.fakeElectron, true);
    appDir = report.appDir;
    asarFile = path.join(appDir, 'resources', 'app.asar');
    entries = listPackage(asarFile, { isPack: false }).map((e) => e.replace(/^[/\\]+/, ''));
  });

  it('is launched by an executable named f2f-kiosk', () => {
    const exe = path.join(appDir, 'f2f-kiosk');
    assert.ok(fs.statSync(exe).mode & 0o111, 'f2f-kiosk is executable');
    assert.equal(fs.existsSync(path.join(appDir, 'electron')), false, 'electron was renamed');
    assert.ok(fs.existsSync(path.join(appDir, 'chrome-sandbox')));
  });

  it('ships the built app and every production dependency in app.asar', () => {
    for (const file of [
      'dist/main/main.cjs',
      'dist/main/preload.cjs',
      'dist/renderer/index.html',
      'dist/renderer/app.js',
      'package.json',
    ]) {
      assert.ok(entries.includes(file), `app.asar has ${file}`);
    }
    // tsx only lets bin/ run TypeScript from a checkout: the packaged app runs the bundle and leaves it out.
    const deps = Object.keys(projectPkg.dependencies).filter((dep) => dep !== 'tsx');
    assert.ok(deps.includes('better-sqlite3') && deps.includes('serialport'));
    for (const dep of deps)
      assert.ok(entries.includes(`node_modules/${dep}/package.json`), `app.asar has ${dep}`);
    assert.equal(
      entries.some((e) => e.startsWith('node_modules/tsx/') || e.includes('/esbuild/')),
      false,
      'no TypeScript runner or esbuild binary in the package',
    );
  });

  it('ships no sources, tests, simulators, source maps or devDependencies', () => {
    for (const dir of ['app/', 'main/', 'renderer/', 'sim/', 'test/', 'demo/', 'cli/', 'scripts/']) {
      assert.deepEqual(
        entries.filter((e) => e.startsWith(dir)),
        [],
        `nothing under ${dir}`,
      );
    }
    for (const dev of [
      'playwright-core',
      'alipay-sdk',
      'electron-builder',
      'electron',
      'typescript',
      'eslint',
    ]) {
      assert.equal(entries.includes(`node_modules/${dev}/package.json`), false, `no ${dev}`);
    }
    assert.deepEqual(
      entries.filter((e) => e.endsWith('.map')),
      [],
    );
    assert.deepEqual(
      entries.filter((e) => e.startsWith('node_modules/better-sqlite3/deps/')),
      [],
    );
  });

  it('keeps every native .node outside the archive, for this platform only', () => {
    const natives = entries.filter((e) => e.endsWith('.node'));
    assert.ok(natives.includes('node_modules/better-sqlite3/build/Release/better_sqlite3.node'));
    assert.ok(natives.some((e) => e.includes('bindings-cpp/prebuilds/linux-x64/')));
    for (const native of natives) {
      assert.ok(
        fs.existsSync(path.join(`${asarFile}.unpacked`, native)),
        `${native} is in app.asar.unpacked`,
      );
    }
    assert.deepEqual(
      natives.filter((e) => /musl|win32|darwin|android|test_extension/.test(e)),
      [],
    );
  });

  it('carries the systemd units and the udev rule in resources/packaging', () => {
    const dir = path.join(appDir, 'resources', 'packaging');
    assert.deepEqual(fs.readdirSync(dir).sort(), [
      '99-f2f-kiosk-serial.rules',
      'f2f-kiosk-browser.service',
      'f2f-kiosk.service',
    ]);
    assert.match(fs.readFileSync(path.join(dir, 'f2f-kiosk.service'), 'utf8'), /^Restart=always$/m);
  });

  it('release gate: passes serialport (Node-API) and blocks better-sqlite3 built for Node', () => {
    const gate = runScript('check-package.ts', [appDir]);
    assert.equal(gate.status, 1, gate.stdout + gate.stderr);
    const lines = gate.stdout.split('\n');
    const serialOk = lines.filter((l) => /^\s+ok\s+@serialport\/bindings-cpp: .*Node-API/.test(l));
    assert.ok(serialOk.length >= 1, gate.stdout);
    const failures = lines.filter((l) => /^\s+FAIL\s/.test(l));
    assert.equal(failures.length, 1, gate.stdout);
    assert.match(failures[0] ?? '', /better-sqlite3: .*better_sqlite3\.node is built for Node 20's ABI 115/);
    assert.match(failures[0] ?? '', /Electron 38\.8\.6 needs ABI 139/);
    assert.match(failures[0] ?? '', /@electron\/rebuild -f -w better-sqlite3/);
    assert.match(gate.stdout, /RELEASE BLOCKED: 1 of \d+ checks failed/);
  });

  it('release gate: passes once every native binary loads in Electron', () => {
    // Stand-in for a release build: better-sqlite3's binary swapped for a Node-API one (the only ABI-neutral
    // binary at hand), in a copy so the other tests keep the real package.
    const copy = path.join(tempDir('f2f-package-ok-'), 'linux-unpacked');
    fs.cpSync(appDir, copy, { recursive: true });
    const unpacked = path.join(copy, 'resources', 'app.asar.unpacked', 'node_modules');
    fs.copyFileSync(
      path.join(unpacked, '@serialport/bindings-cpp/prebuilds/linux-x64/@serialport+bindings-cpp.glibc.node'),
      path.join(unpacked, 'better-sqlite3/build/Release/better_sqlite3.node'),
    );
    const gate = runScript('check-package.ts', [path.dirname(copy)]);
    assert.equal(gate.status, 0, gate.stdout + gate.stderr);
    assert.match(gate.stdout, /release gate passed/);
  });

  it('release gate: refuses a folder that is not a package', () => {
    const gate = runScript('check-package.ts', [tempDir('f2f-not-a-package-')]);
    assert.equal(gate.status, 2);
    assert.match(gate.stderr, /no resources\/app\.asar/);
  });
});

describe('package without an Electron distribution', () => {
  it('explains that F2F_ELECTRON_DIST must name an unpacked Electron', () => {
    const empty = tempDir('f2f-no-electron-');
    const result = runScript('package.ts', ['--no-build'], { ...process.env, F2F_ELECTRON_DIST: empty });
    assert.equal(result.status, 2);
    assert.match(result.stderr, /is not an unpacked Electron distribution: it has no 'electron' executable/);
  });

  it('refuses an --electron-dist that does not exist', () => {
    const result = runScript('package.ts', ['--no-build', '--electron-dist', '/nonexistent/electron']);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /\/nonexistent\/electron is not an unpacked Electron distribution/);
  });
});
