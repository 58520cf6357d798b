import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bridgeRpcOverIpc, type IpcInvokeEventLike } from '../../../app/host/ipc-bridge.ts';
import { EventHub, IPC_EVENT_CHANNEL, IPC_INVOKE_CHANNEL, type RpcDispatch } from '../../../app/rpc/index.ts';

type Listener = (event: IpcInvokeEventLike, ...args: unknown[]) => Promise<unknown>;

function fakeIpcMain() {
  const handlers = new Map<string, Listener>();
  return {
    handlers,
    handle: (channel: string, listener: Listener) => void handlers.set(channel, listener),
    removeHandler: (channel: string) => void handlers.delete(channel),
  };
}

const trusted = 'file:///opt/kiosk/dist/renderer/index.html';

test('requests from the kiosk renderer are dispatched; any other frame is refused without dispatching', async () => {
  const ipcMain = fakeIpcMain();
  const seen: string[] = [];
  const dispatch: RpcDispatch = async (channel) => (seen.push(channel), { ok: true, result: 'answer' });
  bridgeRpcOverIpc({
    ipcMain,
    dispatch,
    events: new EventHub(),
    target: () => null,
    isTrustedUrl: (url) => url === trusted,
  });
  const invoke = ipcMain.handlers.get(IPC_INVOKE_CHANNEL)!;
  assert.deepEqual(await invoke({ senderFrame: { url: trusted } }, 'kiosk.info', {}), {
    ok: true,
    result: 'answer',
  });
  const refused = (await invoke({ senderFrame: { url: 'https://evil.example/' } }, 'sale.cancel', {})) as {
    ok: boolean;
  };
  assert.equal(refused.ok, false);
  assert.equal(((await invoke({ senderFrame: null }, 'kiosk.info', {})) as { ok: boolean }).ok, false);
  assert.deepEqual(seen, ['kiosk.info']);
});

test('pushed events reach the kiosk window, validated, and stop after the bridge is removed', () => {
  const ipcMain = fakeIpcMain();
  const events = new EventHub();
  const sent: unknown[][] = [];
  const dispose = bridgeRpcOverIpc({
    ipcMain,
    dispatch: async () => ({ ok: true, result: null }),
    events,
    target: () => ({ send: (...args: unknown[]) => void sent.push(args), isDestroyed: () => false }),
    isTrustedUrl: () => true,
  });
  const info = {
    kioskId: 'K1',
    demo: false,
    dispenserLink: 'down' as const,
    support: { phone: null, text: null },
    version: '',
  };
  events.publish('kiosk.updated', info);
  assert.deepEqual(sent, [[IPC_EVENT_CHANNEL, 'kiosk.updated', info]]);
  assert.throws(
    () => events.publish('kiosk.updated', { kioskId: 'K1' } as never),
    'invalid payloads never leave',
  );
  dispose();
  events.publish('kiosk.updated', info);
  assert.equal(sent.length, 1);
  assert.equal(ipcMain.handlers.size, 0);
});
