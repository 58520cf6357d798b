// The relay's SQLite database: opening it with durable settings and applying versioned migrations.
// `synchronous=FULL` in WAL mode makes every committed transaction survive power loss, which is what
// lets the relay answer Alipay `success` right after the commit returns.
import Database from 'better-sqlite3';

export type RelayDb = Database.Database;

/** How long a write waits for another connection's lock (it blocks the event loop meanwhile). */
export const BUSY_TIMEOUT_MS = 5000;

/** Each entry upgrades the schema by one version; index + 1 is the resulting `user_version`. */
const MIGRATIONS: readonly string[] = [
  // v1: the durable notify log, per-kiosk event sequence, dead letters, telemetry.
  `
  CREATE TABLE kiosk_cursors (
    kiosk_id  TEXT PRIMARY KEY,
    last_seq  INTEGER NOT NULL,             -- highest seq assigned to an event of this kiosk
    acked_seq INTEGER NOT NULL DEFAULT 0    -- highest seq the kiosk confirmed it has stored
  ) STRICT;

  -- Every notification that passed verification, routed or not. dedup_key makes Alipay's resends idempotent.
  CREATE TABLE notifies (
    id           INTEGER PRIMARY KEY,
    dedup_key    TEXT NOT NULL UNIQUE,
    notify_id    TEXT,
    out_trade_no TEXT,
    notify_kind  TEXT NOT NULL,             -- classifyNotify(): payment | refund | closed | pending | other
    kiosk_id     TEXT,                      -- NULL: unroutable (dead letter)
    raw_body     TEXT NOT NULL,             -- exactly as received: the kiosk re-verifies the signature on it
    params_json  TEXT NOT NULL,
    received_at  TEXT NOT NULL,
    duplicates   INTEGER NOT NULL DEFAULT 0 -- how many resends were answered without a new event
  ) STRICT;
  CREATE INDEX notifies_dead_letters ON notifies (received_at) WHERE kiosk_id IS NULL;

  CREATE TABLE events (
    kiosk_id    TEXT NOT NULL REFERENCES kiosk_cursors (kiosk_id),
    seq         INTEGER NOT NULL,
    kind        TEXT NOT NULL,               -- wire kind, e.g. alipay_notify
    notify_ref  INTEGER NOT NULL UNIQUE REFERENCES notifies (id),
    received_at TEXT NOT NULL,
    PRIMARY KEY (kiosk_id, seq)
  ) STRICT, WITHOUT ROWID;

  CREATE TABLE telemetry (
    kiosk_id    TEXT NOT NULL,
    event_id    TEXT NOT NULL,
    type        TEXT NOT NULL,
    at          TEXT NOT NULL,
    data_json   TEXT NOT NULL,
    received_at TEXT NOT NULL,
    PRIMARY KEY (kiosk_id, event_id)
  ) STRICT, WITHOUT ROWID;

  CREATE TABLE health (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    checked_at TEXT NOT NULL
  ) STRICT;
  `,
  // v2: the log's identity. The newest row is the current epoch: created with the database, renewed when
  // the file is not the log the relay left (sqlite-epoch.ts). Each records where each kiosk's sequence stood,
  // so a kiosk that says hello{epoch, lastSeq} from an older epoch resumes from the last point both share.
  `
  CREATE TABLE epochs (
    ordinal    INTEGER PRIMARY KEY,
    epoch      TEXT NOT NULL UNIQUE,
    started_at TEXT NOT NULL
  ) STRICT;
  CREATE TABLE epoch_bases (
    epoch    TEXT NOT NULL REFERENCES epochs (epoch),
    kiosk_id TEXT NOT NULL,
    base_seq INTEGER NOT NULL,             -- kiosk_cursors.last_seq when this epoch began
    PRIMARY KEY (epoch, kiosk_id)
  ) STRICT, WITHOUT ROWID;
  `,
  // v3: fleet enrollment (kiosks and the SHA-256 of their tokens; the token itself is never stored) and
  // when each kiosk was last heard from, for the operator read API.
  `
  CREATE TABLE enrolled_kiosks (
    kiosk_id     TEXT PRIMARY KEY,
    token_sha256 TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    rotated_at   TEXT,
    revoked_at   TEXT                      -- not NULL: the kiosk is refused, its open stream closed
  ) STRICT;
  CREATE TABLE kiosk_presence (
    kiosk_id     TEXT PRIMARY KEY,
    last_seen_at TEXT NOT NULL
  ) STRICT;
  `,
  // v4: reconciliation against Alipay's bill (backend-bridge/reconcile/): one row per reconciled day (a re-run
  // replaces it and its differences), every difference found, and every compensation sent (never replaced:
  // the audit of who refunded what).
  `
  CREATE TABLE reconciliation_days (
    day         TEXT PRIMARY KEY,             -- yyyy-MM-dd, Beijing time, as Alipay's bill
    ran_at      TEXT NOT NULL,
    status      TEXT NOT NULL,                -- ok | differences | failed
    error       TEXT,                         -- why a failed run compared nothing
    trades      INTEGER NOT NULL DEFAULT 0
  ) STRICT;
  CREATE TABLE reconciliation_differences (
    day            TEXT NOT NULL,
    ordinal        INTEGER NOT NULL,          -- position in the run's report (a trade can differ twice)
    out_trade_no   TEXT NOT NULL,
    class          TEXT NOT NULL,
    kiosk_id       TEXT,
    alipay_fen     INTEGER,                   -- net at Alipay (paid - refunded)
    kiosk_fen      INTEGER,                   -- what the kiosk delivered, when it reported the sale
    owed_fen       INTEGER NOT NULL,
    detail         TEXT NOT NULL,
    refund_request TEXT,                      -- compensation by plan: the out_request_no to refund with
    refund_fen     INTEGER,
    PRIMARY KEY (day, ordinal)
  ) STRICT;
  CREATE INDEX reconciliation_differences_trade ON reconciliation_differences (day, out_trade_no);
  CREATE TABLE reconciliation_actions (
    id             INTEGER PRIMARY KEY,
    day            TEXT NOT NULL,
    at             TEXT NOT NULL,
    out_trade_no   TEXT NOT NULL,
    out_request_no TEXT NOT NULL,
    refund_fen     INTEGER NOT NULL,
    trigger_kind   TEXT NOT NULL,             -- operator | auto
    actor          TEXT NOT NULL,             -- who: admin-api, cli, schedule
    result         TEXT NOT NULL,             -- refunded | failed | already_refunded
    detail         TEXT NOT NULL
  ) STRICT;
  CREATE INDEX reconciliation_actions_day ON reconciliation_actions (day, at);
  -- What a run reads: a day's notifications (by time and by trade) and the kiosks' settled sales by time.
  CREATE INDEX notifies_out_trade_no ON notifies (out_trade_no);
  CREATE INDEX notifies_received_at ON notifies (received_at);
  CREATE INDEX telemetry_type_received ON telemetry (type, received_at);
  `,
  // v5: the operator console's reads of telemetry (operator/fleet-queries.ts), every few seconds while a console
  // is open: a kiosk's newest event of a type, and one type's events since a time (today's sales, the charts).
  `
  CREATE INDEX telemetry_by_kiosk_type ON telemetry (kiosk_id, type, at);
  CREATE INDEX telemetry_by_type ON telemetry (type, at);
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

export class RelaySchemaTooNewError extends Error {
  constructor(found: number) {
    super(`relay database schema version ${found} is newer than this relay understands (${SCHEMA_VERSION})`);
    this.name = 'RelaySchemaTooNewError';
  }
}

/** Opens (creating if needed) the relay database and brings its schema up to date. */
export function openRelayDb(path: string): RelayDb {
  const db = new Database(path);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    migrate(db);
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

function migrate(db: RelayDb): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > SCHEMA_VERSION) throw new RelaySchemaTooNewError(current);
  for (let version = current; version < SCHEMA_VERSION; version++) {
    const sql = MIGRATIONS[version];
    if (sql === undefined) break;
    // One transaction per step: a crash mid-migration leaves the previous version intact.
    db.transaction(() => {
      db.exec(sql);
      db.pragma(`user_version = ${version + 1}`);
    })();
  }
}
