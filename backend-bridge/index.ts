// The notify relay: receives Alipay's asynchronous notifications on the public internet, stores them
// durably in SQLite, and pushes them to kiosks behind NAT (websocket stream, long-poll fallback).
import type { KeyObject } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { KioskAuthenticator } from './auth.ts';
import { openRelayDb } from './db.ts';
import { RelayConfigError } from './errors.ts';
import { EventStore } from './event-store.ts';
import { answerClientError } from './client-error.ts';
import { requestTarget, sendJson, sendText } from './http-util.ts';
import type { TrustProxy } from './http-util.ts';
import { handleLongPoll, handleOutbox } from './kiosk-api.ts';
import type { KioskApiDeps } from './kiosk-api.ts';
import { KioskHub } from './kiosk-hub.ts';
import { RelayMetrics } from './metrics.ts';
import { handleNotify } from './notify.ts';
import type { NotifyDeps } from './notify.ts';
import { BadNotifyLimiter } from './rate-limit.ts';
import { isValidKioskId } from './routing.ts';

export { kioskIdFromOutTradeNo, isValidKioskId } from './routing.ts';
export { acceptNotifyBody } from './notify.ts';
export { RelayConfigError } from './errors.ts';
export { parseRelayCli, USAGE } from './config.ts';
export type { RelayEvent } from './event-store.ts';

export interface RelayOptions {
  /** Default 127.0.0.1: put a TLS-terminating reverse proxy in front for the public internet. */
  host?: string;
  /** Default 0 (any free port); the chosen one is in the returned url. */
  port?: number;
  dbPath: string;
  alipay: { appId: string; publicKey: KeyObject; sellerId?: string };
  kiosks: Array<{ id: string; token: string }>;
  log?: (line: string) => void;
  limits?: {
    /** Largest notify body accepted (bytes). Default 64 KiB; real notifies are ~2–4 KB. */
    maxNotifyBytes?: number;
    /** Largest telemetry batch body (bytes). Default 1 MiB. */
    maxOutboxBytes?: number;
    /** Rejected notifies allowed per client address per minute before its failures get 429. Default 60. */
    badNotifiesPerMinute?: number;
    /** Open HTTP connections (websockets included) beyond which new ones are closed at once. Default 10 000. */
    maxConnections?: number;
    /** Time a client has to send its request headers (then 408 and the socket is closed). Default 10 000 ms. */
    headersTimeoutMs?: number;
    /** Time a client has to send its whole request (then 408). Default 30 000 ms. */
    requestTimeoutMs?: number;
    /** How long an idle keep-alive connection is kept open. Default 5 000 ms. */
    keepAliveTimeoutMs?: number;
  };
  /**
   * Whose X-Forwarded-For names the client for rate limiting: `'loopback'` (default) a proxy on this
   * machine's loopback, `true` any peer, `false` none.
   */
  trustProxy?: TrustProxy;
  /** Days to keep acked events, notifications and telemetry (unacked events are always kept). Default 90. */
  retentionDays?: number;
  /** Websocket heartbeat interval. Default 30 000 ms. */
  pingIntervalMs?: number;
  /** How long close() waits for in-flight requests and sockets before cutting them. Default 5 000 ms. */
  shutdownGraceMs?: number;
}

export interface RunningRelay {
  url: string;
  close(): Promise<void>;
}

const KIOSK_ROUTE = /^\/v1\/kiosks\/([A-Za-z0-9]{1,32})\/(events|outbox|stream)$/;

function validate(opts: RelayOptions): void {
  if (!opts.dbPath) throw new RelayConfigError('dbPath is required');
  if (!opts.alipay.appId) throw new RelayConfigError('alipay.appId is required');
  if (opts.alipay.publicKey.type !== 'public')
    throw new RelayConfigError('alipay.publicKey must be a public key');
  const seen = new Set<string>();
  for (const k of opts.kiosks) {
    if (!isValidKioskId(k.id))
      throw new RelayConfigError(`kiosk id ${JSON.stringify(k.id)} is not [A-Za-z0-9]{1,32}`);
    if (seen.has(k.id)) throw new RelayConfigError(`kiosk id ${k.id} is configured twice`);
    if (k.token.length === 0) throw new RelayConfigError(`kiosk ${k.id} has an empty token`);
    seen.add(k.id);
  }
}

export async function startRelay(opts: RelayOptions): Promise<RunningRelay> {
  validate(opts);
  const log = opts.log ?? (() => {});
  const now = (): Date => new Date();
  const db = openRelayDb(opts.dbPath);
  const store = new EventStore(db);
  const retentionMs = (opts.retentionDays ?? 90) * 86_400_000;
  const prune = () => {
    try {
      const removed = store.pruneBefore(new Date(now().getTime() - retentionMs).toISOString());
      if (removed.events + removed.notifies + removed.telemetry > 0)
        log(JSON.stringify({ msg: 'pruned', ...removed }));
    } catch (err) {
      log(JSON.stringify({ msg: 'prune failed', error: (err as Error).message }));
    }
  };
  prune();
  const pruneTimer = setInterval(prune, 3_600_000);
  pruneTimer.unref();
  const auth = new KioskAuthenticator(opts.kiosks);
  // The gauges read the hub at scrape time; the hub is created right after.
  let openSockets = 0;
  const relayMetrics: RelayMetrics = new RelayMetrics({
    httpConnections: () => openSockets,
    kiosksConnected: () => hub.connectedCount,
    longPollWaiting: () => hub.waitingCount,
    deadLetters: () => store.deadLetterCount(),
  });
  const hub: KioskHub = new KioskHub({
    store,
    auth,
    metrics: relayMetrics,
    pingIntervalMs: opts.pingIntervalMs ?? 30_000,
    log,
  });

  const notifyDeps: NotifyDeps = {
    store,
    alipay: opts.alipay,
    isKnownKiosk: (id) => auth.isKnownKiosk(id),
    metrics: relayMetrics,
    limiter: new BadNotifyLimiter(opts.limits?.badNotifiesPerMinute ?? 60),
    maxBodyBytes: opts.limits?.maxNotifyBytes ?? 64 * 1024,
    trustProxy: opts.trustProxy ?? 'loopback',
    onStored: (kioskId) => hub.wake(kioskId),
    log,
    now,
  };
  const kioskDeps: KioskApiDeps = {
    store,
    hub,
    metrics: relayMetrics,
    maxBodyBytes: opts.limits?.maxOutboxBytes ?? 1024 * 1024,
    now,
  };

  let closing = false;
  const inflight = new Set<ServerResponse>();

  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = requestTarget(req.url);
    if (url === undefined) return sendText(res, 400, 'bad request target\n', true);
    const path = url.pathname;
    const method = req.method ?? 'GET';

    if (path === '/alipay/notify') {
      if (method !== 'POST') return sendText(res, 405, 'fail');
      // Not durable while shutting down, so not `success`: Alipay resends later.
      if (closing) return sendText(res, 503, 'fail', true);
      return handleNotify(req, res, notifyDeps);
    }
    if (path === '/healthz' && method === 'GET') return sendText(res, 200, 'ok\n');
    if (path === '/readyz' && method === 'GET') {
      if (closing) return sendText(res, 503, 'shutting down\n');
      try {
        store.probeWritable(now().toISOString());
        return sendText(res, 200, 'ready\n');
      } catch (err) {
        log(
          JSON.stringify({
            msg: 'readiness probe failed',
            error: err instanceof Error ? err.message : String(err),
          }),
        );
        return sendText(res, 503, 'database not writable\n');
      }
    }
    if (path === '/metrics' && method === 'GET') {
      res.writeHead(200, {
        'content-type': 'text/plain; version=0.0.4; charset=utf-8',
        'cache-control': 'no-store',
      });
      res.end(relayMetrics.render());
      return;
    }

    const m = KIOSK_ROUTE.exec(path);
    const kioskId = m?.[1];
    const action = m?.[2];
    if (kioskId === undefined || action === undefined) return sendJson(res, 404, { error: 'not_found' });
    if (!auth.check(kioskId, req.headers)) {
      res.setHeader('www-authenticate', 'Bearer');
      return sendJson(res, 401, {
        error: 'unauthorized',
        message: 'missing or wrong bearer token for this kiosk',
      });
    }
    if (action === 'stream')
      return sendJson(res, 426, { error: 'upgrade_required', message: 'open a websocket' });
    if (action === 'events' && method === 'GET') return handleLongPoll(kioskId, url, req, res, kioskDeps);
    if (action === 'outbox' && method === 'POST') return handleOutbox(kioskId, req, res, kioskDeps);
    return sendJson(res, 405, { error: 'method_not_allowed' });
  };

  const server = createServer({ connectionsCheckingInterval: connectionsCheckMs(opts) }, (req, res) => {
    inflight.add(res);
    res.on('close', () => inflight.delete(res));
    if (closing) res.setHeader('connection', 'close');
    route(req, res).catch((err: unknown) => {
      log(
        JSON.stringify({
          msg: 'request failed',
          path: req.url,
          error: err instanceof Error ? err.message : String(err),
        }),
      );
      if (!res.headersSent) sendText(res, 500, 'internal error\n');
      else res.destroy();
    });
  });
  // Bound how long a client may take to send its request (slowloris); long-poll waiting happens after that.
  server.headersTimeout = opts.limits?.headersTimeoutMs ?? 10_000;
  server.requestTimeout = opts.limits?.requestTimeoutMs ?? 30_000;
  server.keepAliveTimeout = opts.limits?.keepAliveTimeoutMs ?? 5_000;
  // Beyond the cap Node closes a new socket at once, before it costs anything but the accept.
  server.maxConnections = opts.limits?.maxConnections ?? 10_000;
  server.on('connection', (socket: Socket) => {
    openSockets++;
    socket.once('close', () => openSockets--);
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    // The upgrade socket leaves the HTTP server's care: it needs its own error handler, and nothing a
    // request can contain may throw out of this event (it would end the process).
    socket.on('error', () => socket.destroy());
    try {
      hub.handleUpgrade(req, socket, head);
    } catch (err) {
      log(JSON.stringify({ msg: 'upgrade failed', error: err instanceof Error ? err.message : String(err) }));
      socket.destroy();
    }
  });
  server.on('clientError', answerClientError);

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  }).catch((err: unknown) => {
    hub.close();
    db.close();
    throw err;
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;
  log(JSON.stringify({ msg: 'relay listening', url, kiosks: opts.kiosks.map((k) => k.id) }));

  let closed: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closed ??= (async () => {
      closing = true;
      clearInterval(pruneTimer);
      hub.close(); // streams get 1001, waiting long-polls are answered now
      const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
      const grace = opts.shutdownGraceMs ?? 5_000;
      // Let in-flight requests (a notify being committed, say) finish before the database goes away.
      await waitUntil(() => inflight.size === 0, grace);
      server.closeIdleConnections();
      const timer = setTimeout(() => {
        server.closeAllConnections();
        hub.terminateAll();
      }, grace);
      await serverClosed;
      clearTimeout(timer);
      hub.terminateAll();
      db.close();
      log(JSON.stringify({ msg: 'relay closed' }));
    })();
    return closed;
  };
  return { url, close };
}

/** Timeouts are enforced by a periodic sweep; sweep often enough that neither is overstayed by much. */
function connectionsCheckMs(opts: RelayOptions): number {
  const shortest = Math.min(opts.limits?.headersTimeoutMs ?? 10_000, opts.limits?.requestTimeoutMs ?? 30_000);
  return Math.max(50, Math.min(1000, Math.floor(shortest / 4)));
}

function waitUntil(done: () => boolean, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    const started = Date.now();
    const check = (): void => {
      if (done() || Date.now() - started >= timeoutMs) return resolve();
      setTimeout(check, 10);
    };
    check();
  });
}
