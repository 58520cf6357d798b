// Serves the rpc contract over Electron IPC without importing electron: main/ passes the real ipcMain and the
// kiosk window's webContents, tests pass fakes. Requests from any frame not loaded from the kiosk's own
// renderer are refused (Electron security checklist item 17: validate the sender of every IPC message).
import { IPC_EVENT_CHANNEL, IPC_INVOKE_CHANNEL } from '../rpc/ipc-channels.ts';
import type { RpcDispatch, RpcResult } from '../rpc/dispatcher.ts';
import type { EventHub } from '../rpc/event-hub.ts';

export interface IpcInvokeEventLike {
  readonly senderFrame: { readonly url: string } | null;
}

export interface IpcMainLike {
  handle(
    channel: string,
    listener: (event: IpcInvokeEventLike, ...args: unknown[]) => Promise<unknown>,
  ): void;
  removeHandler(channel: string): void;
}

export interface WebContentsLike {
  send(channel: string, ...args: unknown[]): void;
  isDestroyed(): boolean;
}

export interface IpcBridgeOptions {
  readonly ipcMain: IpcMainLike;
  readonly dispatch: RpcDispatch;
  readonly events: EventHub;
  /** The window that receives pushed events (null while none is open). */
  readonly target: () => WebContentsLike | null;
  /** True only for URLs of the kiosk's own renderer. */
  readonly isTrustedUrl: (url: string) => boolean;
}

export function bridgeRpcOverIpc(options: IpcBridgeOptions): () => void {
  options.ipcMain.handle(IPC_INVOKE_CHANNEL, async (event, channel, payload): Promise<RpcResult> => {
    const url = event.senderFrame?.url ?? '';
    if (!options.isTrustedUrl(url)) {
      return {
        ok: false,
        error: { code: 'bad_request', message: 'request from an untrusted frame refused' },
      };
    }
    return options.dispatch(String(channel), payload);
  });
  const unsubscribe = options.events.subscribe((event, payload) => {
    const target = options.target();
    if (target && !target.isDestroyed()) target.send(IPC_EVENT_CHANNEL, event, payload);
  });
  return () => {
    unsubscribe();
    options.ipcMain.removeHandler(IPC_INVOKE_CHANNEL);
  };
}
