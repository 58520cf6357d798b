// The kiosk window's preload (sandboxed, context-isolated). It exposes exactly one object, `window.kioskRpc`,
// with one function per direction; the renderer never sees ipcRenderer itself (Electron context-isolation
// guide: never expose ipcRenderer.send). Bundled to dist/main/preload.cjs because sandboxed preloads cannot
// require project files.
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { IPC_EVENT_CHANNEL, IPC_INVOKE_CHANNEL } from '../app/rpc/ipc-channels.ts';

type RpcResult = { ok: true; result: unknown } | { ok: false; error: { code: string; message: string } };

contextBridge.exposeInMainWorld('kioskRpc', {
  invoke: async (channel: string, payload: unknown): Promise<unknown> => {
    const answer = (await ipcRenderer.invoke(IPC_INVOKE_CHANNEL, String(channel), payload)) as RpcResult;
    if (answer.ok) return answer.result;
    // A plain object survives the context bridge with its fields; an Error would keep only its message.
    throw { code: answer.error.code, message: answer.error.message };
  },
  onEvent: (listener: (event: string, payload: unknown) => void): (() => void) => {
    const wrapped = (_e: IpcRendererEvent, event: string, payload: unknown) => listener(event, payload);
    ipcRenderer.on(IPC_EVENT_CHANNEL, wrapped);
    return () => ipcRenderer.removeListener(IPC_EVENT_CHANNEL, wrapped);
  },
});
