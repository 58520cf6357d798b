// Electron main process: thin glue. It starts the same agent core the browser host runs (production config
// from F2F_KIOSK_CONFIG or --config=FILE, else the demo profile), opens one kiosk window on the same renderer,
// and serves the rpc contract over IPC through app/host/ipc-bridge.ts. Everything testable lives in app/.
import { app, ipcMain, type BrowserWindow } from 'electron';
import path from 'node:path';
import { loadAgentConfig, startAgent, type Agent } from '../app/agent/index.ts';
import { bridgeRpcOverIpc } from '../app/host/ipc-bridge.ts';
import { startDemo } from '../demo/start-demo.ts';
import { isAppUrl } from '../app/host/app-protocol.ts';
import { registerAppScheme, serveAppScheme } from './app-scheme.ts';
import { createKioskWindow } from './kiosk-window.ts';
import { lockDownWebContents } from './web-contents-policy.ts';

// dist/main/main.cjs → dist/renderer and dist/main/preload.cjs
const rendererDir = path.join(__dirname, '..', 'renderer');
const preloadFile = path.join(__dirname, 'preload.cjs');

function configPath(): string | undefined {
  const flag = process.argv.find((a) => a.startsWith('--config='));
  return flag ? flag.slice('--config='.length) : process.env['F2F_KIOSK_CONFIG'];
}

async function boot(): Promise<void> {
  const log = (line: string) => console.error(line);
  const file = configPath();
  let agent: Agent;
  let shutdown: () => Promise<void>;
  if (file) {
    agent = await startAgent(loadAgentConfig(file), { log });
    shutdown = () => agent.close();
  } else {
    const demo = await startDemo(path.join(app.getPath('userData'), 'demo'), log);
    agent = demo.agent;
    shutdown = () => demo.close();
  }

  serveAppScheme(rendererDir);
  let window: BrowserWindow | null = createKioskWindow(preloadFile, !file);
  window.on('closed', () => (window = null));
  const unbridge = bridgeRpcOverIpc({
    ipcMain,
    dispatch: agent.dispatch,
    events: agent.events,
    target: () => window?.webContents ?? null,
    isTrustedUrl: isAppUrl,
  });

  let quitting = false;
  app.on('before-quit', (event) => {
    if (quitting) return;
    quitting = true;
    event.preventDefault();
    unbridge();
    // Let vends in flight commit their result before the process ends.
    void shutdown().finally(() => app.exit(0));
  });
}

// Before the app is ready, as Electron requires: the privileged app:// scheme, and the policy every web contents
// gets when it is created (devtools only in the demo profile, which runs without a configuration).
registerAppScheme();
lockDownWebContents(app, { devTools: !configPath() });

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('window-all-closed', () => app.quit());
  app
    .whenReady()
    .then(boot)
    .catch((err: unknown) => {
      console.error(`[main] failed to start: ${(err as Error).stack ?? String(err)}`);
      app.exit(1);
    });
}
