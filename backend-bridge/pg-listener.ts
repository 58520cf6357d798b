// One dedicated PostgreSQL connection that LISTENs on the relay's channels (a pooled connection would be
// handed to other queries between notifications), reconnecting with backoff when it drops, plus the periodic
// catch-up: NOTIFY is only a wake-up, the tables are the truth, and a wake-up lost while this connection was
// down is repaired by `connected` (after every reconnect) and by the catch-up.
import type pg from 'pg';
import { pgClient } from './pg-db.ts';

export interface ListenHandlers {
  /** channel → handler of its payloads */
  [channel: `relay_${string}`]: (payload: string) => void;
}

export interface ListenerOptions extends ListenHandlers {
  /**
   * A session advisory lock this connection takes and holds while it lives: the instance's sign of life to
   * the others (it goes with the connection when the process dies, however it dies).
   */
  lifeLock: bigint;
  connected: () => void;
  catchUp: () => Promise<void>;
  catchUpMs: number;
}

const MAX_BACKOFF_MS = 5000;

export class PgListener {
  #client: pg.Client | undefined;
  #closed = false;
  #backoffMs = 100;
  #retry: NodeJS.Timeout | undefined;
  readonly #timer: NodeJS.Timeout;
  #catchingUp = false;

  constructor(
    private readonly url: string,
    private readonly opts: ListenerOptions,
  ) {
    void this.#connect();
    this.#timer = setInterval(() => {
      if (this.#catchingUp) return;
      this.#catchingUp = true;
      // A failed catch-up (database unreachable) is simply tried again at the next tick.
      opts
        .catchUp()
        .catch(() => undefined)
        .finally(() => {
          this.#catchingUp = false;
        });
    }, opts.catchUpMs);
    this.#timer.unref();
  }

  #channels(): string[] {
    return Object.keys(this.opts).filter((k) => k.startsWith('relay_'));
  }

  async #connect(): Promise<void> {
    if (this.#closed) return;
    const client = pgClient(this.url);
    this.#client = client;
    const lost = (): void => {
      if (this.#client !== client) return;
      this.#client = undefined;
      client.removeAllListeners('notification');
      void client.end().catch(() => undefined);
      if (this.#closed) return;
      this.#retry = setTimeout(() => void this.#connect(), this.#backoffMs);
      this.#retry.unref();
      this.#backoffMs = Math.min(MAX_BACKOFF_MS, this.#backoffMs * 2);
    };
    client.on('error', lost);
    client.on('end', lost);
    client.on('notification', (msg) => {
      const handler = this.opts[msg.channel as `relay_${string}`];
      if (typeof handler === 'function') handler(msg.payload ?? '');
    });
    try {
      await client.connect();
      await client.query('SELECT pg_try_advisory_lock($1::int8)', [this.opts.lifeLock.toString()]);
      for (const channel of this.#channels()) await client.query(`LISTEN ${channel}`);
      this.#backoffMs = 100;
      this.opts.connected();
    } catch {
      lost();
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    clearTimeout(this.#retry);
    const client = this.#client;
    this.#client = undefined;
    await client?.end().catch(() => undefined);
  }
}
