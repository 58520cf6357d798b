// A relay whose every frame and answer the test writes, on loopback: a real websocket server (and a real HTTP
// server for the long-poll), for the answers the real relay never gives — junk frames, a repeated event, a
// relay that falls silent, a long-poll answer that is malformed. It records what the kiosk sent.
import http from 'node:http';
import https from 'node:https';
import { WebSocketServer, type WebSocket } from 'ws';
import { onCleanup } from '../../helpers/cleanup.ts';
import { waitFor } from '../../helpers/agent-harness.ts';

export interface StreamConnection {
  readonly socket: WebSocket;
  readonly path: string;
  readonly authorization: string | undefined;
  /** Every frame the kiosk sent on this connection, parsed. */
  readonly frames: Array<Record<string, unknown>>;
  /** Pongs the kiosk answered this relay's pings with. */
  pongs: number;
  closed: boolean;
}

/** A plain HTTP request to the relay: a long-poll, or an outbox upload. */
export interface RelayRequest {
  readonly method: string;
  readonly path: string;
  readonly body: string;
  readonly query: URLSearchParams;
  readonly authorization: string | undefined;
  readonly contentType: string | undefined;
  /** True once the kiosk closed the request (an answered poll, or one it aborted). */
  closed: boolean;
}

export interface Answer {
  readonly status: number;
  readonly body: string;
}

export interface ScriptedRelay {
  readonly url: string;
  readonly connections: StreamConnection[];
  readonly requests: RelayRequest[];
  /** Waits for the n-th (1-based) stream connection to have said hello. */
  connection(n: number): Promise<StreamConnection>;
  send(connection: StreamConnection, frame: unknown): void;
  /** Stops listening: the port then refuses connections. */
  close(): Promise<void>;
}

export interface ScriptedRelayOptions {
  /** Refuse every websocket upgrade (a proxy that breaks websockets): the kiosk falls back to long-poll. */
  readonly refuseWebsocket?: boolean;
  /** Refuse only this many upgrades first. */
  readonly refuseFirstUpgrades?: number;
  /** Serve https and wss with this key and certificate (PEM). */
  readonly tls?: { readonly key: string; readonly cert: string };
  /**
   * Answers the n-th (0-based) HTTP request; null holds it open until the kiosk gives up on it, a promise
   * answers when it settles. Without it every request is answered 503.
   */
  readonly answer?: (n: number, req: RelayRequest) => Answer | Promise<Answer> | null;
}

export async function startScriptedRelay(options: ScriptedRelayOptions = {}): Promise<ScriptedRelay> {
  const connections: StreamConnection[] = [];
  const requests: RelayRequest[] = [];
  let refusals = 0;
  const handler: http.RequestListener = (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://relay');
      const request: RelayRequest = {
        method: req.method ?? '',
        path: url.pathname,
        body: Buffer.concat(chunks).toString(),
        query: url.searchParams,
        authorization: req.headers.authorization,
        contentType: req.headers['content-type'],
        closed: false,
      };
      requests.push(request);
      res.on('close', () => (request.closed = true));
      const answer = options.answer
        ? options.answer(requests.length - 1, request)
        : { status: 503, body: '' };
      if (answer === null) return;
      void Promise.resolve(answer).then((a) =>
        res.writeHead(a.status, { 'content-type': 'application/json' }).end(a.body),
      );
    });
  };
  const server = options.tls ? https.createServer(options.tls, handler) : http.createServer(handler);
  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    socket.on('error', () => socket.destroy()); // the kiosk may cut a refused handshake short
    if (options.refuseWebsocket || refusals++ < (options.refuseFirstUpgrades ?? 0)) {
      socket.end('HTTP/1.1 403 Forbidden\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const connection: StreamConnection = {
        socket: ws,
        path: req.url ?? '',
        authorization: req.headers.authorization,
        frames: [],
        pongs: 0,
        closed: false,
      };
      connections.push(connection);
      ws.on('message', (data) =>
        connection.frames.push(JSON.parse(data.toString()) as Record<string, unknown>),
      );
      ws.on('close', () => (connection.closed = true));
      ws.on('pong', () => connection.pongs++);
      ws.on('error', () => ws.terminate());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= new Promise<void>((resolve) => {
      for (const c of wss.clients) c.terminate();
      wss.close();
      server.closeAllConnections();
      server.close(() => resolve());
    }));
  onCleanup(close);
  return {
    url: `${options.tls ? 'https' : 'http'}://127.0.0.1:${(server.address() as { port: number }).port}`,
    connections,
    requests,
    close,
    async connection(n) {
      await waitFor(
        () => (connections[n - 1]?.frames.length ?? 0) > 0,
        `stream connection ${n} to say hello`,
        () => `${connections.length} connection(s)`,
      );
      return connections[n - 1]!;
    },
    send(connection, frame) {
      connection.socket.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
    },
  };
}

/**
 * Waits without timers, for tests that mock them: polls on setImmediate until the loopback sockets have done
 * their part, then lets one more turn pass so what follows from it (a timer armed, a promise settled) is done.
 */
export async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
  await new Promise((resolve) => setImmediate(resolve));
}
