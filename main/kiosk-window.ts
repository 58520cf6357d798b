// The one fullscreen kiosk window and its hardening (research/electron.md §1): sandboxed, context-isolated,
// no permissions, no menu, devtools only in the demo, the renderer from app://kiosk/, and a reload when
// the renderer dies (the "white screen after hours" kiosk failure).
import { app, BrowserWindow, Menu, powerSaveBlocker, session } from 'electron';
import { APP_ENTRY_URL } from '../app/host/app-protocol.ts';
import { isBlockedKioskKey } from '../app/host/kiosk-keys.ts';
import { RendererCrashPolicy } from '../app/host/renderer-crash-policy.ts';

export function createKioskWindow(preloadFile: string, demo: boolean): BrowserWindow {
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
      // A customer must not open a console on the sale screen; the demo keeps it for developers.
      devTools: demo,
    },
  });
  // Navigation, redirects, new windows, webviews and devtools: main/web-contents-policy.ts, for every web
  // contents the app creates.
  const wc = window.webContents;
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
  void window.loadURL(APP_ENTRY_URL);
  return window;
}
