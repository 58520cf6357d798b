// The relay's PostgreSQL database: a connection pool and versioned, append-only migrations (index + 1 is the
// version recorded in relay_schema). Several relay instances may start at once: migrations run under an
// advisory lock, each step in its own transaction. The tables mirror the SQLite ones (db.ts); a notify is
// stored by one function call, relay_store_notify, so the dedup check, the gap-free per-kiosk seq, the event
// and the NOTIFY that wakes every instance are one statement: one round trip, one atomic transaction.
import pg from 'pg';
import { numberedParams } from './plain-sql.ts';
import type { PlainSql, SqlParam, SqlStatement } from './plain-sql.ts';

/** int8 (seq, ids, counts) as JavaScript numbers: they stay far below 2^53. */
const INT8_OID = 20;
const types = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === INT8_OID
      ? (v: string) => Number(v)
      : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

/** Advisory lock keys (any constant bigint): schema migration and epoch decisions. */
export const MIGRATION_LOCK = 727_001;
export const EPOCH_LOCK = 727_002;

const MIGRATIONS: readonly string[] = [
  // v1: everything SQLite has at its v3 (db.ts), plus the stream session tickets and the generation an epoch
  // was created under (see pg-store.ts, epochs).
  `
  CREATE TABLE kiosk_cursors (
    kiosk_id  text PRIMARY KEY,
    last_seq  bigint NOT NULL,
    acked_seq bigint NOT NULL DEFAULT 0
  );
  CREATE TABLE notifies (
    id           bigserial PRIMARY KEY,
    dedup_key    text NOT NULL UNIQUE,
    notify_id    text,
    out_trade_no text,
    notify_kind  text NOT NULL,
    kiosk_id     text,
    raw_body     text NOT NULL,
    params_json  text NOT NULL,
    received_at  text NOT NULL,
    duplicates   integer NOT NULL DEFAULT 0
  );
  CREATE INDEX notifies_dead_letters ON notifies (received_at) WHERE kiosk_id IS NULL;
  CREATE TABLE events (
    kiosk_id    text NOT NULL REFERENCES kiosk_cursors (kiosk_id),
    seq         bigint NOT NULL,
    kind        text NOT NULL,
    notify_ref  bigint NOT NULL UNIQUE REFERENCES notifies (id),
    received_at text NOT NULL,
    PRIMARY KEY (kiosk_id, seq)
  );
  CREATE TABLE telemetry (
    kiosk_id    text NOT NULL,
    event_id    text NOT NULL,
    type        text NOT NULL,
    at          text NOT NULL,
    data_json   text NOT NULL,
    received_at text NOT NULL,
    PRIMARY KEY (kiosk_id, event_id)
  );
  CREATE TABLE health (
    id         integer PRIMARY KEY CHECK (id = 1),
    checked_at text NOT NULL
  );
  CREATE TABLE epochs (
    ordinal    bigserial PRIMARY KEY,
    epoch      text NOT NULL UNIQUE,
    started_at text NOT NULL,
    generation text NOT NULL
  );
  CREATE TABLE epoch_bases (
    epoch    text NOT NULL REFERENCES epochs (epoch),
    kiosk_id text NOT NULL,
    base_seq bigint NOT NULL,
    PRIMARY KEY (epoch, kiosk_id)
  );
  CREATE TABLE enrolled_kiosks (
    kiosk_id     text PRIMARY KEY,
    token_sha256 text NOT NULL,
    created_at   text NOT NULL,
    rotated_at   text,
    revoked_at   text
  );
  CREATE TABLE kiosk_presence (
    kiosk_id     text PRIMARY KEY,
    last_seen_at text NOT NULL
  );
  CREATE SEQUENCE stream_sessions;

  CREATE FUNCTION relay_store_notify(
    p_dedup_key text, p_notify_id text, p_out_trade_no text, p_notify_kind text, p_kiosk_id text,
    p_raw_body text, p_params_json text, p_received_at text,
    OUT outcome text, OUT out_seq bigint, OUT same_body boolean)
  LANGUAGE plpgsql AS $fn$
  DECLARE
    v_id bigint;
    v_body text;
  BEGIN
    INSERT INTO notifies (dedup_key, notify_id, out_trade_no, notify_kind, kiosk_id, raw_body, params_json, received_at)
    VALUES (p_dedup_key, p_notify_id, p_out_trade_no, p_notify_kind, p_kiosk_id, p_raw_body, p_params_json, p_received_at)
    ON CONFLICT (dedup_key) DO NOTHING
    RETURNING id INTO v_id;
    IF v_id IS NULL THEN
      UPDATE notifies SET duplicates = duplicates + 1 WHERE dedup_key = p_dedup_key RETURNING raw_body INTO v_body;
      outcome := 'duplicate';
      same_body := v_body IS NOT DISTINCT FROM p_raw_body;
      RETURN;
    END IF;
    IF p_kiosk_id IS NULL THEN
      outcome := 'unroutable';
      RETURN;
    END IF;
    -- The row lock on the kiosk's cursor serialises writers of this kiosk only, until the commit: seqs are
    -- gap-free and become visible in order.
    INSERT INTO kiosk_cursors (kiosk_id, last_seq, acked_seq) VALUES (p_kiosk_id, 1, 0)
    ON CONFLICT (kiosk_id) DO UPDATE SET last_seq = kiosk_cursors.last_seq + 1
    RETURNING last_seq INTO out_seq;
    INSERT INTO events (kiosk_id, seq, kind, notify_ref, received_at)
    VALUES (p_kiosk_id, out_seq, 'alipay_notify', v_id, p_received_at);
    -- Delivered to every listening instance only when this transaction commits.
    PERFORM pg_notify('relay_events', p_kiosk_id || ':' || out_seq);
    outcome := 'stored';
  END
  $fn$;
  `,
  // v2: SQLite's v4 (db.ts): reconciliation against Alipay's bill (backend-bridge/reconcile/) and the indexes
  // its runs read by.
  `
  CREATE TABLE reconciliation_days (
    day     text PRIMARY KEY,
    ran_at  text NOT NULL,
    status  text NOT NULL,
    error   text,
    trades  integer NOT NULL DEFAULT 0
  );
  CREATE TABLE reconciliation_differences (
    day            text NOT NULL,
    ordinal        integer NOT NULL,
    out_trade_no   text NOT NULL,
    class          text NOT NULL,
    kiosk_id       text,
    alipay_fen     bigint,
    kiosk_fen      bigint,
    owed_fen       bigint NOT NULL,
    detail         text NOT NULL,
    refund_request text,
    refund_fen     bigint,
    PRIMARY KEY (day, ordinal)
  );
  CREATE INDEX reconciliation_differences_trade ON reconciliation_differences (day, out_trade_no);
  CREATE TABLE reconciliation_actions (
    id             bigserial PRIMARY KEY,
    day            text NOT NULL,
    at             text NOT NULL,
    out_trade_no   text NOT NULL,
    out_request_no text NOT NULL,
    refund_fen     bigint NOT NULL,
    trigger_kind   text NOT NULL,
    actor          text NOT NULL,
    result         text NOT NULL,
    detail         text NOT NULL
  );
  CREATE INDEX reconciliation_actions_day ON reconciliation_actions (day, at);
  CREATE INDEX notifies_out_trade_no ON notifies (out_trade_no);
  CREATE INDEX notifies_received_at ON notifies (received_at);
  CREATE INDEX telemetry_type_received ON telemetry (type, received_at);
  `,
  // v3: SQLite's v5 (db.ts): the operator console's reads of telemetry (operator/fleet-queries.ts).
  `
  CREATE INDEX telemetry_by_kiosk_type ON telemetry (kiosk_id, type, at);
  CREATE INDEX telemetry_by_type ON telemetry (type, at);
  `,
  // v4: which instance holds each kiosk's stream, so that any instance's operator API can say "connected"
  // (pg-store.ts liveStreams). No SQLite counterpart: one process holds every stream there.
  `
  CREATE TABLE kiosk_streams (
    kiosk_id      text PRIMARY KEY,
    ticket        bigint NOT NULL,
    instance_lock bigint NOT NULL
  );
  `,
];

export const PG_SCHEMA_VERSION = MIGRATIONS.length;

export function pgPool(url: string, max = 10): pg.Pool {
  return new pg.Pool({ connectionString: url, max, types });
}

/** A connection of its own, for LISTEN (a pooled one would be handed to other queries). */
export function pgClient(url: string): pg.Client {
  return new pg.Client({ connectionString: url, types });
}

/** Runs fn in one transaction on a pooled connection: committed when it resolves, rolled back when it throws. */
export async function pgTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

export async function migratePg(pool: pg.Pool): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    await client.query('CREATE TABLE IF NOT EXISTS relay_schema (version integer NOT NULL)');
    const row = await client.query<{ version: number }>('SELECT max(version) AS version FROM relay_schema');
    const current = row.rows[0]?.version ?? 0;
    if (current > PG_SCHEMA_VERSION) {
      throw new Error(
        `relay database schema version ${current} is newer than this relay understands (${PG_SCHEMA_VERSION})`,
      );
    }
    for (let version = current; version < PG_SCHEMA_VERSION; version++) {
      const sql = MIGRATIONS[version];
      if (sql === undefined) break;
      await client.query('BEGIN');
      try {
        await client.query(sql);
        await client.query('INSERT INTO relay_schema (version) VALUES ($1)', [version + 1]);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK');
        throw err;
      }
    }
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
    client.release();
  }
}

/** Plain portable SQL (plain-sql.ts) on the pool. */
export function pgPlainSql(pool: pg.Pool): PlainSql {
  return {
    async all<R>(sql: string, params: readonly SqlParam[] = []): Promise<R[]> {
      return (await pool.query(numberedParams(sql), [...params])).rows as R[];
    },
    batch(statements: readonly SqlStatement[]): Promise<void> {
      return pgTransaction(pool, async (client) => {
        for (const s of statements) await client.query(numberedParams(s.sql), [...s.params]);
      });
    },
  };
}
