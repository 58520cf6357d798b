// The PostgreSQL implementation of RelayStore, for several relay instances on one database (docs/relay.md,
// Deployment: a fleet). A notify is one call of relay_store_notify (pg-db.ts): dedup by a unique key, the
// kiosk's gap-free seq and a NOTIFY on relay_events in one transaction. Every instance LISTENs (pg-listener.ts)
// and wakes its own kiosks; a periodic catch-up repairs lost wake-ups. Commits are durable with the default
// synchronous_commit=on, so `success` still means "on disk".
import { randomBytes, randomUUID } from 'node:crypto';
import type pg from 'pg';
import { EPOCH_LOCK, migratePg, pgPlainSql, pgPool, pgTransaction } from './pg-db.ts';
import { PgListener } from './pg-listener.ts';
import { fleetQueries } from './operator/fleet-queries.ts';
import type { FleetQueries } from './operator/fleet-queries.ts';
import { reconciliationStorage } from './reconcile/store.ts';
import type {
  EnrolledKiosk,
  EnrollmentStore,
  NotifyRecord,
  ReconciliationStorage,
  RelayEvent,
  RelayStore,
  StoreListener,
  StoreOutcome,
  TelemetryEvent,
} from './store.ts';
import { notifyColumns } from './store.ts';

const PROBE_TIMEOUT_MS = 250;
/** Positive and above 2^32, so that a life lock never equals the small constant keys of epoch and migration. */
const LIFE_LOCK_MASK = (1n << 62n) - 1n;
const LIFE_LOCK_FLOOR = 1n << 40n;

export class PgStore implements RelayStore {
  readonly backend = 'postgres';
  readonly enrollment: EnrollmentStore;
  readonly reconciliation: ReconciliationStorage;
  readonly fleet: FleetQueries;
  #epoch: string | undefined;
  #listener: PgListener | undefined;
  /** This instance's life lock (pg-listener.ts), random: no other instance holds the same key. */
  readonly #lifeLock = (randomBytes(8).readBigUInt64BE() & LIFE_LOCK_MASK) | LIFE_LOCK_FLOOR;

  static async open(url: string, opts: { watchMs?: number | undefined } = {}): Promise<PgStore> {
    const pool = pgPool(url);
    // An idle pooled connection that the server drops must not end the process.
    pool.on('error', () => undefined);
    try {
      await migratePg(pool);
    } catch (err) {
      await pool.end();
      throw err;
    }
    return new PgStore(pool, url, opts.watchMs ?? 5000);
  }

  private constructor(
    private readonly pool: pg.Pool,
    private readonly url: string,
    private readonly watchMs: number,
  ) {
    this.enrollment = new PgEnrollment(pool);
    const sql = pgPlainSql(pool);
    this.reconciliation = reconciliationStorage(sql);
    this.fleet = fleetQueries(sql);
  }

  get epoch(): string {
    if (this.#epoch === undefined) throw new Error('openEpoch() has not been called');
    return this.#epoch;
  }

  async #rows<R extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<R[]> {
    return (await this.pool.query<R>(sql, params)).rows;
  }

  /**
   * The epoch is created with the database and shared by every instance. It is renewed when the database's
   * generation changed: the cluster's system identifier, its timeline (a point-in-time restore or a promoted
   * standby always starts a new one) and the database's oid (a dump restored into a new database). Those
   * are what a restore cannot reproduce. Re-checked at every catch-up, so running instances follow.
   */
  async openEpoch(nowIso: string): Promise<string> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock($1)', [EPOCH_LOCK]);
      const generation = await databaseGeneration(client);
      const current = (
        await client.query<{ epoch: string; generation: string }>(
          'SELECT epoch, generation FROM epochs ORDER BY ordinal DESC LIMIT 1',
        )
      ).rows[0];
      let epoch = current?.epoch;
      if (current === undefined || current.generation !== generation) {
        epoch = randomUUID();
        await client.query('INSERT INTO epochs (epoch, started_at, generation) VALUES ($1, $2, $3)', [
          epoch,
          nowIso,
          generation,
        ]);
        await client.query(
          'INSERT INTO epoch_bases (epoch, kiosk_id, base_seq) SELECT $1, kiosk_id, last_seq FROM kiosk_cursors',
          [epoch],
        );
      }
      await client.query('COMMIT');
      this.#epoch = epoch;
      return epoch as string;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  async storeNotify(rec: NotifyRecord): Promise<StoreOutcome> {
    const [row] = await this.#rows<{ outcome: string; out_seq: number | null; same_body: boolean | null }>(
      'SELECT outcome, out_seq, same_body FROM relay_store_notify($1, $2, $3, $4, $5, $6, $7, $8)',
      notifyColumns(rec),
    );
    if (row?.outcome === 'duplicate') return { outcome: 'duplicate', sameBody: row.same_body === true };
    if (row?.outcome === 'unroutable') return { outcome: 'unroutable' };
    if (row?.outcome === 'stored' && row.out_seq !== null && rec.kioskId !== undefined)
      return { outcome: 'stored', kioskId: rec.kioskId, seq: row.out_seq };
    throw new Error(`relay_store_notify answered ${JSON.stringify(row ?? null)}`);
  }

  async eventsAfter(kioskId: string, afterSeq: number, limit: number): Promise<RelayEvent[]> {
    const rows = await this.#rows<{ seq: number; raw_body: string; received_at: string }>(
      `SELECT e.seq, n.raw_body, e.received_at
         FROM events e JOIN notifies n ON n.id = e.notify_ref
        WHERE e.kiosk_id = $1 AND e.seq > $2
        ORDER BY e.seq LIMIT $3`,
      [kioskId, afterSeq, limit],
    );
    return rows.map((r) => ({
      seq: r.seq,
      kind: 'alipay_notify',
      body: r.raw_body,
      receivedAt: r.received_at,
    }));
  }

  /**
   * Acks and presence commit without waiting for the WAL flush (synchronous_commit off for that transaction
   * only): losing the last ones in a crash of the server only means a kiosk is given events it already has,
   * which its order records absorb; waiting would cost a flush per ack beside each notify's own.
   */
  async ack(kioskId: string, seq: number): Promise<number> {
    const [row] = await this.#rows<{ acked_seq: number }>(
      `WITH relaxed AS (SELECT set_config('synchronous_commit', 'off', true))
       UPDATE kiosk_cursors SET acked_seq = GREATEST(acked_seq, LEAST($1::bigint, last_seq))
         FROM relaxed WHERE kiosk_id = $2 RETURNING acked_seq`,
      [seq, kioskId],
    );
    return row?.acked_seq ?? 0;
  }

  async resumePoint(kioskId: string, epoch: string | undefined, lastSeq: number): Promise<number> {
    const { lastSeq: logSeq } = await this.cursor(kioskId);
    if (epoch === undefined || epoch === this.epoch) return lastSeq <= logSeq ? lastSeq : 0;
    const [end] = await this.#rows<{ base_seq: number | null }>(
      `SELECT (SELECT b.base_seq FROM epochs next
                 LEFT JOIN epoch_bases b ON b.epoch = next.epoch AND b.kiosk_id = $1
                WHERE next.ordinal > e.ordinal ORDER BY next.ordinal LIMIT 1) AS base_seq
         FROM epochs e WHERE e.epoch = $2`,
      [kioskId, epoch],
    );
    if (end === undefined) return 0;
    return Math.min(lastSeq, end.base_seq ?? 0, logSeq);
  }

  async touch(kioskId: string, nowIso: string): Promise<void> {
    await this.pool.query(
      `WITH relaxed AS (SELECT set_config('synchronous_commit', 'off', true))
       INSERT INTO kiosk_presence (kiosk_id, last_seen_at) SELECT $1, $2 FROM relaxed
       ON CONFLICT (kiosk_id) DO UPDATE SET last_seen_at = excluded.last_seen_at`,
      [kioskId, nowIso],
    );
  }

  async cursor(kioskId: string): Promise<{ lastSeq: number; ackedSeq: number }> {
    const [row] = await this.#rows<{ last_seq: number; acked_seq: number }>(
      'SELECT last_seq, acked_seq FROM kiosk_cursors WHERE kiosk_id = $1',
      [kioskId],
    );
    return { lastSeq: row?.last_seq ?? 0, ackedSeq: row?.acked_seq ?? 0 };
  }

  async deadLetterCount(): Promise<number> {
    const [row] = await this.#rows<{ n: number }>(
      'SELECT count(*) AS n FROM notifies WHERE kiosk_id IS NULL',
    );
    return row?.n ?? 0;
  }

  async storeTelemetry(
    kioskId: string,
    events: readonly TelemetryEvent[],
    receivedAt: string,
  ): Promise<Set<string>> {
    if (events.length === 0) return new Set();
    // One statement for the batch (atomic); the ids that were inserted are the new ones.
    const rows = await this.#rows<{ event_id: string }>(
      `INSERT INTO telemetry (kiosk_id, event_id, type, at, data_json, received_at)
       SELECT $1, e.id, e.type, e.at, e.data, $2
         FROM jsonb_to_recordset($3::jsonb) AS e(id text, type text, at text, data text)
       ON CONFLICT (kiosk_id, event_id) DO NOTHING
       RETURNING event_id`,
      [
        kioskId,
        receivedAt,
        JSON.stringify(
          events.map((e) => ({ id: e.id, type: e.type, at: e.at, data: JSON.stringify(e.data ?? null) })),
        ),
      ],
    );
    return new Set(rows.map((r) => r.event_id));
  }

  async probeWritable(nowIso: string): Promise<void> {
    await pgTransaction(this.pool, async (client) => {
      await client.query(`SET LOCAL statement_timeout = ${PROBE_TIMEOUT_MS}`);
      await client.query(
        `INSERT INTO health (id, checked_at) VALUES (1, $1)
         ON CONFLICT (id) DO UPDATE SET checked_at = excluded.checked_at`,
        [nowIso],
      );
    });
  }

  async pruneBefore(cutoffIso: string): Promise<{ events: number; notifies: number; telemetry: number }> {
    return pgTransaction(this.pool, async (client) => {
      const events = await client.query(
        `DELETE FROM events e USING kiosk_cursors c
          WHERE c.kiosk_id = e.kiosk_id AND e.received_at < $1 AND e.seq <= c.acked_seq`,
        [cutoffIso],
      );
      const notifies = await client.query(
        `DELETE FROM notifies n WHERE n.received_at < $1
            AND NOT EXISTS (SELECT 1 FROM events e WHERE e.notify_ref = n.id)`,
        [cutoffIso],
      );
      const telemetry = await client.query('DELETE FROM telemetry WHERE received_at < $1', [cutoffIso]);
      return {
        events: events.rowCount ?? 0,
        notifies: notifies.rowCount ?? 0,
        telemetry: telemetry.rowCount ?? 0,
      };
    });
  }

  /**
   * LISTEN on relay_events, relay_sessions and relay_enrollment, and every watchMs a catch-up: the kiosks
   * whose last seq moved since the previous catch-up are woken (a NOTIFY lost while the listening connection
   * was down is repaired there), and the epoch is checked against the database's generation.
   */
  watch(listener: StoreListener): void {
    if (this.#listener !== undefined) throw new Error('watch() was called twice');
    let seen = new Map<string, number>();
    const catchUp = async (): Promise<void> => {
      const rows = await this.#rows<{ kiosk_id: string; last_seq: number }>(
        'SELECT kiosk_id, last_seq FROM kiosk_cursors',
      );
      const now = new Map(rows.map((r) => [r.kiosk_id, r.last_seq]));
      for (const [kioskId, seq] of now) if (seen.get(kioskId) !== seq) listener.eventsStored(kioskId);
      seen = now;
      await this.openEpoch(new Date().toISOString());
    };
    this.#listener = new PgListener(this.url, {
      relay_events: (payload) =>
        listener.eventsStored(payload.slice(0, payload.lastIndexOf(':')) || undefined),
      relay_sessions: (payload) => {
        const cut = payload.lastIndexOf(':');
        const ticket = Number(payload.slice(cut + 1));
        if (cut > 0 && Number.isSafeInteger(ticket)) listener.sessionOpened(payload.slice(0, cut), ticket);
      },
      relay_enrollment: () => listener.enrollmentChanged(),
      // After (re)connecting, anything may have been missed.
      connected: () => {
        listener.eventsStored(undefined);
        listener.enrollmentChanged();
      },
      catchUp,
      catchUpMs: this.watchMs,
      lifeLock: this.#lifeLock,
    });
  }

  /** The ticket, announced to every instance and recorded as this instance's stream of the kiosk. */
  async openSession(kioskId: string): Promise<number> {
    const [row] = await this.#rows<{ ticket: number }>(
      `WITH t AS (SELECT nextval('stream_sessions') AS n),
            held AS (INSERT INTO kiosk_streams (kiosk_id, ticket, instance_lock) SELECT $1, n, $2 FROM t
                     ON CONFLICT (kiosk_id) DO UPDATE
                        SET ticket = excluded.ticket, instance_lock = excluded.instance_lock
                      WHERE kiosk_streams.ticket < excluded.ticket)
       SELECT t.n AS ticket, pg_notify('relay_sessions', $1 || ':' || t.n) FROM t`,
      [kioskId, this.#lifeLock.toString()],
    );
    if (row === undefined) throw new Error('no session ticket');
    return row.ticket;
  }

  async closeSession(kioskId: string, ticket: number): Promise<void> {
    await this.pool.query('DELETE FROM kiosk_streams WHERE kiosk_id = $1 AND ticket = $2', [kioskId, ticket]);
  }

  /**
   * Kiosks whose newest stream is held by a live instance: one whose listening connection still holds its
   * life lock. An instance killed with its streams open loses the lock with its connections, at once.
   */
  async liveStreams(): Promise<Set<string>> {
    const rows = await this.#rows<{ kiosk_id: string }>(
      `SELECT s.kiosk_id FROM kiosk_streams s
        WHERE EXISTS (SELECT 1 FROM pg_locks l
                       WHERE l.locktype = 'advisory' AND l.objsubid = 1 AND l.granted
                         AND ((l.classid::int8 << 32) | l.objid::int8) = s.instance_lock)`,
    );
    return new Set(rows.map((r) => r.kiosk_id));
  }

  async close(): Promise<void> {
    await this.#listener?.close();
    await this.pool.end();
  }
}

/** What a restore cannot reproduce: see PgStore.openEpoch. */
async function databaseGeneration(client: pg.PoolClient): Promise<string> {
  const db = await client.query<{ oid: number }>(
    'SELECT oid::int8 AS oid FROM pg_database WHERE datname = current_database()',
  );
  let cluster = 'unknown';
  await client.query('SAVEPOINT generation');
  try {
    const r = await client.query<{ system_identifier: string; timeline_id: number }>(
      `SELECT s.system_identifier::text AS system_identifier, c.timeline_id
         FROM pg_control_system() s, pg_control_checkpoint() c`,
    );
    const row = r.rows[0];
    if (row !== undefined) cluster = `${row.system_identifier}/${row.timeline_id}`;
  } catch {
    // pg_control_* need superuser or pg_monitor on some set-ups: then only the database oid is compared.
    await client.query('ROLLBACK TO SAVEPOINT generation').catch(() => undefined);
  }
  return `${cluster}/${db.rows[0]?.oid ?? 0}`;
}

class PgEnrollment implements EnrollmentStore {
  constructor(private readonly pool: pg.Pool) {}

  /** Runs a change and tells every relay instance (they re-check open streams against their tokens). */
  #change(sql: string, params: unknown[]): Promise<boolean> {
    return pgTransaction(this.pool, async (client) => {
      const r = await client.query(sql, params);
      await client.query(`SELECT pg_notify('relay_enrollment', '')`);
      return (r.rowCount ?? 0) > 0;
    });
  }

  enroll(id: string, tokenSha256: string, nowIso: string): Promise<boolean> {
    return this.#change(
      `INSERT INTO enrolled_kiosks (kiosk_id, token_sha256, created_at) VALUES ($1, $2, $3)
       ON CONFLICT (kiosk_id) DO UPDATE SET token_sha256 = excluded.token_sha256, created_at = excluded.created_at,
         rotated_at = NULL, revoked_at = NULL
       WHERE enrolled_kiosks.revoked_at IS NOT NULL`,
      [id, tokenSha256, nowIso],
    );
  }

  rotate(id: string, tokenSha256: string, nowIso: string): Promise<boolean> {
    return this.#change(
      'UPDATE enrolled_kiosks SET token_sha256 = $1, rotated_at = $2 WHERE kiosk_id = $3 AND revoked_at IS NULL',
      [tokenSha256, nowIso, id],
    );
  }

  revoke(id: string, nowIso: string): Promise<boolean> {
    return this.#change(
      'UPDATE enrolled_kiosks SET revoked_at = $1 WHERE kiosk_id = $2 AND revoked_at IS NULL',
      [nowIso, id],
    );
  }

  async list(): Promise<EnrolledKiosk[]> {
    const r = await this.pool.query<{
      kiosk_id: string;
      created_at: string;
      rotated_at: string | null;
      revoked_at: string | null;
    }>('SELECT kiosk_id, created_at, rotated_at, revoked_at FROM enrolled_kiosks ORDER BY kiosk_id');
    return r.rows.map((x) => ({
      id: x.kiosk_id,
      createdAt: x.created_at,
      rotatedAt: x.rotated_at,
      revokedAt: x.revoked_at,
    }));
  }

  async digest(id: string): Promise<string | undefined> {
    const r = await this.pool.query<{ token_sha256: string }>(
      'SELECT token_sha256 FROM enrolled_kiosks WHERE kiosk_id = $1 AND revoked_at IS NULL',
      [id],
    );
    return r.rows[0]?.token_sha256;
  }
}
