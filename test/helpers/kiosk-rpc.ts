// Talks to a running agent's browser host the way its screen does: the rpc contract over the loopback
// websocket, authenticated with the per-boot token from the screen URL.
import WebSocket from 'ws';
import { RPC_SUBPROTOCOL, type RpcError } from '../../app/rpc/contract.ts';
import { waitFor } from './agent-harness.ts';

export interface KioskRpc {
  invoke<T>(channel: string, payload?: unknown): Promise<T>;
  /** Calls `listener` with every event the agent pushes (sale.updated, kiosk.updated). */
  onEvent(listener: (event: string, payload: unknown) => void): void;
  close(): void;
}

export async function connectKioskRpc(screenUrl: string): Promise<KioskRpc> {
  const url = new URL(screenUrl);
  const token = url.hash.replace('#token=', '');
  const ws = new WebSocket(`ws://${url.host}/rpc`, [RPC_SUBPROTOCOL, `token.${token}`], {
    origin: url.origin,
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  let next = 1;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  const eventListeners: Array<(event: string, payload: unknown) => void> = [];
  ws.on('message', (data) => {
    const frame = JSON.parse(data.toString()) as {
      id?: number;
      ok?: boolean;
      result?: unknown;
      error?: RpcError;
      event?: string;
      payload?: unknown;
    };
    if (frame.event !== undefined) for (const l of eventListeners) l(frame.event, frame.payload);
    if (frame.id === undefined) return;
    const waiter = pending.get(frame.id);
    pending.delete(frame.id);
    if (frame.ok) waiter?.resolve(frame.result);
    else waiter?.reject(new Error(`${frame.error?.code}: ${frame.error?.message}`));
  });
  ws.on('close', () => {
    for (const w of pending.values()) w.reject(new Error('agent connection closed'));
    pending.clear();
  });
  return {
    invoke: <T>(channel: string, payload: unknown = {}) =>
      new Promise<T>((resolve, reject) => {
        const id = next++;
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
        ws.send(JSON.stringify({ id, channel, payload }));
      }),
    onEvent: (listener) => eventListeners.push(listener),
    close: () => ws.close(),
  };
}

/** Resolves once the agent says its board link is up (kiosk.info), as the screen would see it. */
export async function waitForBoardLink(rpc: KioskRpc, context: () => string = () => ''): Promise<void> {
  await waitFor(
    async () => (await rpc.invoke<{ dispenserLink: string }>('kiosk.info')).dispenserLink === 'up',
    'the board link',
    context,
    30_000,
  );
}
