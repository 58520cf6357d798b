// The one place where UI requests enter the agent: the channel must exist in the contract, the payload must
// parse with the channel's schema, and the handler's answer must parse with the response schema before it
// leaves. Both hosts (browser websocket, Electron IPC) call this and nothing else.
import type { z } from 'zod';
import {
  requestChannels,
  type RequestChannel,
  type ResponseOf,
  type RpcError,
  type RpcErrorCode,
} from './contract.ts';

export type RpcHandlers = {
  readonly [C in RequestChannel]: (
    request: z.output<(typeof requestChannels)[C]['request']>,
  ) => Promise<ResponseOf<C>>;
};

export type RpcResult =
  { readonly ok: true; readonly result: unknown } | { readonly ok: false; readonly error: RpcError };

/** Thrown by handlers to answer with a specific error code and a message safe to show. */
export class RpcFailure extends Error {
  override readonly name = 'RpcFailure';
  constructor(
    readonly code: RpcErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export type RpcDispatch = (channel: string, payload: unknown) => Promise<RpcResult>;

export function createDispatcher(handlers: RpcHandlers, log: (line: string) => void = () => {}): RpcDispatch {
  return async (channel, payload) => {
    if (!Object.hasOwn(requestChannels, channel)) {
      return fail('unknown_channel', `no such channel: ${String(channel).slice(0, 64)}`);
    }
    const name = channel as RequestChannel;
    const spec = requestChannels[name];
    const parsed = spec.request.safeParse(payload ?? {});
    if (!parsed.success) {
      return fail(
        'bad_request',
        parsed.error.issues.map((i) => `${i.path.join('.') || '(payload)'}: ${i.message}`).join('; '),
      );
    }
    try {
      const handler = handlers[name] as (req: unknown) => Promise<unknown>;
      const result = await handler(parsed.data);
      const checked = spec.response.safeParse(result);
      if (!checked.success) {
        log(`rpc ${name}: handler answered outside the contract: ${checked.error.message}`);
        return fail('internal', 'the agent produced an invalid answer');
      }
      return { ok: true, result: checked.data };
    } catch (err) {
      if (err instanceof RpcFailure) return fail(err.code, err.message);
      log(`rpc ${name} failed: ${(err as Error).stack ?? String(err)}`);
      return fail('internal', 'internal error');
    }
  };
}

function fail(code: RpcErrorCode, message: string): RpcResult {
  return { ok: false, error: { code, message } };
}
