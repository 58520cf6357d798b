// A seeded raw-HTTP fuzz of the browser host: request lines, paths (broken percent-encoding, NUL, `//[`,
// climbs out of the renderer), headers, bodies, websocket upgrades with and without the token, and random
// frames on an authenticated rpc connection — written straight onto TCP sockets, so nothing a client library
// would refuse to send is left out. The host must answer or close each exchange and keep serving.
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { pick, randomInt, seededRandom, type Random } from '../helpers/seeded-random.ts';

export interface BrowserHostFuzzStats {
  readonly seed: number;
  readonly requests: number;
  readonly connections: number;
  readonly websocketFrames: number;
  /** Answers by status code ("none" = the host closed the connection without one). */
  readonly statuses: Readonly<Record<string, number>>;
}

type Rand = Random;
const int = randomInt;
const bytes = (r: Rand, n: number) => Buffer.from(Array.from({ length: n }, () => int(r, 256)));

const METHODS = [
  'GET',
  'GET',
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'DELETE',
  'OPTIONS',
  'CONNECT',
  'TRACE',
  'G\x00T',
  '',
];
const PATH_PARTS = [
  '/',
  '/index.html',
  '/healthz',
  '/rpc',
  '/%E0%A4%A',
  '/%',
  '/%zz',
  '/%00',
  '/%C0%AE%C0%AE/',
  '/..',
  '/../..',
  '/%2e%2e/%2e%2e/etc/passwd',
  '//[',
  '//[::1',
  '//a:b@c',
  '/?%',
  '/#x',
  '*',
  'http://[',
  'http://127.0.0.1/',
  '/\u00e9\u4e2d',
  '/\\..\\',
];

function path(r: Rand): string {
  const parts = Array.from({ length: 1 + int(r, 3) }, () =>
    r() < 0.7 ? pick(r, PATH_PARTS) : `%${int(r, 256).toString(16)}${r() < 0.3 ? '' : 'A'}`,
  );
  let p = parts.join('');
  if (r() < 0.05) p += 'x'.repeat(int(r, 20_000));
  return p;
}

function header(r: Rand, token: string, origin: string): string {
  return pick(r, [
    `Host: ${pick(r, ['127.0.0.1', '', 'evil.example', '[', 'a'.repeat(300)])}`,
    `Origin: ${pick(r, [origin, 'http://evil.example', 'null', '', '%'])}`,
    'Connection: Upgrade',
    'Upgrade: websocket',
    `Sec-WebSocket-Version: ${pick(r, ['13', '8', 'x', ''])}`,
    `Sec-WebSocket-Key: ${pick(r, ['dGhlIHNhbXBsZSBub25jZQ==', '', '!!!'])}`,
    `Sec-WebSocket-Protocol: ${pick(r, ['kiosk-rpc', `kiosk-rpc, token.${token}`, 'token.', `token.${'0'.repeat(64)}`, ',,,'])}`,
    `Content-Length: ${pick(r, ['0', '5', '-1', '99999999999999999999', 'x', '1, 2'])}`,
    'Transfer-Encoding: chunked',
    `X-${int(r, 1000)}: ${bytes(r, int(r, 40))
      .toString('latin1')
      .replace(/[\r\n]/g, '')}`,
    `${bytes(r, 1 + int(r, 10))
      .toString('latin1')
      .replace(/[\r\n:]/g, '')}: v`,
    'Expect: 100-continue',
    `Cookie: ${'a'.repeat(int(r, 9000))}`,
  ]);
}

/** One raw request: mostly HTTP-shaped, sometimes raw bytes. */
function request(r: Rand, token: string, origin: string): Buffer {
  if (r() < 0.05) return bytes(r, 1 + int(r, 512));
  const line = `${pick(r, METHODS)} ${path(r)} ${pick(r, ['HTTP/1.1', 'HTTP/1.1', 'HTTP/1.0', 'HTTP/2.0', 'HTTP/x', ''])}`;
  const headers = Array.from({ length: int(r, 6) }, () => header(r, token, origin));
  const eol = r() < 0.95 ? '\r\n' : pick(r, ['\n', '\r', '\r\r\n']);
  const body = r() < 0.2 ? bytes(r, int(r, 200)).toString('latin1') : '';
  return Buffer.from(`${line}${eol}${headers.join(eol)}${eol}${eol}${body}`, 'latin1');
}

/** A websocket frame from a client: masked (as clients must) or not, any opcode, any length claim. */
function frame(r: Rand): Buffer {
  const payload =
    r() < 0.6
      ? Buffer.from(
          pick(r, [
            () => JSON.stringify({ id: int(r, 1e6), channel: pick(r, CHANNELS), payload: junkValue(r, 3) }),
            () => JSON.stringify(junkValue(r, 4)),
            () => `{"id":${int(r, 10)},"channel":"kiosk.info"`,
            () => bytes(r, int(r, 300)).toString('latin1'),
          ])(),
          'latin1',
        )
      : bytes(r, int(r, 300));
  const fin = r() < 0.9 ? 0x80 : 0;
  const opcode = r() < 0.8 ? pick(r, [1, 1, 1, 2, 8, 9, 10]) : int(r, 16);
  const masked = r() < 0.95;
  const head: number[] = [fin | opcode];
  const lengthByte = (masked ? 0x80 : 0) | 0;
  if (payload.length < 126) head.push(lengthByte | payload.length);
  else head.push(lengthByte | 126, payload.length >> 8, payload.length & 0xff);
  if (r() < 0.02) head[1] = (head[1] ?? 0) | 127; // a length claim that does not match
  const mask = bytes(r, 4);
  const body = masked ? Buffer.from(payload.map((b, i) => b ^ (mask[i % 4] ?? 0))) : payload;
  return Buffer.concat([Buffer.from(head), masked ? mask : Buffer.alloc(0), body]);
}

// Channels that cannot start a sale or move a motor: the fuzz must not leave an order open or empty a lane.
const CHANNELS = [
  'kiosk.info',
  'catalog.list',
  'sale.current',
  'sale.cancel',
  'maintenance.unlock',
  'maintenance.lock',
  'maintenance.overview',
  'maintenance.laneStatus',
  'nope',
  '__proto__',
  'constructor',
  '',
];

function junkValue(r: Rand, depth: number): unknown {
  const kind = depth <= 0 ? int(r, 5) : int(r, 7);
  switch (kind) {
    case 0:
      return null;
    case 1:
      return pick(r, [0, -1, 1e308, 2 ** 53, 0.5]);
    case 2:
      return pick(r, ['', 'x', '__proto__', '\u0000', 'a'.repeat(int(r, 2000))]);
    case 3:
      return r() < 0.5;
    case 4:
      return { outTradeNo: pick(r, ['', 'K42_1', 'x'.repeat(100)]), pin: String(int(r, 1e6)) };
    case 5:
      return Array.from({ length: int(r, 4) }, () => junkValue(r, depth - 1));
    default:
      return Object.fromEntries(
        Array.from({ length: int(r, 4) }, () => [
          pick(r, ['__proto__', 'id', 'channel', 'a']),
          junkValue(r, depth - 1),
        ]),
      );
  }
}

/** Sends a batch of raw requests on one connection; resolves with the status codes seen when it closes. */
function exchange(port: number, data: Buffer[], closeAfterMs: number): Promise<string[]> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let answer = '';
    socket.setTimeout(closeAfterMs, () => socket.destroy());
    socket.on('data', (d: Buffer) => (answer += d.toString('latin1')));
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      const statuses = [...answer.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => m[1] ?? '?');
      resolve(statuses.length ? statuses : ['none']);
    });
    socket.on('connect', () => {
      for (const d of data) socket.write(d);
      socket.end();
    });
  });
}

/** Opens an authenticated rpc websocket by hand and writes raw frames on it. */
function websocketExchange(
  port: number,
  origin: string,
  token: string,
  frames: Buffer[],
  closeAfterMs: number,
) {
  return new Promise<string[]>((resolve) => {
    const key = randomBytes(16).toString('base64');
    const socket = net.connect(port, '127.0.0.1');
    let answer = '';
    socket.setTimeout(closeAfterMs, () => socket.destroy());
    socket.on('error', () => socket.destroy());
    socket.on('data', (d: Buffer) => {
      const first = answer === '';
      answer += d.toString('latin1');
      if (first && answer.startsWith('HTTP/1.1 101')) {
        for (const f of frames) socket.write(f);
        socket.end();
      }
    });
    socket.on('close', () => resolve([answer.slice(9, 12) || 'none']));
    socket.on('connect', () =>
      socket.write(
        [
          'GET /rpc HTTP/1.1',
          `Host: ${new URL(origin).host}`,
          'Connection: Upgrade',
          'Upgrade: websocket',
          'Sec-WebSocket-Version: 13',
          `Sec-WebSocket-Key: ${key}`,
          `Sec-WebSocket-Protocol: kiosk-rpc, token.${token}`,
          `Origin: ${origin}`,
          '',
          '',
        ].join('\r\n'),
      ),
    );
  });
}

/**
 * Fuzzes a running browser host with `requests` raw requests (and as many websocket frames, in batches on
 * authenticated connections), `parallel` connections at a time. Resolves with what was sent and answered; it
 * is the caller's job to check the host (and the agent behind it) is still alive and selling.
 */
export async function fuzzBrowserHost(options: {
  readonly url: string;
  readonly seed: number;
  readonly requests: number;
  readonly parallel?: number;
}): Promise<BrowserHostFuzzStats> {
  const screen = new URL(options.url);
  const origin = screen.origin;
  const token = screen.hash.replace('#token=', '');
  const port = Number(screen.port);
  const statuses: Record<string, number> = {};
  let sent = 0;
  let connections = 0;
  let websocketFrames = 0;
  let index = 0;
  const next = async (): Promise<void> => {
    while (sent < options.requests) {
      // Each connection draws from its own generator, so what connection i sends depends on the seed only,
      // not on which of the parallel workers happened to open it.
      const r = seededRandom(options.seed * 1_000_003 + index++);
      let seen: string[];
      if (r() < 0.1) {
        const frames = Array.from({ length: 1 + int(r, 8) }, () => frame(r));
        websocketFrames += frames.length;
        sent += 1;
        seen = await websocketExchange(port, origin, token, frames, 2_000);
      } else {
        const batch = Array.from(
          { length: Math.min(r() < 0.7 ? 1 : 1 + int(r, 8), options.requests - sent) },
          () => request(r, token, origin),
        );
        sent += batch.length;
        seen = await exchange(port, batch, 2_000);
      }
      connections += 1;
      for (const s of seen) statuses[s] = (statuses[s] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: options.parallel ?? 8 }, next));
  return { seed: options.seed, requests: sent, connections, websocketFrames, statuses };
}
