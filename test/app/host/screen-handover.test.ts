// The unattended screen's handover files and the browser supervisor, with a stand-in "browser" (a shell
// script that records its arguments and waits), so no display is needed.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import {
  loadScreenHandover,
  saveScreenPort,
  startScreenBrowser,
  writeLaunchPage,
} from '../../../app/host/index.ts';
import { waitFor } from '../../helpers/agent-harness.ts';
import { onCleanup } from '../../helpers/cleanup.ts';
import { processAlive } from '../../helpers/pid.ts';
import { tempDir } from '../../helpers/temp-dir.ts';

test('the token and port stay for this boot, in files only this user can read; a corrupt file gets a new token', () => {
  const dataDir = tempDir('f2f-screen-');
  const first = loadScreenHandover(dataDir);
  assert.match(first.token, /^[0-9a-f]{64}$/);
  assert.equal(first.port, null);
  saveScreenPort(dataDir, first, 43117);
  assert.deepEqual(loadScreenHandover(dataDir), { token: first.token, port: 43117 });
  const dir = path.join(dataDir, 'screen');
  assert.equal(fs.statSync(dir).mode & 0o777, 0o700);
  assert.equal(fs.statSync(path.join(dir, 'handover.json')).mode & 0o777, 0o600);

  for (const junk of [
    '{',
    '[]',
    '{"bootId":"another boot","token":"' + 'a'.repeat(64) + '"}',
    '\u0000\u0001',
  ]) {
    fs.writeFileSync(path.join(dir, 'handover.json'), junk);
    const next = loadScreenHandover(dataDir);
    assert.notEqual(next.token, first.token, `a new token after ${JSON.stringify(junk)}`);
    assert.equal(next.port, null);
  }

  const url = writeLaunchPage(dataDir, `http://127.0.0.1:43117/#token=${first.token}`);
  const page = fs.readFileSync(new URL(url), 'utf8');
  assert.ok(page.includes(`url=http://127.0.0.1:43117/#token=${first.token}`));
  assert.equal(fs.statSync(new URL(url)).mode & 0o777, 0o600);
});

test('the agent starts the browser on the launch page (never the token), starts it again when it exits, and ends it on close', async () => {
  const dataDir = tempDir('f2f-screen-');
  const argsLog = path.join(dataDir, 'args.log');
  const fakeBrowser = path.join(dataDir, 'fake-chromium');
  fs.writeFileSync(fakeBrowser, `#!/bin/sh\necho "$@" >> '${argsLog}'\nexec sleep 60\n`, { mode: 0o755 });
  const { token } = loadScreenHandover(dataDir);
  const launchUrl = writeLaunchPage(dataDir, `http://127.0.0.1:1/#token=${token}`);
  const log: string[] = [];
  const screen = startScreenBrowser({
    executable: fakeBrowser,
    args: ['--ozone-platform=x11'],
    dataDir,
    launchUrl,
    log: (line) => log.push(line),
  });
  onCleanup(() => screen.close());
  await waitFor(() => screen.pid !== null && fs.existsSync(argsLog), 'the browser to start');
  const firstPid = screen.pid!;
  const args = fs.readFileSync(argsLog, 'utf8');
  assert.ok(args.includes('--kiosk') && args.includes('--ozone-platform=x11'), args);
  assert.ok(args.includes(`--app=${launchUrl}`), args);
  assert.ok(args.includes(`--user-data-dir=${path.join(dataDir, 'screen', 'chromium')}`), args);
  assert.ok(!args.includes(token), 'the token is not on the command line');

  process.kill(firstPid, 'SIGKILL'); // the browser crashed
  await waitFor(() => screen.pid !== null && screen.pid !== firstPid, 'the browser to be started again');
  assert.match(log.join('\n'), /browser exited \(SIGKILL\); starting it again in 1000 ms/);
  const secondPid = screen.pid!;
  await screen.close();
  await waitFor(() => !processAlive(secondPid), 'the browser to end');
  assert.equal(fs.existsSync(path.join(dataDir, 'screen', 'browser.pid')), false);
});

test('a browser left by a killed agent is adopted, not doubled, and replaced once it is gone', async () => {
  const dataDir = tempDir('f2f-screen-');
  const profile = path.join(dataDir, 'screen', 'chromium');
  const fakeBrowser = path.join(dataDir, 'fake-chromium');
  fs.writeFileSync(fakeBrowser, '#!/bin/sh\nexec sleep 60\n', { mode: 0o755 });
  const launchUrl = writeLaunchPage(dataDir, 'http://127.0.0.1:1/#token=00');
  // What the killed agent left: its browser (same profile on the command line) and the pid file. The `--`
  // matters: without it node reads the profile flag as one of its own options, refuses it ("bad option") and
  // exits at once, and the test then passed only when it read /proc before that exit.
  const left = spawn(
    process.execPath,
    ['-e', 'setTimeout(() => {}, 60_000)', '--', `--user-data-dir=${profile}`],
    { stdio: 'ignore' },
  );
  onCleanup(() => left.kill('SIGKILL'));
  await new Promise((resolve) => left.once('spawn', resolve));
  // Await the left browser's own command line (what the agent recognises it by), not just its spawn.
  const cmdline = (): string => {
    try {
      return fs.readFileSync(`/proc/${left.pid}/cmdline`, 'utf8');
    } catch {
      return '';
    }
  };
  await waitFor(
    () => cmdline().split('\0').includes(`--user-data-dir=${profile}`),
    'the left browser to run',
  );
  fs.writeFileSync(path.join(dataDir, 'screen', 'browser.pid'), String(left.pid));

  const log: string[] = [];
  const screen = startScreenBrowser({ executable: fakeBrowser, dataDir, launchUrl, log: (l) => log.push(l) });
  onCleanup(() => screen.close());
  assert.equal(screen.pid, left.pid, 'adopted');
  assert.match(log.join('\n'), /still shows the screen; it reconnects by itself/);
  left.kill('SIGKILL');
  await waitFor(
    () => screen.pid !== null && screen.pid !== left.pid,
    'a new browser once the old one is gone',
  );
  await screen.close();
});
