// The notify relay: receives Alipay's asynchronous notifications on the public internet, stores them
// durably (SQLite, or PostgreSQL for a fleet), and pushes them to kiosks behind NAT (websocket stream, long-poll fallback).
// The HTTP application is built in app.ts; this file holds the options and the start/stop surface.
import type { KeyObject } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { buildRelayApp } from './app.ts';
import { RelayConfigError } from './errors.ts';
import type { TrustProxy } from './http-util.ts';
import type { ReconcileOptions } from './reconcile/relay-reconciliation.ts';
import { isValidKioskId } from './routing.ts';
import { parsePasswordHash } from './console/password-hash.ts';
import { isTimeZone } from './operator/calendar.ts';

export { kioskIdFromOutTradeNo, isValidKioskId } from './routing.ts';
export { acceptNotifyBody } from './notify.ts';
export { RelayConfigError } from './errors.ts';
export { parseRelayCli, USAGE } from './config.ts';
export { runKioskCommand } from './enrollment-cli.ts';
export { hashAdminPassword } from './console/password-hash.ts';
export { runReconcileCommand, RECONCILE_EXIT } from './reconcile-cli.ts';
export { linesPerTurn } from './logging.ts';
export type { RelayEvent } from './store.ts';
export type { ReconcileOptions } from './reconcile/relay-reconciliation.ts';

export interface RelayOptions {
  /** Default 127.0.0.1: put a TLS-terminating reverse proxy in front for the public internet. */
  host?: string;
  /** Default 0 (any free port); the chosen one is in the returned url. */
  port?: number;
  /** SQLite database file (the default backend). */
  dbPath?: string;
  /** PostgreSQL instead: postgres://user@host:port/db (password from PGPASSWORD or ~/.pgpass). */
  databaseUrl?: string;
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
  /** Websocket heartbeat interval; a silent link is cut within two. Default 20 000 ms. */
  pingIntervalMs?: number;
  /** How long close() waits for in-flight requests and sockets before cutting them. Default 5 000 ms. */
  shutdownGraceMs?: number;
  /**
   * How often the relay looks for other writers' changes: on SQLite enrollment changes by another process
   * (default 250 ms); on PostgreSQL the catch-up read behind LISTEN/NOTIFY (default 5 000 ms).
   */
  enrollmentWatchMs?: number;
  /** Bearer token of the operator read API under /admin/v1/; without it (and a console) that API answers 404. */
  adminToken?: string;
  /**
   * The operator console under /console/: the admin password's scrypt hash (`notify-relay hash-password`),
   * where the built console is (default dist/console), how long a wrong password waits (default 1000 ms).
   */
  console?: { passwordHash: string; dir?: string; loginDelayMs?: number };
  /** The relay's clock (tests pin "today"); default the system clock. */
  now?: () => Date;
  /** IANA zone of the operator's calendar days (sales today, charts). Default Asia/Shanghai. */
  timeZone?: string;
  /**
   * Reconciliation against Alipay's bill (needs the app private key to call Alipay); without it the
   * reconciliation API answers 503 and nothing is scheduled.
   */
  reconcile?: ReconcileOptions;
}

export interface RunningRelay {
  url: string;
  close(): Promise<void>;
}

function validate(opts: RelayOptions): void {
  if (!opts.dbPath && !opts.databaseUrl) throw new RelayConfigError('dbPath or databaseUrl is required');
  if (opts.dbPath && opts.databaseUrl) throw new RelayConfigError('dbPath and databaseUrl are exclusive');
  if (!opts.alipay.appId) throw new RelayConfigError('alipay.appId is required');
  if (opts.alipay.publicKey.type !== 'public')
    throw new RelayConfigError('alipay.publicKey must be a public key');
  if (opts.console !== undefined && parsePasswordHash(opts.console.passwordHash) === undefined)
    throw new RelayConfigError(
      'console.passwordHash is not an scrypt$N$r$p$salt$hash (make one with `notify-relay hash-password`)',
    );
  if (opts.timeZone !== undefined && !isTimeZone(opts.timeZone))
    throw new RelayConfigError(`timeZone ${JSON.stringify(opts.timeZone)} is not a known IANA time zone`);
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
  const { app, ctx } = await buildRelayApp(opts);
  try {
    await app.listen({ port: opts.port ?? 0, host: opts.host ?? '127.0.0.1' });
  } catch (err) {
    await app.close();
    throw err;
  }
  const address = app.server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;
  ctx.log.info({ url, kiosks: opts.kiosks.map((k) => k.id) }, 'relay listening');

  let closed: Promise<void> | undefined;
  return { url, close: () => (closed ??= app.close()) };
}
