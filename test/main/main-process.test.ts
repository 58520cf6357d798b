// The bundled Electron main process (dist/main/main.cjs, built by `npm run build`) run under plain Node with a
// stand-in for the electron module: it boots the demo agent, opens one hardened kiosk window on the bundled
// renderer and serves the rpc contract over IPC to that renderer only.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { onCleanup } from '../helpers/cleanup.ts';
import { repoRoot } from '../helpers/processes.ts';
import { tempDir } from '../helpers/temp-dir.ts';

type Report = Record<string, unknown> & { type: string };

test('main/ boots the agent, opens a sandboxed kiosk window and answers IPC only from the kiosk renderer', async () => {
  const userData = tempDir('f2f-electron-');
  const child = spawn(
    process.execPath,
    [
      '--require',
      path.join(repoRoot, 'test', 'main', 'fake-electron.cjs'),
      path.join(repoRoot, 'dist', 'main', 'main.cjs'),
    ],
    {
      cwd: repoRoot,
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, FAKE_ELECTRON_USER_DATA: userData },
    },
  );
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  onCleanup(async () => {
    if (child.exitCode === null) child.kill('SIGKILL');
    await exited;
  });
  const reports: Report[] = [];
  const waiters: Array<() => void> = [];
  createInterface({ input: child.stdout }).on('line', (line) => {
    reports.push(JSON.parse(line) as Report);
    for (const w of waiters.splice(0)) w();
  });
  const next = async (match: (r: Report) => boolean): Promise<Report> => {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const found = reports.find(match);
      if (found) return found;
      if (Date.now() > deadline || child.exitCode !== null)
        throw new Error(`main process did not report; stderr:\n${stderr}`);
      await new Promise<void>((resolve) => {
        waiters.push(resolve);
        setTimeout(resolve, 200);
      });
    }
  };

  const window = await next((r) => r.type === 'window');
  assert.deepEqual(
    {
      sandbox: (window['webPreferences'] as Record<string, unknown>)['sandbox'],
      contextIsolation: (window['webPreferences'] as Record<string, unknown>)['contextIsolation'],
      nodeIntegration: (window['webPreferences'] as Record<string, unknown>)['nodeIntegration'],
    },
    { sandbox: true, contextIsolation: true, nodeIntegration: false },
  );
  const rendererIndex = path.join(repoRoot, 'dist', 'renderer', 'index.html');
  assert.equal((await next((r) => r.type === 'loadFile'))['file'], rendererIndex);
  assert.equal(
    (await next((r) => r.type === 'permissions'))['grants'],
    false,
    'permission requests are denied',
  );
  const ipc = await next((r) => r.type === 'ipc-handle');

  let id = 0;
  const invoke = async (url: string, channel: string) => {
    const mine = ++id;
    child.stdin.write(
      JSON.stringify({ type: 'invoke', id: mine, ipcChannel: ipc['channel'], url, channel, payload: {} }) +
        '\n',
    );
    return (await next((r) => r.type === 'result' && r['id'] === mine))['result'] as {
      ok: boolean;
      result?: { demo: boolean };
      error?: { code: string };
    };
  };
  const fromKiosk = await invoke(pathToFileURL(rendererIndex).href, 'kiosk.info');
  assert.equal(fromKiosk.ok, true, stderr);
  assert.equal(fromKiosk.result?.demo, true, 'no configuration: the demo profile');
  const fromElsewhere = await invoke('https://evil.example/', 'kiosk.info');
  assert.equal(fromElsewhere.ok, false);

  child.stdin.write(JSON.stringify({ type: 'quit' }) + '\n');
  assert.equal(await exited, 0, `a quit shuts the agent down cleanly; stderr:\n${stderr}`);
});
