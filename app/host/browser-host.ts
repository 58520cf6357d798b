// The browser host: serves renderer/ and the rpc contract over a loopback websocket, so any Chromium in
// --app/--kiosk mode (and the Playwright tests) shows the same UI the Electron host does. A per-boot random
// token, presented as a websocket subprotocol, keeps other local processes and web pages from driving the
// agent; the Origin must be this host's own.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { RPC_SUBPROTOCOL, type ClientFrame, type ServerFrame } from '../rpc/contract.ts';
import type { RpcDispatch, RpcResult } from '../rpc/dispatcher.ts';
import type { EventHub } from '../rpc/event-hub.ts';
import { guardRequest, guardUpgrade, requestUrl } from './error-boundary.ts';
import { serveStatic } from './static-files.ts';

export interface BrowserHostOptions {
  readonly rendererDir: string;
  readonly dispatch: RpcDispatch;
  readonly events: EventHub;
  readonly host?: string;
  readonly port?: number;
  /** The token pages must present; default: a new random one. The unattended screen passes this boot's. */
  readonly token?: string;
  readonly log?: (line: string) => void;
}

export interface BrowserHost {
  /** The URL to open, with the per-boot token in the fragment (never sent to the server in requests). */
  readonly url: string;
  readonly origin: string;
  close(): Promise<void>;
}

const MAX_FRAME_BYTES = 64 * 1024;

export async function startBrowserHost(options: BrowserHostOptions): Promise<BrowserHost> {
  const token = options.token ?? randomBytes(32).toString('hex');
  const log = options.log ?? (() => {});
  let origin = '';

  const server = http.createServer((req, res) =>
    guardRequest(res, log, () => {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405).end();
        return;
      }
      const url = requestUrl(req.url, origin);
      if (url.pathname === '/healthz') {
        res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
        return;
      }
      serveStatic(options.rendererDir, url.pathname, origin, res);
    }),
  );

  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_FRAME_BYTES,
    handleProtocols: (protocols) => (protocols.has(RPC_SUBPROTOCOL) ? RPC_SUBPROTOCOL : false),
  });

  server.on('upgrade', (req, socket, head) =>
    guardUpgrade(socket, log, () => {
      const url = requestUrl(req.url, origin);
      const offered = String(req.headers['sec-websocket-protocol'] ?? '')
        .split(',')
        .map((p) => p.trim());
      const presented = offered.find((p) => p.startsWith('token.'))?.slice('token.'.length) ?? '';
      const allowed =
        url.pathname === '/rpc' &&
        req.headers.origin === origin &&
        tokenMatches(presented, token) &&
        offered.includes(RPC_SUBPROTOCOL);
      if (!allowed) {
        log(`rpc connection refused (path ${url.pathname}, origin ${String(req.headers.origin)})`);
        socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n');
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) => serveClient(ws, options, log));
    }),
  );

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  // After the start, a server-level error (out of file descriptors, say) is logged, never thrown.
  server.on('error', (err) => log(`browser host: ${err.message}`));
  const address = server.address() as AddressInfo;
  origin = `http://${address.address}:${address.port}`;

  const unsubscribe = options.events.subscribe((event, payload) => {
    const frame = JSON.stringify({ event, payload } satisfies ServerFrame);
    for (const client of wss.clients) if (client.readyState === client.OPEN) client.send(frame);
  });

  return {
    url: `${origin}/#token=${token}`,
    origin,
    close: async () => {
      unsubscribe();
      for (const client of wss.clients) client.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function serveClient(ws: WebSocket, options: BrowserHostOptions, log: (line: string) => void): void {
  // A protocol violation (a bad opcode, an oversized or unmasked frame) is reported here and ws closes the
  // connection; without a listener it would be thrown.
  ws.on('error', (err) => log(`rpc connection closed: ${err.message}`));
  ws.on('message', (data) => void answer(ws, options, log, data.toString()));
}

async function answer(
  ws: WebSocket,
  options: BrowserHostOptions,
  log: (line: string) => void,
  text: string,
): Promise<void> {
  const frame = parseClientFrame(text);
  if (!frame) {
    ws.close(1003, 'malformed frame');
    return;
  }
  let result: RpcResult;
  try {
    result = await options.dispatch(frame.channel, frame.payload);
  } catch (err) {
    log(
      `rpc ${frame.channel.slice(0, 64)} failed outside the dispatcher: ${(err as Error)?.stack ?? String(err)}`,
    );
    result = { ok: false, error: { code: 'internal', message: 'the agent could not answer this request' } };
  }
  if (ws.readyState !== ws.OPEN) return;
  ws.send(JSON.stringify({ id: frame.id, ...result } as ServerFrame));
}

function parseClientFrame(text: string): ClientFrame | null {
  try {
    const v = JSON.parse(text) as Partial<ClientFrame>;
    if (typeof v !== 'object' || v === null || !Number.isSafeInteger(v.id) || typeof v.channel !== 'string')
      return null;
    return { id: v.id as number, channel: v.channel, payload: v.payload };
  } catch {
    return null;
  }
}

function tokenMatches(presented: string, expected: string): boolean {
  const a = Buffer.from(presented);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
