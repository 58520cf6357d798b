// The bundled Electron main process (dist/main/main.cjs, built by `npm run build`) run under plain Node with a
// stand-in for the electron module: it boots the demo agent, opens one hardened kiosk window on the bundled
// renderer and serves the rpc contract over IPC to that renderer only.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { onCleanup } from '../helpers/cleanup.ts';
import { writeKeyPair } from '../helpers/key-files.ts';
import { startPtyPair } from '../helpers/socat-pty.ts';
import { repoRoot } from '../helpers/processes.ts';
import { tempDir } from '../helpers/temp-dir.ts';

type Report = Record<string, unknown> & { type: string };

interface MainProcess {
  next(match: (r: Report) => boolean): Promise<Report>;
  /** Sends a command to the stand-in electron and waits for its answer (matched by id). */
  ask<T extends Report>(command: Record<string, unknown>, answer: string): Promise<T>;
  readonly exited: Promise<number | null>;
  quit(): void;
  stderr(): string;
}

/** Runs dist/main/main.cjs under plain Node with the stand-in electron; stopped when the file ends. */
function launchMain(env: Record<string, string>): MainProcess {
  const child = spawn(
    process.execPath,
    [
      '--require',
      path.join(repoRoot, 'test', 'main', 'fake-electron.cjs'),
      path.join(repoRoot, 'dist', 'main', 'main.cjs'),
    ],
    { cwd: repoRoot, stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...env } },
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
  let id = 0;
  return {
    next,
    ask: async <T extends Report>(command: Record<string, unknown>, answer: string) => {
      const mine = ++id;
      child.stdin.write(JSON.stringify({ ...command, id: mine }) + '\n');
      return (await next((r) => r.type === answer && r['id'] === mine)) as T;
    },
    exited,
    quit: () => child.stdin.write(JSON.stringify({ type: 'quit' }) + '\n'),
    stderr: () => stderr,
  };
}

type WebContentsAnswer = Report & { prevented: boolean; answer: unknown; devToolsClosed: boolean };

/** Drives one web contents event in the main process: the window's, or (fresh) a new one such as a webview's. */
const webContents = (main: MainProcess, action: string, url: string, fresh = false) =>
  main.ask<WebContentsAnswer>({ type: 'web-contents', action, url, fresh }, 'web-contents');

/** The navigation, redirect, webview and new-window policy every web contents must get. */
async function assertLockedDown(main: MainProcess): Promise<void> {
  for (const fresh of [false, true]) {
    assert.equal(
      (await webContents(main, 'will-navigate', 'app://kiosk/index.html#maintenance', fresh)).prevented,
      false,
    );
    for (const url of ['https://evil.example/', 'file:///etc/passwd', 'app://other/', 'app://x@kiosk/']) {
      assert.equal(
        (await webContents(main, 'will-navigate', url, fresh)).prevented,
        true,
        `navigation to ${url}`,
      );
    }
    assert.equal((await webContents(main, 'will-redirect', 'app://kiosk/index.html', fresh)).prevented, true);
    assert.equal(
      (await webContents(main, 'will-attach-webview', 'https://evil.example/', fresh)).prevented,
      true,
    );
    assert.deepEqual((await webContents(main, 'open', 'https://evil.example/', fresh)).answer, {
      action: 'deny',
    });
    assert.deepEqual((await webContents(main, 'open', 'app://kiosk/index.html', fresh)).answer, {
      action: 'deny',
    });
  }
}

test('main/ boots the agent, opens a sandboxed kiosk window and answers IPC only from the kiosk renderer', async () => {
  const main = launchMain({ FAKE_ELECTRON_USER_DATA: tempDir('f2f-electron-') });
  const { next } = main;
  const window = await next((r) => r.type === 'window');
  assert.deepEqual(
    {
      sandbox: (window['webPreferences'] as Record<string, unknown>)['sandbox'],
      contextIsolation: (window['webPreferences'] as Record<string, unknown>)['contextIsolation'],
      nodeIntegration: (window['webPreferences'] as Record<string, unknown>)['nodeIntegration'],
    },
    { sandbox: true, contextIsolation: true, nodeIntegration: false },
  );
  assert.equal(
    (window['webPreferences'] as Record<string, unknown>)['devTools'],
    true,
    'the demo profile keeps devtools for developers',
  );
  const schemes = await next((r) => r.type === 'privileged-schemes');
  assert.deepEqual(schemes, {
    type: 'privileged-schemes',
    schemes: [{ scheme: 'app', privileges: { standard: true, secure: true, supportFetchAPI: true } }],
    ready: false,
  });
  assert.equal((await next((r) => r.type === 'loadURL'))['url'], 'app://kiosk/index.html');
  await next((r) => r.type === 'protocol-handle' && r['scheme'] === 'app');
  assert.equal(
    (await next((r) => r.type === 'permissions'))['grants'],
    false,
    'permission requests are denied',
  );
  const ipc = await next((r) => r.type === 'ipc-handle');

  const invoke = async (url: string, channel: string) =>
    (
      await main.ask<Report & { result: { ok: boolean; result?: { demo: boolean } } }>(
        { type: 'invoke', ipcChannel: ipc['channel'], url, channel, payload: {} },
        'result',
      )
    ).result;
  const fromKiosk = await invoke('app://kiosk/index.html', 'kiosk.info');
  assert.equal(fromKiosk.ok, true, main.stderr());
  assert.equal(fromKiosk.result?.demo, true, 'no configuration: the demo profile');
  for (const url of [
    'https://evil.example/',
    pathToFileURL(path.join(repoRoot, 'dist', 'renderer', 'index.html')).href,
  ]) {
    assert.equal((await invoke(url, 'kiosk.info')).ok, false, `no IPC from ${url}`);
  }

  // The renderer comes from app://kiosk/ with its CSP as a response header, and nothing else comes from there.
  const fetchApp = (url: string) =>
    main.ask<Report & { status: number; headers: Record<string, string>; body: string }>(
      { type: 'fetch', url },
      'response',
    );
  const index = await fetchApp('app://kiosk/index.html');
  assert.equal(index.status, 200);
  assert.match(index.body, /<html/i);
  assert.match(index.headers['content-security-policy'] ?? '', /script-src 'self'/);
  assert.equal(index.headers['content-type'], 'text/html; charset=utf-8');
  assert.equal(index.headers['x-frame-options'], 'DENY');
  for (const url of [
    'app://kiosk/../../package.json',
    'app://kiosk/%2e%2e/%2e%2e/package.json',
    'app://other/index.html',
  ]) {
    assert.equal((await fetchApp(url)).status, 404, url);
  }
  assert.equal((await fetchApp('app://kiosk/%E0%A4%A')).status, 400);

  // Every web contents (the window's, and one created later such as a webview's) gets the same policy.
  await assertLockedDown(main);
  assert.equal((await webContents(main, 'devtools', '')).devToolsClosed, false, 'the demo allows devtools');

  main.quit();
  assert.equal(await main.exited, 0, `a quit shuts the agent down cleanly; stderr:\n${main.stderr()}`);
});

test('with a production configuration devtools are off and closed if opened; the same lockdown holds', async () => {
  const dir = tempDir('f2f-electron-prod-');
  const app = writeKeyPair(dir, 'app');
  const alipay = writeKeyPair(dir, 'alipay');
  fs.writeFileSync(path.join(dir, 'token'), 'relay-token\n', { mode: 0o600 });
  const pty = await startPtyPair(path.join(dir, 'board'), path.join(dir, 'kiosk'));
  const config = {
    kioskId: 'K7',
    dataDir: path.join(dir, 'data'),
    // Nothing listens on the discard port: the agent starts and waits for its services, as after a power cut.
    alipay: {
      gatewayUrl: 'http://127.0.0.1:9/gateway.do',
      appId: '2021000000000042',
      privateKeyFile: app.privateKeyFile,
      alipayPublicKeyFile: alipay.publicKeyFile,
      notifyUrl: 'https://relay.example/alipay/notify',
    },
    relay: { url: 'http://127.0.0.1:9', tokenFile: path.join(dir, 'token') },
    dispenser: { driver: 'fafb', path: pty.b },
    planogram: [{ lane: 1, productId: 'W', name: 'Water', priceFen: 200, stock: 1, capacity: 5 }],
  };
  fs.writeFileSync(path.join(dir, 'agent.json'), JSON.stringify(config));
  const main = launchMain({ F2F_KIOSK_CONFIG: path.join(dir, 'agent.json') });

  const window = await main.next((r) => r.type === 'window');
  assert.equal((window['webPreferences'] as Record<string, unknown>)['devTools'], false);
  assert.equal(window['kiosk'], true);
  await main.next((r) => r.type === 'loadURL');
  for (const fresh of [false, true]) {
    assert.equal(
      (await webContents(main, 'devtools', '', fresh)).devToolsClosed,
      true,
      'devtools closed again',
    );
  }
  await assertLockedDown(main);
  main.quit();
  assert.equal(await main.exited, 0, main.stderr());
});
