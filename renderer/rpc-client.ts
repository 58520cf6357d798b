// The typed face of the UI contract. Channel names, payloads and results are checked at compile time against
// app/rpc/contract.ts (imported for types only: zod never enters the bundle). The agent validates every
// response against the same contract before sending it, so results are trusted here as typed.
import type { EventChannel, EventOf, RequestChannel, RequestOf, ResponseOf } from '../app/rpc/contract.ts';
import type { ConnectionStatus, Transport } from './transport.ts';

export interface RpcClient {
  invoke<C extends RequestChannel>(channel: C, payload: RequestOf<C>): Promise<ResponseOf<C>>;
  on<E extends EventChannel>(event: E, cb: (payload: EventOf<E>) => void): () => void;
  onStatus(cb: (status: ConnectionStatus) => void): () => void;
  close(): void;
}

export function createRpcClient(transport: Transport): RpcClient {
  return {
    invoke: async <C extends RequestChannel>(channel: C, payload: RequestOf<C>): Promise<ResponseOf<C>> =>
      (await transport.invoke(channel, payload)) as ResponseOf<C>,
    on: <E extends EventChannel>(event: E, cb: (payload: EventOf<E>) => void): (() => void) =>
      transport.onEvent((name, payload) => {
        if (name === event) cb(payload as EventOf<E>);
      }),
    onStatus: (cb) => transport.onStatus(cb),
    close: () => transport.close(),
  };
}
