// Load for a running relay from outside: signed notifies, kiosk websockets that ack at once and note when
// each event arrived, and POSTs each on its own connection, as Alipay sends them. Shared by the relay suites.
import { randomBytes, type KeyObject } from 'node:crypto';
import WebSocket from 'ws';
import { notifySignContent, signContent } from '../../app/alipay/index.ts';
import { nowMs } from './figures.ts';
import { postTarget, rawPost } from './raw-post.ts';

const FORM_UTF8 = 'application/x-www-form-urlencoded; charset=utf-8';

export const APP_ID = '2021000000000099';
/** The environment variable every benchmark kiosk's token is read from (one token for all of them). */
export const TOKEN_ENV = 'BENCH_RELAY_KIOSK_TOKEN';

/** notify-relay's flags for a benchmark: any port, our app id and Alipay key, the kiosks, then `extra`. */
export function relayArgs(
  publicKeyFile: string,
  kioskIds: readonly string[],
  extra: readonly string[],
): string[] {
  return [
    ...extra,
    '--port',
    '0',
    '--app-id',
    APP_ID,
    '--alipay-public-key',
    publicKeyFile,
    ...kioskIds.flatMap((id) => ['--kiosk', `${id}:env:${TOKEN_ENV}`]),
  ];
}

export function signedNotify(key: KeyObject, kiosk: string, i: number): { outTradeNo: string; body: string } {
  const outTradeNo = `${kiosk}_${i}_${randomBytes(4).toString('hex')}`;
  const params: Record<string, string> = {
    notify_type: 'trade_status_sync',
    notify_id: randomBytes(16).toString('hex'),
    notify_time: '2026-01-01 12:00:00',
    app_id: APP_ID,
    out_trade_no: outTradeNo,
    trade_no: `2026${i}`,
    trade_status: 'TRADE_SUCCESS',
    total_amount: '3.50',
    sign_type: 'RSA2',
  };
  params['sign'] = signContent(notifySignContent(params), key);
  return { outTradeNo, body: new URLSearchParams(params).toString() };
}

/** The out_trade_no inside a relayed event's body (the raw notify, form-encoded or JSON). */
function outTradeNoOf(body: string): string | undefined {
  // A form body (what Alipay sends) is neither tried as JSON first (a SyntaxError per event) nor parsed whole:
  // the load generator's CPU is taken from the relay it measures.
  if (!body.startsWith('{')) {
    const value = /(?:^|&)out_trade_no=([^&]*)/.exec(body)?.[1];
    return value === undefined ? undefined : decodeURIComponent(value.replace(/\+/g, ' '));
  }
  try {
    const parsed = JSON.parse(body) as Record<string, unknown>;
    const v =
      parsed['out_trade_no'] ?? (parsed['params'] as Record<string, unknown> | undefined)?.['out_trade_no'];
    return typeof v === 'string' ? v : undefined;
  } catch {
    return new URLSearchParams(body).get('out_trade_no') ?? undefined;
  }
}

export async function connectKiosks(
  relayUrl: string,
  ids: readonly string[],
  token: string,
  onEvent: (outTradeNo: string, at: number) => void,
): Promise<WebSocket[]> {
  const sockets: WebSocket[] = [];
  const open = (id: string) =>
    new Promise<WebSocket>((resolve, reject) => {
      const ws = new WebSocket(`${relayUrl.replace(/^http/, 'ws')}/v1/kiosks/${id}/stream`, {
        headers: { authorization: `Bearer ${token}` },
        perMessageDeflate: false,
      });
      ws.once('open', () => {
        ws.send(JSON.stringify({ type: 'hello', lastSeq: 0 }));
        resolve(ws);
      });
      // Before open an error fails the run; after it, a reset at shutdown is expected and ignored.
      ws.once('error', reject);
      ws.once('open', () => ws.on('error', () => {}));
      ws.on('message', (data) => {
        const at = nowMs();
        const frame = JSON.parse(data.toString()) as { type?: string; seq?: number; body?: string };
        if (frame.type !== 'event' || typeof frame.seq !== 'number') return;
        ws.send(JSON.stringify({ type: 'ack', seq: frame.seq }));
        const no = outTradeNoOf(frame.body ?? '');
        if (no) onEvent(no, at);
      });
    });
  // In batches: a real fleet reconnects gradually, and the kernel's accept queue is finite.
  for (let i = 0; i < ids.length; i += 200)
    sockets.push(...(await Promise.all(ids.slice(i, i + 200).map(open))));
  return sockets;
}

/** When each notify's event reached its kiosk, and who waits for which. */
export class Arrivals {
  readonly #at = new Map<string, number>();
  readonly #waiters = new Map<string, (at: number) => void>();
  arrived(outTradeNo: string, at: number): void {
    if (this.#at.has(outTradeNo)) return; // a replay after reconnect: the first arrival counts
    this.#at.set(outTradeNo, at);
    this.#waiters.get(outTradeNo)?.(at);
  }
  when(outTradeNo: string): Promise<number> {
    const at = this.#at.get(outTradeNo);
    return at !== undefined ? Promise.resolve(at) : new Promise((r) => this.#waiters.set(outTradeNo, r));
  }
}

/**
 * POSTs every notify, `concurrency` at a time, the i-th to relayUrls[i % n] (a fleet behind a balancer);
 * resolves with each one's POST → kiosk latency.
 */
export async function deliver(
  relayUrls: readonly string[],
  batch: ReadonlyArray<{ outTradeNo: string; body: string }>,
  concurrency: number,
  arrivals: Arrivals,
): Promise<number[]> {
  const latencies: Array<Promise<number>> = [];
  // Each on its own connection, as Alipay's sender makes them (raw-post.ts).
  const targets = relayUrls.map((u) => postTarget(`${u}/alipay/notify`));
  let next = 0;
  const sender = async () => {
    while (next < batch.length) {
      const i = next++;
      const n = batch[i]!;
      const sentAt = nowMs();
      latencies.push(arrivals.when(n.outTradeNo).then((at) => at - sentAt));
      const answer = await rawPost(targets[i % targets.length]!, FORM_UTF8, n.body);
      if (answer.status !== 200 || answer.body !== 'success')
        throw new Error(`relay answered ${answer.status} ${answer.body}`);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, sender));
  return Promise.all(latencies);
}
