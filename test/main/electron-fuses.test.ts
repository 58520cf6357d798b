// The Electron fuses the release build flips (electron-builder.config.mjs): every one that hardens a kiosk.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { repoRoot } from '../helpers/processes.ts';

test('a release build turns off run-as-node, NODE_OPTIONS, inspect flags and file:// privileges, and checks its asar', () => {
  // Read in a child so the config sees F2F_ELECTRON_FUSES=on (a real Electron) from its first line.
  const read = spawnSync(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      "const c = (await import('./electron-builder.config.mjs')).default; console.log(JSON.stringify(c.electronFuses ?? null));",
    ],
    { cwd: repoRoot, encoding: 'utf8', env: { ...process.env, F2F_ELECTRON_FUSES: 'on' } },
  );
  assert.equal(read.status, 0, read.stderr);
  assert.deepEqual(JSON.parse(read.stdout), {
    runAsNode: false,
    enableNodeOptionsEnvironmentVariable: false,
    enableNodeCliInspectArguments: false,
    enableCookieEncryption: true,
    onlyLoadAppFromAsar: true,
    enableEmbeddedAsarIntegrityValidation: true,
    grantFileProtocolExtraPrivileges: false,
  });
});
