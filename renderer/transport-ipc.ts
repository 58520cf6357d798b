// Electron host: the sandboxed preload exposes `window.kioskRpc` through contextBridge. IPC has no connection
// to lose, so the status is always `connected`.
import { toRpcCallError, type ConnectionStatus, type Transport } from './transport.ts';

/** The object the preload exposes (main/ owns the other side). */
export interface KioskRpcBridge {
  invoke(channel: string, payload: unknown): Promise<unknown>;
  onEvent(listener: (event: string, payload: unknown) => void): () => void;
}

export function findIpcBridge(win: Window): KioskRpcBridge | null {
  const candidate = (win as Window & { kioskRpc?: unknown }).kioskRpc;
  if (typeof candidate !== 'object' || candidate === null) return null;
  const { invoke, onEvent } = candidate as Partial<KioskRpcBridge>;
  return typeof invoke === 'function' && typeof onEvent === 'function' ? (candidate as KioskRpcBridge) : null;
}

export function createIpcTransport(bridge: KioskRpcBridge): Transport {
  const unsubscribers: (() => void)[] = [];
  return {
    invoke: async (channel, payload) => {
      try {
        return await bridge.invoke(channel, payload);
      } catch (reason) {
        throw toRpcCallError(reason);
      }
    },
    onEvent: (listener) => {
      const off = bridge.onEvent(listener);
      unsubscribers.push(off);
      return off;
    },
    onStatus: (listener: (status: ConnectionStatus) => void) => {
      listener('connected');
      return () => {};
    },
    close: () => {
      for (const off of unsubscribers.splice(0)) off();
    },
  };
}
