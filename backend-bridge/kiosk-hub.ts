// Who is listening for which kiosk: at most one live websocket per kiosk (a new one replaces the old, on
// this instance or, through the store's session tickets, on another instance of a fleet), plus any long-poll
// requests. A stored event wakes both. Also runs the ws heartbeat (ws README: ping every interval, terminate
// sockets that did not pong since the previous ping).
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { KioskAuthenticator } from './auth.ts';
import { refuseUpgrade } from './client-error.ts';
import { requestTarget } from './http-util.ts';
import type { RelayLogger } from './logging.ts';
import type { RelayMetrics } from './metrics.ts';
import type { RelayStore } from './store.ts';
import { CLOSE_GOING_AWAY, CLOSE_REPLACED, CLOSE_REVOKED, StreamSession } from './stream-session.ts';

const STREAM_PATH = /^\/v1\/kiosks\/([A-Za-z0-9]{1,32})\/stream$/;

export interface HubOptions {
  store: RelayStore;
  auth: KioskAuthenticator;
  metrics: RelayMetrics;
  pingIntervalMs: number;
  log: RelayLogger;
}

export class KioskHub {
  readonly #sessions = new Map<string, StreamSession>();
  readonly #credentials = new WeakMap<StreamSession, string>();
  /** Each session's ticket (store.openSession): the highest ticket of a kiosk is its newest stream. */
  readonly #tickets = new WeakMap<StreamSession, number>();
  /** The newest ticket announced for each kiosk by any instance, so a late own ticket still loses. */
  readonly #newestTicket = new Map<string, number>();
  readonly #waiters = new Map<string, Set<() => void>>();
  readonly #wss = new WebSocketServer({ noServer: true, maxPayload: 16 * 1024 });
  readonly #heartbeat: NodeJS.Timeout;

  constructor(private readonly opts: HubOptions) {
    this.#heartbeat = setInterval(() => this.#beat(), opts.pingIntervalMs);
    this.#heartbeat.unref();
  }

  #closing = false;

  /** True once close() began: long-polls answer instead of waiting again. */
  get closing(): boolean {
    return this.#closing;
  }

  get connectedCount(): number {
    return this.#sessions.size;
  }

  isConnected(kioskId: string): boolean {
    return this.#sessions.has(kioskId);
  }

  get waitingCount(): number {
    let n = 0;
    for (const set of this.#waiters.values()) n += set.size;
    return n;
  }

  /** HTTP upgrade handler: authenticates before the websocket handshake completes. */
  async handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const target = requestTarget(req.url);
    if (target === undefined) return refuseUpgrade(socket, 400, 'Bad Request');
    const match = STREAM_PATH.exec(target.pathname);
    const kioskId = match?.[1];
    if (this.#closing) return refuseUpgrade(socket, 503, 'Service Unavailable');
    if (kioskId === undefined) return refuseUpgrade(socket, 404, 'Not Found');
    const credential = await this.opts.auth.credential(kioskId, req.headers);
    if (socket.destroyed) return;
    if (credential === undefined) {
      this.opts.log.warn({ kioskId, reason: 'bad token' }, 'stream refused');
      return refuseUpgrade(socket, 401, 'Unauthorized');
    }
    this.#wss.handleUpgrade(req, socket, head, (ws) => {
      const session = new StreamSession(kioskId, ws, this.opts.store, this.opts.metrics, this.opts.log);
      this.#credentials.set(session, credential);
      const previous = this.#sessions.get(kioskId);
      this.#sessions.set(kioskId, session);
      previous?.ws.close(CLOSE_REPLACED, 'replaced by a newer connection');
      ws.on('close', () => {
        const ticket = this.#tickets.get(session);
        if (ticket !== undefined) this.#closeSession(kioskId, ticket);
        if (this.#sessions.get(kioskId) !== session) return;
        this.#sessions.delete(kioskId);
        // The moment the link dropped is when the kiosk was last seen (the console's "last seen").
        if (this.#closing) return; // the database closes right after
        this.opts.store.touch(kioskId, new Date().toISOString()).catch((err: unknown) => {
          this.opts.log.error(
            { kioskId, error: err instanceof Error ? err.message : String(err) },
            'presence not recorded',
          );
        });
      });
      ws.on('error', () => ws.terminate());
      this.opts.log.info({ kioskId, replaced: previous !== undefined }, 'stream connected');
      this.opts.store.openSession(kioskId).then(
        (ticket) => {
          this.#tickets.set(session, ticket);
          // Closed while its ticket was on the way: the record of it goes at once.
          if (ws.readyState === ws.CLOSED) return this.#closeSession(kioskId, ticket);
          if ((this.#newestTicket.get(kioskId) ?? 0) > ticket) this.#replace(session);
        },
        (err: unknown) =>
          this.opts.log.error(
            { kioskId, error: err instanceof Error ? err.message : String(err) },
            'session ticket failed',
          ),
      );
    });
  }

  #closeSession(kioskId: string, ticket: number): void {
    if (this.#closing) return; // the database closes right after; the instance's life lock goes with it
    this.opts.store.closeSession(kioskId, ticket).catch((err: unknown) => {
      this.opts.log.error(
        { kioskId, error: err instanceof Error ? err.message : String(err) },
        'stream close not recorded',
      );
    });
  }

  /**
   * Some instance (this one included) opened a stream of this kiosk with this ticket: an older stream held
   * here is replaced (4000), as a second connection to this instance would replace it.
   */
  sessionOpenedElsewhere(kioskId: string, ticket: number): void {
    if (ticket > (this.#newestTicket.get(kioskId) ?? 0)) this.#newestTicket.set(kioskId, ticket);
    const session = this.#sessions.get(kioskId);
    const own = session !== undefined ? this.#tickets.get(session) : undefined;
    if (session !== undefined && own !== undefined && own < ticket) this.#replace(session);
  }

  #replace(session: StreamSession): void {
    this.opts.log.info({ kioskId: session.kioskId }, 'stream replaced by a newer connection elsewhere');
    session.ws.close(CLOSE_REPLACED, 'replaced by a newer connection');
  }

  /**
   * Closes (4001) every stream whose token no longer admits its kiosk: revoked or rotated. Called whenever
   * the enrollment table may have changed (another process, `notify-relay kiosk revoke`, wrote to it).
   */
  revalidate(): void {
    for (const session of this.#sessions.values()) {
      const credential = this.#credentials.get(session);
      if (credential === undefined) continue;
      this.opts.auth.stillValid(session.kioskId, credential).then(
        (valid) => {
          if (valid) return;
          this.opts.log.warn({ kioskId: session.kioskId }, 'stream closed: token revoked or rotated');
          session.ws.close(CLOSE_REVOKED, 'token revoked');
        },
        (err: unknown) =>
          this.opts.log.error(
            { error: err instanceof Error ? err.message : String(err) },
            'revalidation failed',
          ),
      );
    }
  }

  /** A new event for this kiosk is durable: deliver it to whoever listens. */
  wake(kioskId: string): void {
    this.#sessions.get(kioskId)?.pump();
    const waiters = this.#waiters.get(kioskId);
    if (waiters === undefined) return;
    this.#waiters.delete(kioskId);
    for (const w of waiters) w();
  }

  /** Every connected kiosk: a catch-up after wake-ups from other instances may have been lost. */
  wakeAll(): void {
    for (const kioskId of [...this.#sessions.keys(), ...this.#waiters.keys()]) this.wake(kioskId);
  }

  /** Registers a one-shot wake-up for a long-poll; returns its cancel function. */
  onNextEvent(kioskId: string, wakeUp: () => void): () => void {
    let set = this.#waiters.get(kioskId);
    if (set === undefined) {
      set = new Set();
      this.#waiters.set(kioskId, set);
    }
    set.add(wakeUp);
    return () => {
      const current = this.#waiters.get(kioskId);
      current?.delete(wakeUp);
      if (current?.size === 0) this.#waiters.delete(kioskId);
    };
  }

  /** Ends every stream (1001 going away) and answers every waiting long-poll now. */
  close(): void {
    this.#closing = true;
    clearInterval(this.#heartbeat);
    for (const s of this.#sessions.values()) s.ws.close(CLOSE_GOING_AWAY, 'relay shutting down');
    const all = [...this.#waiters.values()].flatMap((set) => [...set]);
    this.#waiters.clear();
    for (const w of all) w();
  }

  /** Force-closes sockets that did not finish their close handshake in time. */
  terminateAll(): void {
    for (const client of this.#wss.clients) client.terminate();
    this.#wss.close();
  }

  #beat(): void {
    for (const s of this.#sessions.values()) {
      if (!s.isAlive) {
        this.opts.log.warn({ kioskId: s.kioskId }, 'stream dead, terminating');
        s.ws.terminate();
        continue;
      }
      s.isAlive = false;
      s.ws.ping();
    }
  }
}
