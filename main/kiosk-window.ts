// The one fullscreen kiosk window and its hardening (research/electron.md §1): sandboxed, context-isolated,
// no navigation away from the bundled renderer, no new windows, no permissions, no menu, and a reload when
// the renderer dies (the "white screen after hours" kiosk failure).
import { app, BrowserWindow, Menu, powerSaveBlocker, session } from 'electron';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { isBlockedKioskKey } from '../app/host/kiosk-keys.ts';
import { RendererCrashPolicy } from '../app/host/renderer-crash-policy.ts';

export function isRendererUrl(url: string, rendererDir: string): boolean {
  try {
    const parsed = new URL(url);
    const root = pathToFileURL(rendererDir + path.sep).href;
    return parsed.protocol === 'file:' && parsed.href.startsWith(root);
  } catch {
    return false;
  }
}

export function createKioskWindow(rendererDir: string, preloadFile: string, demo: boolean): BrowserWindow {
  Menu.setApplicationMenu(null);
  session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  session.defaultSession.setPermissionCheckHandler(() => false);

  const window = new BrowserWindow({
    show: false,
    kiosk: !demo,
    fullscreen: !demo,
    width: 1080,
    height: 1920,
    autoHideMenuBar: true,
    backgroundColor: '#ffffff',
    webPreferences: {
      preload: preloadFile,
      sandbox: true,
      contextIsolation: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      webviewTag: false,
      spellcheck: false,
    },
  });
  const wc = window.webContents;
  wc.on('will-navigate', (event, url) => {
    if (!isRendererUrl(url, rendererDir)) event.preventDefault();
  });
  wc.on('will-redirect', (event) => event.preventDefault());
  wc.setWindowOpenHandler(() => ({ action: 'deny' }));
  wc.on('before-input-event', (event, input) => {
    if (isBlockedKioskKey(input)) event.preventDefault();
  });
  const crashes = new RendererCrashPolicy();
  wc.on('render-process-gone', (_event, details) => {
    const action = crashes.onCrash(Date.now());
    console.error(`[main] renderer gone (${details.reason}); ${action}`);
    if (action === 'relaunch') {
      app.relaunch();
      app.quit(); // before-quit lets vends in flight commit first
    } else if (!window.isDestroyed()) {
      window.reload();
    }
  });
  // A kiosk screen never dims or sleeps while the app runs.
  const blocker = powerSaveBlocker.start('prevent-display-sleep');
  window.on('closed', () => powerSaveBlocker.stop(blocker));
  window.once('ready-to-show', () => window.show());
  void window.loadFile(path.join(rendererDir, 'index.html'));
  return window;
}
