// Versioned schema migrations, applied in order inside one transaction each; PRAGMA user_version records the
// last applied one. Migrations are append-only: never edit one that has shipped.
import type { Db } from './database.ts';

export interface Migration {
  readonly version: number;
  readonly description: string;
  readonly sql: string;
}

export const migrations: readonly Migration[] = [
  {
    version: 1,
    description:
      'planogram, orders with their items, refunds, relay cursor, payment notifications, audit trail',
    sql: `
      CREATE TABLE lanes (
        lane        INTEGER PRIMARY KEY CHECK (lane >= 1),
        product_id  TEXT    NOT NULL,
        name        TEXT    NOT NULL,
        price_fen   INTEGER NOT NULL CHECK (price_fen > 0),
        stock       INTEGER NOT NULL CHECK (stock >= 0),
        capacity    INTEGER NOT NULL CHECK (capacity >= 0),
        enabled     INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1))
      ) STRICT;

      CREATE TABLE orders (
        out_trade_no TEXT    PRIMARY KEY,
        state        TEXT    NOT NULL CHECK (state IN ('created','awaiting_payment','paid','vending','completed',
                                                      'refund_pending','refunded','expired','failed')),
        total_fen    INTEGER NOT NULL CHECK (total_fen > 0),
        subject      TEXT    NOT NULL,
        qr_code      TEXT,
        trade_no     TEXT,
        message      TEXT,
        created_at   INTEGER NOT NULL,
        expires_at   INTEGER,
        paid_at      INTEGER,
        updated_at   INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX orders_open ON orders (state) WHERE state NOT IN ('completed','refunded','expired','failed');

      CREATE TABLE order_items (
        out_trade_no TEXT    NOT NULL REFERENCES orders (out_trade_no),
        position     INTEGER NOT NULL CHECK (position >= 1),
        lane         INTEGER NOT NULL,
        product_id   TEXT    NOT NULL,
        name         TEXT    NOT NULL,
        price_fen    INTEGER NOT NULL CHECK (price_fen > 0),
        vend_state   TEXT    NOT NULL DEFAULT 'pending'
                     CHECK (vend_state IN ('pending','vending','delivered','not_delivered','unknown')),
        vend_detail  TEXT,
        vend_started_at  INTEGER,
        vend_finished_at INTEGER,
        PRIMARY KEY (out_trade_no, position)
      ) STRICT;

      CREATE TABLE refunds (
        out_request_no TEXT    PRIMARY KEY,
        out_trade_no   TEXT    NOT NULL REFERENCES orders (out_trade_no),
        amount_fen     INTEGER NOT NULL CHECK (amount_fen > 0),
        reason         TEXT    NOT NULL,
        state          TEXT    NOT NULL CHECK (state IN ('pending','succeeded','failed')),
        attempts       INTEGER NOT NULL DEFAULT 0,
        last_error     TEXT,
        created_at     INTEGER NOT NULL,
        updated_at     INTEGER NOT NULL
      ) STRICT;

      CREATE TABLE relay_cursor (
        id       INTEGER PRIMARY KEY CHECK (id = 1),
        last_seq INTEGER NOT NULL CHECK (last_seq >= 0)
      ) STRICT;
      INSERT INTO relay_cursor (id, last_seq) VALUES (1, 0);

      CREATE TABLE payment_notifications (
        notify_id    TEXT    PRIMARY KEY,
        out_trade_no TEXT    NOT NULL,
        trade_status TEXT    NOT NULL,
        source       TEXT    NOT NULL,
        body         TEXT    NOT NULL,
        received_at  INTEGER NOT NULL
      ) STRICT;

      CREATE TABLE order_events (
        id           INTEGER PRIMARY KEY AUTOINCREMENT,
        out_trade_no TEXT    NOT NULL,
        at           INTEGER NOT NULL,
        event        TEXT    NOT NULL,
        detail       TEXT
      ) STRICT;
    `,
  },
  {
    version: 2,
    description: 'maintenance log: test vends, stock and lane changes made by technicians',
    sql: `
      CREATE TABLE maintenance_log (
        id     INTEGER PRIMARY KEY AUTOINCREMENT,
        at     INTEGER NOT NULL,
        action TEXT    NOT NULL,
        lane   INTEGER,
        detail TEXT
      ) STRICT;
    `,
  },
  {
    version: 3,
    description: 'telemetry outbox: events for the fleet, uploaded to the relay at least once',
    sql: `
      CREATE TABLE outbox (
        id      TEXT    PRIMARY KEY,
        type    TEXT    NOT NULL,
        at      TEXT    NOT NULL,
        data    TEXT    NOT NULL,
        sent_at INTEGER
      ) STRICT;
      CREATE INDEX outbox_unsent ON outbox (at) WHERE sent_at IS NULL;
    `,
  },
  {
    version: 4,
    description:
      'cancels owed to Alipay: an expired order stays on this list until Alipay confirmed its cancel',
    sql: `
      ALTER TABLE orders ADD COLUMN cancel_pending INTEGER NOT NULL DEFAULT 0 CHECK (cancel_pending IN (0, 1));
      CREATE INDEX orders_cancel_pending ON orders (out_trade_no) WHERE cancel_pending = 1;
    `,
  },
  {
    version: 5,
    description:
      "the board's numbering at each vend intent, so recovery can tie a report the board resends after an agent restart to the vend that was in flight",
    sql: `
      ALTER TABLE order_items ADD COLUMN vend_board_seq INTEGER CHECK (vend_board_seq BETWEEN 0 AND 255);
    `,
  },
  {
    version: 6,
    description:
      "retention of finished orders: finished orders by age, and each table's rows of one order found by index, not by a scan",
    sql: `
      CREATE INDEX orders_finished ON orders (updated_at) WHERE state IN ('completed','refunded','expired','failed');
      CREATE INDEX refunds_order ON refunds (out_trade_no);
      CREATE INDEX payment_notifications_order ON payment_notifications (out_trade_no);
      CREATE INDEX order_events_order ON order_events (out_trade_no);
    `,
  },
];

export class MigrationError extends Error {
  override readonly name = 'MigrationError';
}

export function schemaVersion(db: Db): number {
  return db.pragma('user_version', { simple: true }) as number;
}

export function migrate(db: Db, all: readonly Migration[] = migrations): number {
  const current = schemaVersion(db);
  const newest = all.reduce((max, m) => Math.max(max, m.version), 0);
  if (current > newest) {
    throw new MigrationError(
      `database schema version ${current} is newer than this agent knows (${newest}); refusing to run an older agent on it`,
    );
  }
  for (const m of all) {
    if (m.version <= current) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.pragma(`user_version = ${m.version}`);
    })();
  }
  return schemaVersion(db);
}
