// What the rpc client needs from a carrier: the Electron preload bridge and the browser-host websocket both
// fit this shape, so everything above it is host-agnostic.
import type { RpcError, RpcErrorCode } from '../app/rpc/contract.ts';

export type ConnectionStatus = 'connecting' | 'connected' | 'reconnecting';

export interface Transport {
  /** Sends one request; rejects with RpcCallError. */
  invoke(channel: string, payload: unknown): Promise<unknown>;
  /** Subscribes to pushed events; returns the unsubscribe function. */
  onEvent(listener: (event: string, payload: unknown) => void): () => void;
  /** Subscribes to link status; the listener is called at once with the current status. */
  onStatus(listener: (status: ConnectionStatus) => void): () => void;
  close(): void;
}

/** A failed call, with the contract's stable error code. */
export class RpcCallError extends Error implements RpcError {
  constructor(
    readonly code: RpcErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'RpcCallError';
  }
}

// A record, not a list, so that a code added to the contract fails to compile here until it is listed.
const ERROR_CODE_SET: Readonly<Record<RpcErrorCode, true>> = {
  bad_request: true,
  unknown_channel: true,
  unauthorized: true,
  unavailable: true,
  conflict: true,
  internal: true,
};
const ERROR_CODES = Object.keys(ERROR_CODE_SET) as readonly RpcErrorCode[];

/** Turns whatever a carrier rejected with into an RpcCallError (unknown shapes become `internal`). */
export function toRpcCallError(reason: unknown): RpcCallError {
  if (reason instanceof RpcCallError) return reason;
  if (typeof reason === 'object' && reason !== null) {
    const { code, message } = reason as { code?: unknown; message?: unknown };
    const text = typeof message === 'string' ? message : 'request failed';
    if (typeof code === 'string' && (ERROR_CODES as readonly string[]).includes(code)) {
      return new RpcCallError(code as RpcErrorCode, text);
    }
    return new RpcCallError('internal', text);
  }
  return new RpcCallError('internal', 'request failed');
}
