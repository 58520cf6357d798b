// Repository over the relay database: the durable notify log, per-kiosk event sequences and acks,
// and kiosk telemetry. All writes that belong together run in one SQLite transaction.
import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import { BUSY_TIMEOUT_MS } from './db.ts';
import type { RelayDb } from './db.ts';

const PROBE_BUSY_TIMEOUT_MS = 250;

/** What a kiosk receives: the raw form body so it can re-verify Alipay's signature itself. */
export interface RelayEvent {
  seq: number;
  kind: 'alipay_notify';
  body: string;
  receivedAt: string;
}

export interface NotifyRecord {
  dedupKey: string;
  notifyId: string | undefined;
  outTradeNo: string | undefined;
  notifyKind: string;
  /** undefined: no configured kiosk owns this out_trade_no; stored as a dead letter. */
  kioskId: string | undefined;
  rawBody: string;
  params: Record<string, string>;
  receivedAt: string;
}

export type StoreOutcome =
  | { outcome: 'stored'; kioskId: string; seq: number }
  | { outcome: 'unroutable' }
  | { outcome: 'duplicate'; sameBody: boolean };

export interface TelemetryEvent {
  id: string;
  type: string;
  at: string;
  data: unknown;
}

interface EventRow {
  seq: number;
  kind: string;
  raw_body: string;
  received_at: string;
}

export class EventStore {
  readonly #db: RelayDb;
  readonly #storeNotifyTx: (rec: NotifyRecord) => StoreOutcome;
  readonly #statements = new Map<string, Database.Statement>();
  #epoch: string | undefined;

  /** The current epoch of the log (see beginEpoch). */
  get epoch(): string {
    if (this.#epoch === undefined) throw new Error('beginEpoch() has not been called');
    return this.#epoch;
  }

  /** Prepares each SQL text once: the hot paths (replay, ack, long-poll) run it per message. */
  #stmt<P extends unknown[], R = unknown>(sql: string): Database.Statement<P, R> {
    let st = this.#statements.get(sql);
    if (st === undefined) {
      st = this.#db.prepare(sql);
      this.#statements.set(sql, st);
    }
    return st as unknown as Database.Statement<P, R>;
  }

  constructor(db: RelayDb) {
    this.#db = db;
    const findDup = db.prepare<[string], { id: number; raw_body: string }>(
      'SELECT id, raw_body FROM notifies WHERE dedup_key = ?',
    );
    const countDup = db.prepare<[number]>('UPDATE notifies SET duplicates = duplicates + 1 WHERE id = ?');
    const insertNotify = db.prepare<
      [string, string | null, string | null, string, string | null, string, string, string]
    >(
      `INSERT INTO notifies (dedup_key, notify_id, out_trade_no, notify_kind, kiosk_id, raw_body, params_json, received_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const nextSeq = db.prepare<[string], { last_seq: number }>(
      `INSERT INTO kiosk_cursors (kiosk_id, last_seq, acked_seq) VALUES (?, 1, 0)
       ON CONFLICT (kiosk_id) DO UPDATE SET last_seq = last_seq + 1
       RETURNING last_seq`,
    );
    const insertEvent = db.prepare<[string, number, string, number | bigint, string]>(
      'INSERT INTO events (kiosk_id, seq, kind, notify_ref, received_at) VALUES (?, ?, ?, ?, ?)',
    );

    this.#storeNotifyTx = db.transaction((rec: NotifyRecord): StoreOutcome => {
      const dup = findDup.get(rec.dedupKey);
      if (dup !== undefined) {
        countDup.run(dup.id);
        return { outcome: 'duplicate', sameBody: dup.raw_body === rec.rawBody };
      }
      const inserted = insertNotify.run(
        rec.dedupKey,
        rec.notifyId ?? null,
        rec.outTradeNo ?? null,
        rec.notifyKind,
        rec.kioskId ?? null,
        rec.rawBody,
        JSON.stringify(rec.params),
        rec.receivedAt,
      );
      if (rec.kioskId === undefined) return { outcome: 'unroutable' };
      const cursor = nextSeq.get(rec.kioskId);
      if (cursor === undefined) throw new Error('sequence allocation returned no row');
      insertEvent.run(
        rec.kioskId,
        cursor.last_seq,
        'alipay_notify',
        inserted.lastInsertRowid,
        rec.receivedAt,
      );
      return { outcome: 'stored', kioskId: rec.kioskId, seq: cursor.last_seq };
    });
  }

  /** Durably records a verified notification; returns only after the commit (synchronous=FULL). */
  storeNotify(rec: NotifyRecord): StoreOutcome {
    return this.#storeNotifyTx(rec);
  }

  /** Events of one kiosk with seq > afterSeq, oldest first. */
  eventsAfter(kioskId: string, afterSeq: number, limit: number): RelayEvent[] {
    const rows = this.#stmt<[string, number, number], EventRow>(
      `SELECT e.seq, e.kind, n.raw_body, e.received_at
         FROM events e JOIN notifies n ON n.id = e.notify_ref
         WHERE e.kiosk_id = ? AND e.seq > ?
         ORDER BY e.seq LIMIT ?`,
    ).all(kioskId, afterSeq, limit);
    return rows.map((r) => ({
      seq: r.seq,
      kind: 'alipay_notify',
      body: r.raw_body,
      receivedAt: r.received_at,
    }));
  }

  /**
   * Records that the kiosk holds every event up to `seq`. Monotonic and clamped to what was assigned,
   * so a confused or hostile kiosk cannot move the mark backwards or past the log.
   */
  ack(kioskId: string, seq: number): number {
    const row = this.#stmt<[number, string], { acked_seq: number }>(
      `UPDATE kiosk_cursors SET acked_seq = MAX(acked_seq, MIN(?, last_seq))
         WHERE kiosk_id = ? RETURNING acked_seq`,
    ).get(seq, kioskId);
    return row?.acked_seq ?? 0;
  }

  /**
   * Forgets what no kiosk and no Alipay resend can still need: events a kiosk has acked and notifications
   * (routed or dead letters) and telemetry received before `cutoffIso`. Unacked events are kept however old:
   * a kiosk that was away for months still gets its payments. Alipay stops resending after about 25 hours,
   * so a retention of days keeps de-duplication intact.
   */
  pruneBefore(cutoffIso: string): { events: number; notifies: number; telemetry: number } {
    return this.#db.transaction(() => {
      const events = this.#db
        .prepare(
          `DELETE FROM events WHERE received_at < ? AND seq <= (
             SELECT acked_seq FROM kiosk_cursors WHERE kiosk_cursors.kiosk_id = events.kiosk_id)`,
        )
        .run(cutoffIso).changes;
      const notifies = this.#db
        .prepare(
          `DELETE FROM notifies WHERE received_at < ? AND NOT EXISTS (
             SELECT 1 FROM events WHERE events.notify_ref = notifies.id)`,
        )
        .run(cutoffIso).changes;
      const telemetry = this.#db
        .prepare('DELETE FROM telemetry WHERE received_at < ?')
        .run(cutoffIso).changes;
      return { events, notifies, telemetry };
    })();
  }

  /**
   * Begins a new epoch of the log (called once per start) and records where each kiosk's sequence stands,
   * so every (epoch, seq) pair names one event only, even after an older backup was restored.
   */
  beginEpoch(nowIso: string): string {
    const epoch = randomUUID();
    this.#epoch = epoch;
    this.#db.transaction(() => {
      this.#db.prepare('INSERT INTO epochs (epoch, started_at) VALUES (?, ?)').run(epoch, nowIso);
      this.#db
        .prepare(
          'INSERT INTO epoch_bases (epoch, kiosk_id, base_seq) SELECT ?, kiosk_id, last_seq FROM kiosk_cursors',
        )
        .run(epoch);
    })();
    return epoch;
  }

  /**
   * Where delivery to a kiosk resumes, given what the kiosk says it holds. Within the current epoch that is
   * its lastSeq; from an older epoch of this database, its lastSeq but no further than where that epoch
   * ended (a restored backup ends it early: what the kiosk saw beyond is not in this log, and the numbers
   * after it are new events); from an epoch this database never had, or a kiosk beyond the log, the start.
   * The kiosk's own order records absorb anything it is given twice.
   */
  resumePoint(kioskId: string, epoch: string | undefined, lastSeq: number): number {
    const { lastSeq: logSeq } = this.cursor(kioskId);
    if (epoch === undefined || epoch === this.epoch) return lastSeq <= logSeq ? lastSeq : 0;
    const end = this.#stmt<[string, string], { base_seq: number | null }>(
      `SELECT (SELECT b.base_seq FROM epochs next
                 LEFT JOIN epoch_bases b ON b.epoch = next.epoch AND b.kiosk_id = ?
                WHERE next.ordinal > e.ordinal ORDER BY next.ordinal LIMIT 1) AS base_seq
         FROM epochs e WHERE e.epoch = ?`,
    ).get(kioskId, epoch);
    if (end === undefined) return 0;
    return Math.min(lastSeq, end.base_seq ?? 0, logSeq);
  }

  /** Records that the kiosk was heard from (hello, long-poll, telemetry), for the operator read API. */
  touch(kioskId: string, nowIso: string): void {
    this.#stmt<[string, string]>(
      `INSERT INTO kiosk_presence (kiosk_id, last_seen_at) VALUES (?, ?)
       ON CONFLICT (kiosk_id) DO UPDATE SET last_seen_at = excluded.last_seen_at`,
    ).run(kioskId, nowIso);
  }

  cursor(kioskId: string): { lastSeq: number; ackedSeq: number } {
    const row = this.#stmt<[string], { last_seq: number; acked_seq: number }>(
      'SELECT last_seq, acked_seq FROM kiosk_cursors WHERE kiosk_id = ?',
    ).get(kioskId);
    return { lastSeq: row?.last_seq ?? 0, ackedSeq: row?.acked_seq ?? 0 };
  }

  deadLetterCount(): number {
    const row = this.#stmt<[], { n: number }>(
      'SELECT COUNT(*) AS n FROM notifies WHERE kiosk_id IS NULL',
    ).get();
    return row?.n ?? 0;
  }

  /** Stores telemetry idempotently; returns the ids that were new (the rest were already stored). */
  storeTelemetry(kioskId: string, events: readonly TelemetryEvent[], receivedAt: string): Set<string> {
    const insert = this.#stmt<[string, string, string, string, string, string]>(
      `INSERT INTO telemetry (kiosk_id, event_id, type, at, data_json, received_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (kiosk_id, event_id) DO NOTHING`,
    );
    const fresh = new Set<string>();
    this.#db.transaction(() => {
      for (const ev of events) {
        const r = insert.run(kioskId, ev.id, ev.type, ev.at, JSON.stringify(ev.data ?? null), receivedAt);
        if (r.changes > 0) fresh.add(ev.id);
      }
    })();
    return fresh;
  }

  /**
   * Proves the database still accepts durable writes (disk full, read-only mount, a foreign write lock…).
   * Waits at most 250 ms for a lock: a probe must answer fast, and this call blocks the event loop.
   */
  probeWritable(now: string): void {
    this.#db.pragma(`busy_timeout = ${PROBE_BUSY_TIMEOUT_MS}`);
    try {
      this.#stmt<[string]>(
        'INSERT INTO health (id, checked_at) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET checked_at = excluded.checked_at',
      ).run(now);
    } finally {
      this.#db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    }
  }
}
