// `npm start` on a machine where Electron's binary could not be downloaded must say what to do in one line,
// and where a binary exists it must run it on this app with the arguments given.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { MISSING_ELECTRON_ADVICE } from '../../scripts/start-electron.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const script = path.join(root, 'scripts', 'start-electron.ts');

function start(scriptPath: string, env: NodeJS.ProcessEnv, args: string[] = []) {
  const { F2F_ELECTRON_BINARY: _ignored, ...rest } = process.env;
  return spawnSync(process.execPath, ['--import', 'tsx', scriptPath, ...args], {
    env: { ...rest, ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
}

test('without an installed Electron, npm start prints one line of advice and fails', () => {
  // A checkout with no node_modules/electron at all: what npm leaves when the optional download failed.
  const checkout = tempDir('f2f-no-electron-');
  fs.mkdirSync(path.join(checkout, 'scripts'));
  fs.copyFileSync(script, path.join(checkout, 'scripts', 'start-electron.ts'));
  fs.writeFileSync(path.join(checkout, 'package.json'), '{"type":"module"}\n');
  const result = start(path.join(checkout, 'scripts', 'start-electron.ts'), { NODE_PATH: '' });
  assert.equal(result.status, 1);
  assert.equal(result.stdout, '');
  assert.equal(result.stderr, `${MISSING_ELECTRON_ADVICE}\n`, 'exactly one line, no stack trace');
  assert.match(result.stderr, /npm run start:browser/);
});

test('with an Electron binary, npm start runs it on the app folder and passes its exit status on', () => {
  const dir = tempDir('f2f-fake-electron-');
  const record = path.join(dir, 'argv.txt');
  const fake = path.join(dir, 'electron');
  fs.writeFileSync(fake, `#!/bin/sh\nprintf '%s\\n' "$@" > '${record}'\nexit 7\n`, { mode: 0o755 });
  const result = start(script, { F2F_ELECTRON_BINARY: fake }, ['--some-flag']);
  assert.equal(result.status, 7, result.stderr);
  assert.deepEqual(fs.readFileSync(record, 'utf8').trim().split('\n'), [root, '--some-flag']);
});
