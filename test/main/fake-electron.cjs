// A stand-in for the 'electron' module, for running the bundled main process (dist/main/main.cjs) under plain
// Node: the Electron binary cannot be downloaded on our build machines. It records what main/ asks of
// Electron (windows, IPC handlers, hardening calls) and lets the test drive the IPC handler and the app's
// lifecycle over stdin/stdout. Only what main/ uses is here.
'use strict';
const Module = require('node:module');
const { EventEmitter } = require('node:events');
const os = require('node:os');
const readline = require('node:readline');

const report = (msg) => process.stdout.write(JSON.stringify(msg) + '\n');
const handlers = new Map();
const protocols = new Map();
let appReady = false;
const windows = [];

class WebContents extends EventEmitter {
  constructor() {
    super();
    this.sent = [];
  }
  setWindowOpenHandler(fn) {
    this.windowOpenHandler = fn;
  }
  closeDevTools() {
    this.devToolsClosed = true;
  }
  send(channel, ...args) {
    this.sent.push([channel, ...args]);
  }
  isDestroyed() {
    return false;
  }
}

class BrowserWindow extends EventEmitter {
  constructor(options) {
    super();
    this.options = options;
    this.webContents = new WebContents();
    windows.push(this);
    // As Electron does: every new web contents is announced on the app before anything loads in it.
    app.emit('web-contents-created', {}, this.webContents);
    report({ type: 'window', webPreferences: options.webPreferences, kiosk: options.kiosk });
  }
  loadFile(file) {
    report({ type: 'loadFile', file });
    setImmediate(() => this.emit('ready-to-show'));
    return Promise.resolve();
  }
  loadURL(url) {
    report({ type: 'loadURL', url });
    setImmediate(() => this.emit('ready-to-show'));
    return Promise.resolve();
  }
  show() {}
  reload() {}
  isDestroyed() {
    return false;
  }
}

const app = new EventEmitter();
Object.assign(app, {
  requestSingleInstanceLock: () => true,
  whenReady: () => Promise.resolve().then(() => (appReady = true)),
  getPath: () => process.env.FAKE_ELECTRON_USER_DATA || os.tmpdir(),
  relaunch: () => report({ type: 'relaunch' }),
  quit: () => {
    const event = {
      defaultPrevented: false,
      preventDefault() {
        this.defaultPrevented = true;
      },
    };
    app.emit('before-quit', event);
    if (!event.defaultPrevented) process.exit(0);
  },
  exit: (code) => {
    report({ type: 'exit', code });
    process.exit(code);
  },
});

const electron = {
  app,
  BrowserWindow,
  Menu: { setApplicationMenu: (menu) => report({ type: 'menu', menu }) },
  session: {
    defaultSession: {
      setPermissionRequestHandler: (fn) =>
        report({ type: 'permissions', grants: fn(null, 'media', (v) => v) }),
      setPermissionCheckHandler: () => {},
    },
  },
  powerSaveBlocker: { start: () => 1, stop: () => {} },
  protocol: {
    registerSchemesAsPrivileged: (schemes) =>
      report({ type: 'privileged-schemes', schemes, ready: appReady }),
    handle: (scheme, fn) => {
      protocols.set(scheme, fn);
      report({ type: 'protocol-handle', scheme });
    },
  },
  ipcMain: {
    handle: (channel, fn) => {
      handlers.set(channel, fn);
      report({ type: 'ipc-handle', channel });
    },
    removeHandler: (channel) => handlers.delete(channel),
  },
};

// The test's commands: invoke the IPC handler as a given frame, or quit the app.
readline.createInterface({ input: process.stdin }).on('line', async (line) => {
  const cmd = JSON.parse(line);
  if (cmd.type === 'invoke') {
    const handler = handlers.get(cmd.ipcChannel);
    const result = handler
      ? await handler({ senderFrame: { url: cmd.url } }, cmd.channel, cmd.payload)
      : null;
    report({ type: 'result', id: cmd.id, result });
  } else if (cmd.type === 'fetch') {
    // A request from the renderer to a registered custom protocol.
    const handler = protocols.get(new URL(cmd.url).protocol.replace(':', ''));
    const res = handler ? await handler({ url: cmd.url, method: 'GET' }) : null;
    report({
      type: 'response',
      id: cmd.id,
      status: res ? res.status : null,
      headers: res ? Object.fromEntries(res.headers) : null,
      body: res ? await res.text() : null,
    });
  } else if (cmd.type === 'web-contents') {
    // What Electron would do in a web contents: navigate, redirect, open a window, attach a webview, open
    // devtools. The window's own web contents, or a fresh one (a webview's, say) announced on the app.
    let contents = windows[0] && windows[0].webContents;
    if (cmd.fresh) {
      contents = new WebContents();
      app.emit('web-contents-created', {}, contents);
    }
    const event = {
      defaultPrevented: false,
      preventDefault() {
        this.defaultPrevented = true;
      },
    };
    let answer = null;
    if (cmd.action === 'open')
      answer = contents.windowOpenHandler ? contents.windowOpenHandler({ url: cmd.url }) : null;
    else if (cmd.action === 'devtools') contents.emit('devtools-opened');
    else contents.emit(cmd.action, event, cmd.url);
    report({
      type: 'web-contents',
      id: cmd.id,
      prevented: event.defaultPrevented,
      answer,
      devToolsClosed: Boolean(contents.devToolsClosed),
    });
  } else if (cmd.type === 'quit') {
    app.quit();
  }
});

const originalResolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  if (request === 'electron') return 'electron';
  return originalResolve.call(this, request, ...rest);
};
require.cache.electron = { id: 'electron', filename: 'electron', loaded: true, exports: electron };
