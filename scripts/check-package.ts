// Release gate for a packaged app (`npm run package:check DIR`, DIR = release/linux-unpacked or its parent).
// It checks what would break on a kiosk but not on a build machine (research/electron.md §3.4):
// - resources/app.asar holds the built app and every production dependency, and nothing of the sources,
//   tests, simulators or devDependencies;
// - every native `.node` lives in app.asar.unpacked (dlopen cannot read inside an asar);
// - every `.node` can load in Electron: Node-API binaries (`napi_register_module_v*`) load anywhere, but a
//   binary built against Node's own ABI (`node_register_module_v<N>`) must have N = Electron's ABI.
// Offline builds ship better-sqlite3 compiled for Node 20 (ABI 115), so this gate fails there on purpose:
// the release machine must rebuild better-sqlite3 for Electron first (docs/packaging.md).
// Prints one line per check and exits 1 on any failure, 2 on bad usage.
import { extractFile, listPackage, statFile } from '@electron/asar';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pinnedElectronVersion } from './electron-version.ts';

/** Production dependencies that only bin/ needs (to run TypeScript from a checkout); never packaged. */
const LAUNCHER_ONLY: readonly string[] = ['tsx'];

/** node-abi (installed with electron-builder) ships no typings; these are the two calls used here. */
interface NodeAbi {
  /** ABI number (as a string) of a runtime version, e.g. getAbi('38.8.6', 'electron') === '139'. */
  getAbi(version: string, runtime: 'node' | 'electron'): string;
  /** First runtime version with that ABI, e.g. getTarget('115', 'node') === '20.0.0'. */
  getTarget(abi: string, runtime: 'node' | 'electron'): string;
}
const abiTable = createRequire(import.meta.url)('node-abi') as NodeAbi;

/** "Node 20" for ABI 115: tells the operator which runtime a binary was compiled for. */
function runtimeOfAbi(abi: string): string {
  for (const runtime of ['node', 'electron'] as const) {
    try {
      return `${runtime === 'node' ? 'Node' : 'Electron'} ${abiTable.getTarget(abi, runtime).split('.')[0]}`;
    } catch {
      // not an ABI of this runtime
    }
  }
  return 'an unknown runtime';
}

const HELP = `check-package — release gate for a packaged f2f-kiosk (Linux, electron-builder "dir" output)

Usage:
  npm run package:check -- DIR     DIR: the unpacked app (…/linux-unpacked) or the folder holding it

Checks app.asar's contents, that every native .node file is unpacked, and that each one's ABI loads in the
packaged Electron version. Exit status: 0 all passed, 1 a check failed, 2 bad usage.`;

/** The built files an operator's kiosk needs at run time (scripts/build.ts). */
const REQUIRED_APP_FILES = [
  'dist/main/main.cjs',
  'dist/main/preload.cjs',
  'dist/renderer/index.html',
  'dist/renderer/app.js',
  'package.json',
];
/** Top-level folders of the repository that must never be shipped. */
const FORBIDDEN_TOP_DIRS = [
  'app',
  'main',
  'renderer',
  'cli',
  'bin',
  'sim',
  'demo',
  'test',
  'bench',
  'scripts',
];

interface PackageJson {
  name?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

interface Check {
  ok: boolean;
  text: string;
}

class UsageError extends Error {}

/** Accepts the unpacked app dir or the electron-builder output dir containing exactly one *-unpacked. */
function findAppDir(dir: string): string {
  if (fs.existsSync(path.join(dir, 'resources', 'app.asar'))) return dir;
  const unpacked = fs.existsSync(dir)
    ? fs.readdirSync(dir).filter((name) => name.endsWith('-unpacked') && fs.existsSync(path.join(dir, name)))
    : [];
  if (unpacked.length === 1 && unpacked[0]) return findAppDir(path.join(dir, unpacked[0]));
  throw new UsageError(`${dir}: no resources/app.asar here (give the linux-unpacked folder of a package)`);
}

/** The packaged Electron's version: the distribution's `version` file, else the version package.json pins. */
function electronVersion(appDir: string): { version: string; source: string } {
  const versionFile = path.join(appDir, 'version');
  if (fs.existsSync(versionFile)) {
    const version = fs.readFileSync(versionFile, 'utf8').trim().replace(/^v/, '');
    if (/^\d+\.\d+\.\d+/.test(version)) return { version, source: `${path.basename(appDir)}/version` };
  }
  return { version: pinnedElectronVersion(), source: 'package.json (optionalDependencies.electron)' };
}

function readJsonFromAsar(asarFile: string, inner: string): PackageJson {
  return JSON.parse(extractFile(asarFile, inner).toString('utf8')) as PackageJson;
}

/** Names of the packages installed as node_modules/<name> (scoped included), not nested ones. */
function topLevelModules(entries: Set<string>): string[] {
  const names = new Set<string>();
  for (const entry of entries) {
    const match = /^node_modules\/((?:@[^/]+\/)?[^/]+)\/package\.json$/.exec(entry);
    if (match?.[1]) names.add(match[1]);
  }
  return [...names].sort();
}

function checkContents(asarFile: string, entries: Set<string>): Check[] {
  const checks: Check[] = [];
  const missingApp = REQUIRED_APP_FILES.filter((f) => !entries.has(f));
  checks.push({
    ok: missingApp.length === 0,
    text: missingApp.length
      ? `app.asar is missing the built app: ${missingApp.join(', ')} (run npm run build before packaging)`
      : `app.asar holds the built app (${REQUIRED_APP_FILES.join(', ')})`,
  });

  const pkg = readJsonFromAsar(asarFile, 'package.json');
  const prodDeps = Object.keys(pkg.dependencies ?? {})
    .filter((dep) => !LAUNCHER_ONLY.includes(dep))
    .sort();
  const launchers = LAUNCHER_ONLY.filter((dep) => entries.has(`node_modules/${dep}/package.json`));
  checks.push({
    ok: launchers.length === 0,
    text: launchers.length
      ? `app.asar ships ${launchers.join(', ')}, which only the bin/ launchers of a checkout need`
      : `app.asar leaves out the checkout-only launcher dependencies (${LAUNCHER_ONLY.join(', ')})`,
  });
  const missingDeps = prodDeps.filter((dep) => !entries.has(`node_modules/${dep}/package.json`));
  checks.push({
    ok: missingDeps.length === 0,
    text: missingDeps.length
      ? `app.asar is missing production dependencies: ${missingDeps.join(', ')}`
      : `app.asar holds every production dependency (${prodDeps.join(', ')})`,
  });

  const shippedSources = FORBIDDEN_TOP_DIRS.filter((dir) =>
    [...entries].some((e) => e.startsWith(`${dir}/`)),
  );
  checks.push({
    ok: shippedSources.length === 0,
    text: shippedSources.length
      ? `app.asar ships repository folders that must stay out: ${shippedSources.join(', ')}`
      : 'app.asar ships no sources, tests or simulators',
  });

  // A devDependency may legitimately ship when a production package depends on it too (serialport depends on
  // @serialport/binding-mock), so only devDependencies that nothing packaged requires are flagged.
  const modules = topLevelModules(entries);
  const requiredByPackaged = new Set(prodDeps);
  for (const name of modules) {
    const modulePkg = readJsonFromAsar(asarFile, `node_modules/${name}/package.json`);
    for (const dep of Object.keys({ ...modulePkg.dependencies, ...modulePkg.optionalDependencies })) {
      requiredByPackaged.add(dep);
    }
  }
  const strayDev = Object.keys(pkg.devDependencies ?? {})
    .filter((dev) => modules.includes(dev) && !requiredByPackaged.has(dev))
    .sort();
  checks.push({
    ok: strayDev.length === 0,
    text: strayDev.length
      ? `app.asar ships devDependencies: ${strayDev.join(', ')}`
      : `app.asar ships no devDependencies (${modules.length} packages in node_modules)`,
  });

  const trimmed = [...entries].filter(
    (e) =>
      e.endsWith('.map') ||
      /^node_modules\/better-sqlite3\/(src|deps)\//.test(e) ||
      /^node_modules\/better-sqlite3\/build\/Release\/obj(\.target)?\//.test(e) ||
      /^node_modules\/@serialport\/bindings-cpp\/prebuilds\/(android|darwin|win32)-/.test(e) ||
      /^node_modules\/@serialport\/bindings-cpp\/prebuilds\/.*musl/.test(e),
  );
  checks.push({
    ok: trimmed.length === 0,
    text: trimmed.length
      ? `app.asar ships ${trimmed.length} files that the config trims (e.g. ${trimmed.slice(0, 3).join(', ')})`
      : 'app.asar is trimmed (no source maps, native sources, or prebuilds for other platforms)',
  });
  return checks;
}

/** Every .node named in the asar header must be flagged unpacked and exist in app.asar.unpacked. */
function checkNativesUnpacked(asarFile: string, entries: Set<string>, unpackedDir: string): Check[] {
  const natives = [...entries].filter((e) => e.endsWith('.node'));
  const packed = natives.filter((e) => {
    const stat = statFile(asarFile, e);
    return !('unpacked' in stat && stat.unpacked) || !fs.existsSync(path.join(unpackedDir, e));
  });
  return [
    {
      ok: packed.length === 0,
      text: packed.length
        ? `native files inside app.asar cannot be loaded (dlopen needs app.asar.unpacked): ${packed.join(', ')}`
        : `all ${natives.length} native .node files are in app.asar.unpacked`,
    },
  ];
}

function findNodeFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((rel) => rel.endsWith('.node'))
    .map((rel) => rel.split(path.sep).join('/'))
    .sort();
}

/** The module's package name from its path inside node_modules (the last node_modules segment wins). */
function owningPackage(rel: string): string {
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)\/(?!.*node_modules\/)/.exec(rel);
  return match?.[1] ?? rel;
}

function hasNm(): boolean {
  return spawnSync('nm', ['--version'], { stdio: 'ignore' }).status === 0;
}

function checkAbis(unpackedDir: string, electron: string, electronAbi: string): Check[] {
  const files = findNodeFiles(unpackedDir);
  if (!hasNm()) {
    return [
      {
        ok: false,
        text: `cannot check the ABI of ${files.length} native files: 'nm' (binutils) is not installed — install binutils and run the gate again`,
      },
    ];
  }
  return files.map((rel) => {
    const pkg = owningPackage(rel);
    const nm = spawnSync('nm', ['-D', '--defined-only', path.join(unpackedDir, rel)], { encoding: 'utf8' });
    if (nm.status !== 0) {
      return { ok: false, text: `${pkg}: ${rel} is not a readable shared object (${nm.stderr.trim()})` };
    }
    const napi = /\bnapi_register_module_v(\d+)\b/.exec(nm.stdout);
    const nodeReg = /\bnode_register_module_v(\d+)\b/.exec(nm.stdout);
    if (napi) {
      return { ok: true, text: `${pkg}: ${rel} is Node-API (napi v${napi[1]}), loads in Node and Electron` };
    }
    if (nodeReg?.[1] === electronAbi) {
      return { ok: true, text: `${pkg}: ${rel} is built for Electron's ABI ${electronAbi}` };
    }
    if (nodeReg?.[1]) {
      const abi = nodeReg[1];
      return {
        ok: false,
        text:
          `${pkg}: ${rel} is built for ${runtimeOfAbi(abi)}'s ABI ${abi} (node_register_module_v${abi}), ` +
          `but Electron ${electron} needs ABI ${electronAbi}: it will not load in the packaged app. ` +
          `Rebuild ${pkg} for Electron on the release machine ` +
          `(npx @electron/rebuild -f -w ${pkg}) and package again (docs/packaging.md).`,
      };
    }
    return { ok: false, text: `${pkg}: ${rel} exports no node/napi module registration symbol` };
  });
}

function main(argv: string[]): number {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(HELP);
    return 0;
  }
  const dirs = argv.filter((a) => !a.startsWith('-'));
  if (dirs.length !== 1 || !dirs[0]) throw new UsageError('give exactly one package folder (see --help)');
  const appDir = findAppDir(path.resolve(dirs[0]));
  const asarFile = path.join(appDir, 'resources', 'app.asar');
  const unpackedDir = `${asarFile}.unpacked`;
  const { version, source } = electronVersion(appDir);
  const abi = abiTable.getAbi(version, 'electron');

  const entries = new Set(listPackage(asarFile, { isPack: false }).map((e) => e.replace(/^[/\\]+/, '')));
  const checks = [
    ...checkContents(asarFile, entries),
    ...checkNativesUnpacked(asarFile, entries, unpackedDir),
    ...checkAbis(unpackedDir, version, abi),
  ];

  console.log(`package check: ${appDir}`);
  console.log(`electron ${version} (from ${source}) needs native ABI ${abi}`);
  for (const check of checks) console.log(`  ${check.ok ? 'ok  ' : 'FAIL'}  ${check.text}`);
  const failed = checks.filter((c) => !c.ok).length;
  console.log(
    failed
      ? `RELEASE BLOCKED: ${failed} of ${checks.length} checks failed`
      : `release gate passed: ${checks.length} checks`,
  );
  return failed ? 1 : 0;
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (err) {
  console.error(`check-package: ${(err as Error).message}`);
  process.exitCode = err instanceof UsageError ? 2 : 1;
}
