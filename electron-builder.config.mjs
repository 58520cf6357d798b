// electron-builder configuration (research/electron.md §3.3). A JS file rather than YAML because YAML does not
// interpolate environment variables, and offline machines must point `electronDist` at an unpacked Electron:
//   F2F_ELECTRON_DIST=/path/to/electron-v38.8.6-linux-x64  npx electron-builder --config electron-builder.config.mjs
// `npm run package` (scripts/package.ts) sets that up, including a fake Electron for offline checks.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(fileURLToPath(import.meta.url));
const electronDist = process.env['F2F_ELECTRON_DIST'] || undefined;

// Fuses are flipped by patching a sentinel inside the real Electron binary; a fake distribution (a shell script
// named `electron`) has none and electron-builder fails with "Could not find sentinel" (research §0.2).
// So fuses are set only when the distribution's `electron` is an ELF executable, or when forced with
// F2F_ELECTRON_FUSES=on (off disables them).
function isRealElectron(dir) {
  if (!dir) return true; // electron-builder downloads the real zip itself (connected machines)
  try {
    const fd = fs.openSync(path.join(dir, 'electron'), 'r');
    const magic = Buffer.alloc(4);
    fs.readSync(fd, magic, 0, 4, 0);
    fs.closeSync(fd);
    return magic.equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46]));
  } catch {
    return false;
  }
}
const fusesSetting = process.env['F2F_ELECTRON_FUSES'];
const useFuses = fusesSetting === 'on' || (fusesSetting !== 'off' && isRealElectron(electronDist));

const packagingFile = (name) => path.join(root, 'packaging', name);

// Electron is an optional dependency (its binary cannot be downloaded everywhere), so the version is read from
// package.json rather than from an installed node_modules/electron that may not exist.
const electronVersion = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'))
  .optionalDependencies.electron;

/** @type {import('electron-builder').Configuration} */
const config = {
  appId: 'com.f2f.kiosk',
  productName: 'f2f-kiosk',
  directories: { output: 'release', buildResources: 'packaging' },
  electronVersion,
  ...(electronDist ? { electronDist: path.resolve(electronDist) } : {}),
  // Never let the builder rebuild natives: serialport's Node-API prebuilds already work in Electron, and
  // better-sqlite3 is rebuilt for Electron on the release machine before packaging (docs/packaging.md).
  // scripts/check-package.ts refuses a package whose better-sqlite3 was built for Node instead.
  npmRebuild: false,
  asar: { smartUnpack: false },
  asarUnpack: ['**/*.node'],
  files: [
    'dist/**',
    // dist/cli holds the bin/ programs bundled for plain node (a checkout's browser host and the relay); the
    // Electron app runs dist/main, which bundles the same agent, and never loads them.
    '!dist/cli/**',
    'package.json',
    '!**/*.map',
    '!node_modules/better-sqlite3/{src,deps,docs,benchmark,bin}/**',
    '!node_modules/better-sqlite3/build/Release/{obj,obj.target}/**',
    '!node_modules/better-sqlite3/build/Release/{*.a,test_extension.node}',
    '!node_modules/better-sqlite3/build/{deps,test_extension.target.mk,Makefile,config.gypi}',
    '!node_modules/@serialport/bindings-cpp/prebuilds/{android-*,darwin-*,win32-*}/**',
    '!node_modules/@serialport/bindings-cpp/prebuilds/**/*musl*',
    // tsx (and the esbuild binary under it) only lets bin/ run TypeScript from a checkout; the packaged app
    // runs the bundled dist/main and never loads it. Keep the list in scripts/check-package.ts in step.
    '!node_modules/tsx/**',
    '!node_modules/esbuild/**',
    '!node_modules/@esbuild/**',
  ],
  // The systemd units, udev rule and config example travel with the app (resources/packaging/) so an operator
  // who installs the `dir` build has them too; the deb also installs them in place (fpm mappings below).
  extraResources: [{ from: 'packaging', to: 'packaging', filter: ['*.service', '*.rules'] }],
  linux: {
    executableName: 'f2f-kiosk',
    target: ['dir', 'deb'],
    category: 'Utility',
    maintainer: 'f2f-kiosk operators <ops@example.com>',
  },
  deb: {
    // udev: serialport's list() shells out to udevadm.
    depends: ['libnss3', 'libgbm1', 'libgtk-3-0', 'libasound2', 'udev'],
    afterInstall: 'packaging/deb/after-install.sh',
    afterRemove: 'packaging/deb/after-remove.sh',
    fpm: [
      `${packagingFile('f2f-kiosk.service')}=/lib/systemd/system/f2f-kiosk.service`,
      `${packagingFile('f2f-kiosk-browser.service')}=/lib/systemd/system/f2f-kiosk-browser.service`,
      `${packagingFile('99-f2f-kiosk-serial.rules')}=/lib/udev/rules.d/99-f2f-kiosk-serial.rules`,
    ],
  },
  ...(useFuses
    ? {
        electronFuses: {
          runAsNode: false,
          enableNodeOptionsEnvironmentVariable: false,
          enableNodeCliInspectArguments: false,
          enableCookieEncryption: true,
          onlyLoadAppFromAsar: true,
          // The app's asar is checked against the hash embedded at build time (where the platform enforces it).
          enableEmbeddedAsarIntegrityValidation: true,
          // The renderer is served from app:// (main/app-scheme.ts); file:// pages get no extra powers.
          grantFileProtocolExtraPrivileges: false,
        },
      }
    : {}),
};

export default config;
