// Boot: pick the carrier the host provides (Electron preload bridge, else the browser host's websocket with
// its per-boot token) and start the kiosk UI on <main id="app">.
import { KioskApp, showLocked } from './app.ts';
import { createRpcClient } from './rpc-client.ts';
import { takeRpcToken } from './token.ts';
import { createIpcTransport, findIpcBridge } from './transport-ipc.ts';
import { createWsTransport, rpcUrlFor } from './transport-ws.ts';
import type { Transport } from './transport.ts';

function chooseTransport(): Transport | null {
  const bridge = findIpcBridge(window);
  if (bridge !== null) return createIpcTransport(bridge);
  const token = takeRpcToken(window);
  return token === null ? null : createWsTransport({ url: rpcUrlFor(window.location), token });
}

function boot(): void {
  const root = document.getElementById('app');
  if (root === null) return;
  // A long press on a touch screen must not open a context menu.
  document.addEventListener('contextmenu', (event) => event.preventDefault());
  const transport = chooseTransport();
  if (transport === null) {
    showLocked(root);
    return;
  }
  new KioskApp(root, createRpcClient(transport)).start();
}

boot();
