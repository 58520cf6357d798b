// Raw-HTTP fuzz against a running notify-relay process: random request lines, headers, bodies (plain and
// chunked), upgrade attempts and pipelined requests, seeded so a failure can be replayed. Every connection
// must end with an answer that starts with a valid HTTP status line, the process must stay alive, and its
// memory must stay flat.
import fs from 'node:fs';
import net from 'node:net';
import { KIOSKS, signedNotify } from '../backend-bridge/helpers.ts';
import { startRelayProcess } from '../backend-bridge/relay-process.ts';
import { seededRandom } from '../../sim/vmc/faults.ts';

export interface RelayFuzzStats {
  seed: number;
  requests: number;
  statuses: Record<string, number>;
  /** Relay resident memory (kB) after the first tenth of the run and at the end. */
  rssWarmKb: number;
  rssEndKb: number;
  /** ... and after each tenth of the run (the curve: a leak climbs to the end, a warm-up levels off). */
  rssKbByTenth: number[];
  alive: boolean;
  failures: string[];
}

const [k1] = KIOSKS as [(typeof KIOSKS)[number]];

class Gen {
  readonly #rand: () => number;
  readonly #notifies: string[];
  constructor(seed: number, notifies: string[]) {
    this.#rand = seededRandom(seed);
    this.#notifies = notifies;
  }
  int(n: number): number {
    return Math.floor(this.#rand() * n);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T;
  }
  bytes(n: number): string {
    let s = '';
    for (let i = 0; i < n; i++) s += String.fromCharCode(this.int(256));
    return s;
  }

  target(): string {
    return this.pick([
      '/alipay/notify',
      '/alipay/notify?x=1',
      '/healthz',
      '/readyz',
      '/metrics',
      '/v1/kiosks/K1/stream',
      `/v1/kiosks/K1/events?after=${this.int(5)}&wait=${this.int(2)}`,
      '/v1/kiosks/K1/events?after=-1',
      '/v1/kiosks/K1/outbox',
      `/v1/kiosks/${this.bytes(3).replace(/[^A-Za-z0-9]/g, 'x')}/events`,
      '//[',
      '//[/../v1/kiosks/K1/stream',
      '*',
      'http://[',
      'http://relay/alipay/notify',
      '/%ZZ',
      `/${'a'.repeat(this.int(9000))}`,
      this.bytes(this.int(20)),
      '',
    ]);
  }

  header(): string {
    const form = 'application/x-www-form-urlencoded';
    return this.pick([
      `Content-Type: ${this.pick([form, `${form}; charset=utf-8`, 'application/json', 'text/plain', this.bytes(8)])}`,
      `Content-Length: ${this.pick(['0', '5', '100', '-1', '99999999999', 'abc', '1, 2'])}`,
      'Transfer-Encoding: chunked',
      `Transfer-Encoding: ${this.pick(['gzip, chunked', 'chunked, identity', 'x'])}`,
      'Upgrade: websocket',
      'Connection: Upgrade',
      `Connection: ${this.pick(['close', 'keep-alive', 'Upgrade, keep-alive'])}`,
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
      `Sec-WebSocket-Version: ${this.pick(['13', '8', 'x'])}`,
      `Authorization: Bearer ${this.pick([k1.token, 'wrong', '', this.bytes(10)])}`,
      `X-Forwarded-For: ${this.pick(['1.2.3.4', '', 'a, b, c', this.bytes(6)])}`,
      `X-Big: ${'b'.repeat(this.pick([10, 4000, 20_000]))}`,
      `${this.bytes(this.int(8))}: ${this.bytes(this.int(16))}`,
      'Expect: 100-continue',
    ]);
  }

  body(chunked: boolean): string {
    const text = this.pick([
      '',
      this.pick(this.#notifies),
      `\uFEFF${this.pick(this.#notifies)}`,
      `${this.pick(this.#notifies)}&gmt_refund=`,
      'a=1&a=2',
      '{"events":[{"id":"1","type":"t","at":"x","data":1}]}',
      '{"events":',
      this.bytes(this.int(300)),
    ]);
    if (!chunked) return text;
    const mode = this.int(4);
    if (mode === 0) return `${this.bytes(4)}\r\n${text}`;
    const size = mode === 1 ? text.length + this.int(5) : text.length;
    return `${size.toString(16)}\r\n${text}\r\n0\r\n\r\n`;
  }

  /** A request a real client could send (notify, long-poll, outbox, stream), for the paths behind parsing. */
  wellFormed(): string {
    const auth = `Authorization: Bearer ${this.int(4) === 0 ? 'wrong' : k1.token}`;
    switch (this.int(4)) {
      case 0: {
        const body = this.body(false);
        const type = this.pick(['application/x-www-form-urlencoded', 'text/plain']);
        return `POST /alipay/notify HTTP/1.1\r\nHost: relay\r\nConnection: close\r\nContent-Type: ${type}\r\nContent-Length: ${Buffer.byteLength(body, 'latin1')}\r\n\r\n${body}`;
      }
      case 1:
        return `GET /v1/kiosks/K1/events?after=${this.int(3)}&wait=0 HTTP/1.1\r\nHost: relay\r\nConnection: close\r\n${auth}\r\n\r\n`;
      case 2: {
        const body = this.body(false);
        return `POST /v1/kiosks/K1/outbox HTTP/1.1\r\nHost: relay\r\nConnection: close\r\n${auth}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body, 'latin1')}\r\n\r\n${body}`;
      }
      default:
        return `GET /v1/kiosks/K1/stream HTTP/1.1\r\nHost: relay\r\n${auth}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`;
    }
  }

  request(): string {
    if (this.int(3) === 0) return this.wellFormed();
    const method =
      this.int(5) === 0
        ? this.pick(['PRI', this.bytes(4), '', 'get'])
        : this.pick(['GET', 'POST', 'PUT', 'HEAD', 'OPTIONS', 'DELETE']);
    const version =
      this.int(6) === 0 ? this.pick(['HTTP/1.0', 'HTTP/2.0', 'HTTP/9', this.bytes(3)]) : 'HTTP/1.1';
    const headers = Array.from({ length: this.int(5) }, () => this.header());
    if (this.int(3) > 0) headers.unshift('Host: relay');
    const chunked = headers.includes('Transfer-Encoding: chunked');
    const body = this.body(chunked);
    if (!chunked && this.int(2) === 0) headers.push(`Content-Length: ${Buffer.byteLength(body, 'latin1')}`);
    const eol = this.int(20) === 0 ? '\n' : '\r\n';
    const head = `${method} ${this.target()} ${version}${eol}${headers.join(eol)}${eol}${eol}`;
    // Now and then the request stops short, as a slow or broken client would.
    const whole = head + body;
    return this.int(15) === 0 ? whole.slice(0, this.int(whole.length + 1)) : whole;
  }
}

const STATUS_LINE = /^HTTP\/1\.[01] [1-5][0-9]{2} /;

/** Sends one connection's worth of requests; resolves with what the relay answered before it closed. */
function exchange(port: number, payload: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    const chunks: Buffer[] = [];
    const done = (): void => resolve(Buffer.concat(chunks).toString('latin1'));
    socket.on('data', (d: Buffer) => {
      chunks.push(d);
      // A stream that opened (a valid token got through) stays open by design: the client leaves.
      if (d.toString('latin1', 0, 12) === 'HTTP/1.1 101') socket.destroy();
    });
    socket.on('error', () => {});
    socket.on('close', done);
    socket.write(payload, 'latin1');
  });
}

function rssKb(pid: number): number {
  const m = /VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : 0;
}

export async function runRelayHttpFuzz(
  requests: number,
  seed: number = Date.now() % 2 ** 31,
  concurrency = 64,
): Promise<RelayFuzzStats> {
  const relay = await startRelayProcess({
    limits: {
      headersTimeoutMs: 300,
      requestTimeoutMs: 600,
      keepAliveTimeoutMs: 100,
      maxNotifyBytes: 16 * 1024,
      badNotifiesPerMinute: 1_000_000,
    },
  });
  const notifies = Array.from({ length: 8 }, (_, i) =>
    signedNotify({ out_trade_no: `K1_fuzz-${seed}-${i}` }),
  );
  const gen = new Gen(seed, notifies);
  const stats: RelayFuzzStats = {
    seed,
    requests: 0,
    statuses: {},
    rssWarmKb: 0,
    rssEndKb: 0,
    rssKbByTenth: [],
    alive: false,
    failures: [],
  };
  try {
    const pid = relay.child.pid ?? 0;
    const worker = async (): Promise<void> => {
      while (stats.requests < requests && stats.failures.length < 10) {
        stats.requests++;
        const n = stats.requests;
        const pipelined = gen.int(10) === 0 ? 2 + gen.int(3) : 1;
        const payload = Array.from({ length: pipelined }, () => gen.request()).join('');
        const answer = await exchange(relay.port, payload);
        const status = answer.slice(9, 12);
        stats.statuses[status] = (stats.statuses[status] ?? 0) + 1;
        if (!STATUS_LINE.test(answer)) {
          stats.failures.push(
            `request ${n}: ${JSON.stringify(payload.slice(0, 200))} → ${JSON.stringify(answer.slice(0, 80))}`,
          );
        }
        if (n % Math.max(1, Math.floor(requests / 10)) === 0 && stats.rssKbByTenth.length < 10)
          stats.rssKbByTenth.push(rssKb(pid));
        if (n === Math.floor(requests / 10)) stats.rssWarmKb = stats.rssKbByTenth[0] ?? rssKb(pid);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    stats.rssEndKb = rssKb(pid);
    stats.alive = relay.child.exitCode === null && (await fetch(`${relay.url}/healthz`)).status === 200;
  } finally {
    await relay.stop();
  }
  return stats;
}

/** Memory that grows by more than this over the run (after warm-up) is a leak, not noise. */
const RSS_GROWTH_LIMIT_KB = 64 * 1024;

/** Throws with the seed when the run broke any rule (a request without a valid answer, death, a leak). */
export function assertRelayFuzzHeld(stats: RelayFuzzStats): void {
  const where = `seed ${stats.seed}`;
  if (stats.failures.length > 0)
    throw new Error(`${where}: answers without a status line:\n${stats.failures.join('\n')}`);
  if (!stats.alive) throw new Error(`${where}: the relay did not survive`);
  if (stats.rssEndKb - stats.rssWarmKb > RSS_GROWTH_LIMIT_KB) {
    throw new Error(`${where}: relay memory grew from ${stats.rssWarmKb} kB to ${stats.rssEndKb} kB`);
  }
}
