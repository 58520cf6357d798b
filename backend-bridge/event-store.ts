// The SQLite implementation of RelayStore (the default backend): the durable notify log, per-kiosk event
// sequences and acks, telemetry, enrollment. better-sqlite3 is synchronous; the interface is asynchronous so
// the PostgreSQL backend fits behind it. Writes are group-committed (group-commit.ts): the notifies, acks,
// presence and telemetry that arrive in one turn of the event loop share one durable transaction (a write
// that fails is refused alone: see #commitBatch), and each notify is answered only after that commit.
import type Database from 'better-sqlite3';
import { BUSY_TIMEOUT_MS, openRelayDb } from './db.ts';
import type { RelayDb } from './db.ts';
import { GroupCommit } from './group-commit.ts';
import { RecentEvents } from './recent-events.ts';
import type { Outcome } from './group-commit.ts';
import { sqlitePlainSql } from './plain-sql.ts';
import { fleetQueries } from './operator/fleet-queries.ts';
import type { FleetQueries } from './operator/fleet-queries.ts';
import { reconciliationStorage } from './reconcile/store.ts';
import { openSqliteEpoch } from './sqlite-epoch.ts';
import type { MarkFile } from './sqlite-epoch.ts';
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

export type { RelayEvent, NotifyRecord, StoreOutcome, TelemetryEvent } from './store.ts';

const PROBE_BUSY_TIMEOUT_MS = 250;
/** Kiosks whose newest event is kept in memory for the push (recent-events.ts): about 1 KiB each. */
const RECENT_KIOSKS = 1024;

/** A write of a batch run without savepoints threw: the whole transaction is rolled back. */
class BatchMemberFailed extends Error {
  constructor(cause: unknown) {
    super('a write of the batch failed', { cause });
  }
}

interface EventRow {
  seq: number;
  kind: string;
  raw_body: string;
  received_at: string;
}

export class SqliteStore implements RelayStore {
  readonly backend = 'sqlite';
  readonly enrollment: EnrollmentStore;
  readonly reconciliation: ReconciliationStorage;
  readonly fleet: FleetQueries;
  readonly #db: RelayDb;
  readonly #path: string;
  readonly #storeOne: (rec: NotifyRecord) => StoreOutcome;
  readonly #commits: GroupCommit;
  /** The batch in one transaction, no savepoints; throws BatchMemberFailed (rolled back) if a write threw. */
  readonly #together: (ops: ReadonlyArray<() => unknown>) => Outcome[];
  /** The batch in one transaction, each write in its own savepoint: a failing write fails alone. */
  readonly #isolated: (ops: ReadonlyArray<() => unknown>) => Outcome[];
  /** Events assigned in the batch being written: the high-water mark and RecentEvents once it commits. */
  #assigned: Array<{ kioskId: string; event: RelayEvent }> = [];
  readonly #recent = new RecentEvents(RECENT_KIOSKS);
  readonly #statements = new Map<string, Database.Statement>();
  #epoch: string | undefined;
  /** Events ever assigned (the high-water mark kept beside the file; see sqlite-epoch.ts). */
  #position = 0;
  #mark: MarkFile | undefined;
  #watchTimer: NodeJS.Timeout | undefined;
  #sessions = 0;

  static open(path: string, opts: { watchMs?: number | undefined } = {}): SqliteStore {
    return new SqliteStore(openRelayDb(path), path, opts.watchMs ?? 250);
  }

  private constructor(
    db: RelayDb,
    path: string,
    private readonly watchMs: number,
  ) {
    this.#db = db;
    this.#path = path;
    this.enrollment = new SqliteEnrollment(db);
    const sql = sqlitePlainSql(db);
    this.reconciliation = reconciliationStorage(sql);
    this.fleet = fleetQueries(sql);
    // A fresh notify costs three statements: its row (RETURNING its id; a resend's key conflicts and returns
    // nothing), its kiosk's next seq, its event. A resend costs one more: counted, its first body returned.
    const insertNotify = db.prepare<
      [string, string | null, string | null, string, string | null, string, string, string],
      { id: number }
    >(
      `INSERT INTO notifies (dedup_key, notify_id, out_trade_no, notify_kind, kiosk_id, raw_body, params_json, received_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (dedup_key) DO NOTHING RETURNING id`,
    );
    const countDup = db.prepare<[string], { raw_body: string }>(
      'UPDATE notifies SET duplicates = duplicates + 1 WHERE dedup_key = ? RETURNING raw_body',
    );
    const nextSeq = db.prepare<[string], { last_seq: number }>(
      `INSERT INTO kiosk_cursors (kiosk_id, last_seq, acked_seq) VALUES (?, 1, 0)
       ON CONFLICT (kiosk_id) DO UPDATE SET last_seq = last_seq + 1
       RETURNING last_seq`,
    );
    const insertEvent = db.prepare<[string, number, string, number, string]>(
      'INSERT INTO events (kiosk_id, seq, kind, notify_ref, received_at) VALUES (?, ?, ?, ?, ?)',
    );
    this.#storeOne = (rec: NotifyRecord): StoreOutcome => {
      const inserted = insertNotify.get(...notifyColumns(rec));
      if (inserted === undefined) {
        const first = countDup.get(rec.dedupKey);
        if (first === undefined) throw new Error('dedup key conflicted but no row holds it');
        return { outcome: 'duplicate', sameBody: first.raw_body === rec.rawBody };
      }
      if (rec.kioskId === undefined) return { outcome: 'unroutable' };
      const cursor = nextSeq.get(rec.kioskId);
      if (cursor === undefined) throw new Error('sequence allocation returned no row');
      insertEvent.run(rec.kioskId, cursor.last_seq, 'alipay_notify', inserted.id, rec.receivedAt);
      const event: RelayEvent = {
        seq: cursor.last_seq,
        kind: 'alipay_notify',
        body: rec.rawBody,
        receivedAt: rec.receivedAt,
      };
      this.#assigned.push({ kioskId: rec.kioskId, event });
      return { outcome: 'stored', kioskId: rec.kioskId, seq: cursor.last_seq };
    };
    const savepoint = db.transaction((op: () => unknown) => op());
    this.#together = db.transaction((ops: ReadonlyArray<() => unknown>) =>
      ops.map((op): Outcome => {
        try {
          return { ok: true, value: op() };
        } catch (err) {
          throw new BatchMemberFailed(err);
        }
      }),
    );
    this.#isolated = db.transaction((ops: ReadonlyArray<() => unknown>) =>
      ops.map((op): Outcome => {
        try {
          return { ok: true, value: savepoint(op) };
        } catch (err) {
          return { ok: false, error: err instanceof Error ? err : new Error(String(err)) };
        }
      }),
    );
    this.#commits = new GroupCommit((ops) => this.#commitBatch(ops));
  }

  /**
   * One durable transaction (synchronous=FULL) for the whole batch. The writes run one after another with
   * no savepoint between them (two statements per write saved); if one throws, the batch is rolled back
   * whole and run again with each write in its own savepoint, so only the failing one fails.
   */
  #commitBatch(ops: ReadonlyArray<() => unknown>): Outcome[] {
    let outcomes: Outcome[];
    try {
      this.#assigned = [];
      outcomes = this.#together(ops);
    } catch (err) {
      if (!(err instanceof BatchMemberFailed)) throw err;
      this.#assigned = [];
      outcomes = this.#isolated(ops);
    }
    for (const { kioskId, event } of this.#assigned) this.#recent.committed(kioskId, event);
    if (this.#assigned.length > 0 && this.#epoch !== undefined) {
      this.#position += this.#assigned.length;
      this.#mark?.write({ epoch: this.#epoch, position: this.#position });
    }
    return outcomes;
  }

  /** A write that joins the current batch (see group-commit.ts). */
  #write<R>(op: () => R): Promise<R> {
    return this.#commits.submit(op);
  }

  get epoch(): string {
    if (this.#epoch === undefined) throw new Error('openEpoch() has not been called');
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

  openEpoch(nowIso: string): Promise<string> {
    const { epoch, position, markFile } = openSqliteEpoch(this.#db, this.#path, nowIso);
    this.#epoch = epoch;
    this.#position = position;
    this.#mark = markFile;
    return Promise.resolve(epoch);
  }

  storeNotify(rec: NotifyRecord): Promise<StoreOutcome> {
    return this.#write(() => this.#storeOne(rec));
  }

  eventsAfter(kioskId: string, afterSeq: number, limit: number): Promise<RelayEvent[]> {
    const recent = limit > 0 ? this.#recent.after(kioskId, afterSeq) : undefined;
    if (recent !== undefined) return Promise.resolve(recent);
    const rows = this.#stmt<[string, number, number], EventRow>(
      `SELECT e.seq, e.kind, n.raw_body, e.received_at
         FROM events e JOIN notifies n ON n.id = e.notify_ref
         WHERE e.kiosk_id = ? AND e.seq > ?
         ORDER BY e.seq LIMIT ?`,
    ).all(kioskId, afterSeq, limit);
    return Promise.resolve(
      rows.map((r) => ({ seq: r.seq, kind: 'alipay_notify', body: r.raw_body, receivedAt: r.received_at })),
    );
  }

  ack(kioskId: string, seq: number): Promise<number> {
    return this.#write(() => {
      const row = this.#stmt<[number, string], { acked_seq: number }>(
        `UPDATE kiosk_cursors SET acked_seq = MAX(acked_seq, MIN(?, last_seq))
           WHERE kiosk_id = ? RETURNING acked_seq`,
      ).get(seq, kioskId);
      return row?.acked_seq ?? 0;
    });
  }

  pruneBefore(cutoffIso: string): Promise<{ events: number; notifies: number; telemetry: number }> {
    return Promise.resolve(
      this.#db.transaction(() => {
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
      })(),
    );
  }

  resumePoint(kioskId: string, epoch: string | undefined, lastSeq: number): Promise<number> {
    const logSeq = this.#cursor(kioskId).lastSeq;
    if (epoch === undefined || epoch === this.epoch) return Promise.resolve(lastSeq <= logSeq ? lastSeq : 0);
    const end = this.#stmt<[string, string], { base_seq: number | null }>(
      `SELECT (SELECT b.base_seq FROM epochs next
                 LEFT JOIN epoch_bases b ON b.epoch = next.epoch AND b.kiosk_id = ?
                WHERE next.ordinal > e.ordinal ORDER BY next.ordinal LIMIT 1) AS base_seq
         FROM epochs e WHERE e.epoch = ?`,
    ).get(kioskId, epoch);
    if (end === undefined) return Promise.resolve(0);
    return Promise.resolve(Math.min(lastSeq, end.base_seq ?? 0, logSeq));
  }

  touch(kioskId: string, nowIso: string): Promise<void> {
    return this.#write(() => {
      this.#stmt<[string, string]>(
        `INSERT INTO kiosk_presence (kiosk_id, last_seen_at) VALUES (?, ?)
         ON CONFLICT (kiosk_id) DO UPDATE SET last_seen_at = excluded.last_seen_at`,
      ).run(kioskId, nowIso);
    });
  }

  #cursor(kioskId: string): { lastSeq: number; ackedSeq: number } {
    const row = this.#stmt<[string], { last_seq: number; acked_seq: number }>(
      'SELECT last_seq, acked_seq FROM kiosk_cursors WHERE kiosk_id = ?',
    ).get(kioskId);
    return { lastSeq: row?.last_seq ?? 0, ackedSeq: row?.acked_seq ?? 0 };
  }

  cursor(kioskId: string): Promise<{ lastSeq: number; ackedSeq: number }> {
    return Promise.resolve(this.#cursor(kioskId));
  }

  deadLetterCount(): Promise<number> {
    const row = this.#stmt<[], { n: number }>(
      'SELECT COUNT(*) AS n FROM notifies WHERE kiosk_id IS NULL',
    ).get();
    return Promise.resolve(row?.n ?? 0);
  }

  storeTelemetry(
    kioskId: string,
    events: readonly TelemetryEvent[],
    receivedAt: string,
  ): Promise<Set<string>> {
    const insert = this.#stmt<[string, string, string, string, string, string]>(
      `INSERT INTO telemetry (kiosk_id, event_id, type, at, data_json, received_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (kiosk_id, event_id) DO NOTHING`,
    );
    return this.#write(() => {
      const fresh = new Set<string>();
      for (const ev of events) {
        const r = insert.run(kioskId, ev.id, ev.type, ev.at, JSON.stringify(ev.data ?? null), receivedAt);
        if (r.changes > 0) fresh.add(ev.id);
      }
      return fresh;
    });
  }

  /**
   * A durable write (disk full, read-only mount, a foreign write lock…). Waits at most 250 ms for a lock:
   * a probe must answer fast, and this call blocks the event loop.
   */
  probeWritable(nowIso: string): Promise<void> {
    this.#db.pragma(`busy_timeout = ${PROBE_BUSY_TIMEOUT_MS}`);
    try {
      this.#stmt<[string]>(
        'INSERT INTO health (id, checked_at) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET checked_at = excluded.checked_at',
      ).run(nowIso);
      return Promise.resolve();
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    } finally {
      this.#db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    }
  }

  /**
   * Only enrollment can change from outside on SQLite (`notify-relay kiosk revoke`, one process per file
   * otherwise): SQLite's data_version moves when another connection commits.
   */
  watch(listener: StoreListener): void {
    if (this.#watchTimer !== undefined) throw new Error('watch() was called twice');
    let dataVersion = this.#db.pragma('data_version', { simple: true }) as number;
    this.#watchTimer = setInterval(() => {
      const current = this.#db.pragma('data_version', { simple: true }) as number;
      if (current === dataVersion) return;
      dataVersion = current;
      listener.enrollmentChanged();
    }, this.watchMs);
    this.#watchTimer.unref();
  }

  /** One process per file: its own counter orders its sessions. */
  openSession(): Promise<number> {
    return Promise.resolve(++this.#sessions);
  }

  /** Nothing to record: this process's hub is the only one holding streams on this file. */
  closeSession(): Promise<void> {
    return Promise.resolve();
  }

  liveStreams(): Promise<Set<string>> {
    return Promise.resolve(new Set());
  }

  async close(): Promise<void> {
    clearInterval(this.#watchTimer);
    await this.#commits.drain();
    this.#mark?.close();
    this.#db.close();
  }
}

class SqliteEnrollment implements EnrollmentStore {
  constructor(private readonly db: RelayDb) {}

  enroll(id: string, tokenSha256: string, nowIso: string): Promise<boolean> {
    const inserted = this.db
      .prepare(
        `INSERT INTO enrolled_kiosks (kiosk_id, token_sha256, created_at) VALUES (?, ?, ?)
         ON CONFLICT (kiosk_id) DO UPDATE SET token_sha256 = excluded.token_sha256, created_at = excluded.created_at,
           rotated_at = NULL, revoked_at = NULL
         WHERE enrolled_kiosks.revoked_at IS NOT NULL`,
      )
      .run(id, tokenSha256, nowIso);
    return Promise.resolve(inserted.changes > 0);
  }

  rotate(id: string, tokenSha256: string, nowIso: string): Promise<boolean> {
    const changed = this.db
      .prepare(
        'UPDATE enrolled_kiosks SET token_sha256 = ?, rotated_at = ? WHERE kiosk_id = ? AND revoked_at IS NULL',
      )
      .run(tokenSha256, nowIso, id).changes;
    return Promise.resolve(changed > 0);
  }

  revoke(id: string, nowIso: string): Promise<boolean> {
    const changed = this.db
      .prepare('UPDATE enrolled_kiosks SET revoked_at = ? WHERE kiosk_id = ? AND revoked_at IS NULL')
      .run(nowIso, id).changes;
    return Promise.resolve(changed > 0);
  }

  list(): Promise<EnrolledKiosk[]> {
    const rows = this.db
      .prepare('SELECT kiosk_id, created_at, rotated_at, revoked_at FROM enrolled_kiosks ORDER BY kiosk_id')
      .all() as Array<{
      kiosk_id: string;
      created_at: string;
      rotated_at: string | null;
      revoked_at: string | null;
    }>;
    return Promise.resolve(
      rows.map((r) => ({
        id: r.kiosk_id,
        createdAt: r.created_at,
        rotatedAt: r.rotated_at,
        revokedAt: r.revoked_at,
      })),
    );
  }

  digest(id: string): Promise<string | undefined> {
    const row = this.db
      .prepare('SELECT token_sha256 FROM enrolled_kiosks WHERE kiosk_id = ? AND revoked_at IS NULL')
      .get(id) as { token_sha256: string } | undefined;
    return Promise.resolve(row?.token_sha256);
  }
}
