// Browser host: one websocket to `/rpc` on the page's own origin, authenticated by the per-boot token sent as
// a second subprotocol (browsers cannot set headers on a websocket). Frames are the contract's
// ClientFrame/ServerFrame. The socket is reopened with backoff whenever it drops; calls made while it is down
// fail at once with `unavailable` instead of being queued, so a checkout is never sent twice behind the
// customer's back — the app re-reads `sale.current` after reconnecting instead.
import type { ClientFrame } from '../app/rpc/contract.ts';
import { backoffDelayMs } from './backoff.ts';
import { RpcCallError, toRpcCallError, type ConnectionStatus, type Transport } from './transport.ts';

const RPC_SUBPROTOCOL = 'kiosk-rpc'; // mirrors contract.ts RPC_SUBPROTOCOL (type-only import keeps zod out)
/** A call without an answer this long fails, so the UI never waits forever on a wedged agent. */
const CALL_TIMEOUT_MS = 15_000;

export interface WsTransportOptions {
  readonly url: string;
  readonly token: string;
  readonly callTimeoutMs?: number;
}

interface PendingCall {
  resolve(result: unknown): void;
  reject(error: RpcCallError): void;
  timer: ReturnType<typeof setTimeout>;
}

/** `ws://host/rpc` or `wss://host/rpc` for the page's own origin. */
export function rpcUrlFor(loc: Location): string {
  return `${loc.protocol === 'https:' ? 'wss' : 'ws'}://${loc.host}/rpc`;
}

export function createWsTransport(options: WsTransportOptions): Transport {
  const eventListeners = new Set<(event: string, payload: unknown) => void>();
  const statusListeners = new Set<(status: ConnectionStatus) => void>();
  const pending = new Map<number, PendingCall>();
  const callTimeoutMs = options.callTimeoutMs ?? CALL_TIMEOUT_MS;
  let status: ConnectionStatus = 'connecting';
  let socket: WebSocket | null = null;
  let nextId = 1;
  let attempt = 0;
  let reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  let closed = false;

  const setStatus = (next: ConnectionStatus): void => {
    if (next === status) return;
    status = next;
    for (const listener of statusListeners) listener(next);
  };

  const failPending = (message: string): void => {
    for (const [id, call] of pending) {
      clearTimeout(call.timer);
      pending.delete(id);
      call.reject(new RpcCallError('unavailable', message));
    }
  };

  const onMessage = (data: unknown): void => {
    if (typeof data !== 'string') return;
    let frame: unknown;
    try {
      frame = JSON.parse(data);
    } catch {
      return; // not ours; the agent only sends JSON
    }
    if (typeof frame !== 'object' || frame === null) return;
    attempt = 0; // the agent answered: the link is really up, so the next drop starts from a short delay
    const f = frame as {
      id?: unknown;
      ok?: unknown;
      result?: unknown;
      error?: unknown;
      event?: unknown;
      payload?: unknown;
    };
    if (typeof f.id === 'number') {
      const call = pending.get(f.id);
      if (call === undefined) return;
      pending.delete(f.id);
      clearTimeout(call.timer);
      if (f.ok === true) call.resolve(f.result);
      else call.reject(toRpcCallError(f.error));
    } else if (typeof f.event === 'string') {
      for (const listener of eventListeners) listener(f.event, f.payload);
    }
  };

  const scheduleReconnect = (): void => {
    if (closed || reconnectTimer !== null) return;
    const delay = backoffDelayMs(attempt);
    attempt += 1;
    reconnectTimer = setTimeout(() => {
      reconnectTimer = null;
      open();
    }, delay);
  };

  function open(): void {
    if (closed) return;
    let ws: WebSocket;
    try {
      ws = new WebSocket(options.url, [RPC_SUBPROTOCOL, `token.${options.token}`]);
    } catch {
      scheduleReconnect();
      return;
    }
    socket = ws;
    ws.addEventListener('open', () => {
      if (socket === ws) setStatus('connected');
    });
    ws.addEventListener('message', (event: MessageEvent) => {
      if (socket === ws) onMessage(event.data);
    });
    ws.addEventListener('close', () => {
      if (socket !== ws) return;
      socket = null;
      failPending('connection to the kiosk agent was lost');
      if (closed) return;
      setStatus('reconnecting');
      scheduleReconnect();
    });
  }

  open();

  return {
    invoke: (channel, payload) =>
      new Promise<unknown>((resolve, reject) => {
        const ws = socket;
        if (ws === null || ws.readyState !== WebSocket.OPEN) {
          reject(new RpcCallError('unavailable', 'not connected to the kiosk agent'));
          return;
        }
        const id = nextId++;
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new RpcCallError('unavailable', `no answer to ${channel}`));
        }, callTimeoutMs);
        pending.set(id, { resolve, reject, timer });
        const frame: ClientFrame = { id, channel, payload };
        ws.send(JSON.stringify(frame));
      }),
    onEvent: (listener) => {
      eventListeners.add(listener);
      return () => eventListeners.delete(listener);
    },
    onStatus: (listener) => {
      statusListeners.add(listener);
      listener(status);
      return () => statusListeners.delete(listener);
    },
    close: () => {
      closed = true;
      if (reconnectTimer !== null) clearTimeout(reconnectTimer);
      failPending('closed');
      socket?.close();
      socket = null;
    },
  };
}
