// Where reconciliation keeps what it found and what it did: the relay database's reconciliation_days,
// reconciliation_differences and reconciliation_actions tables (db.ts, v4). Every function returns a Promise
// over plain portable SQL (plain-sql.ts), so one implementation serves the SQLite and the PostgreSQL store
// (RelayStore.reconciliation). Re-running a day replaces its day row and differences in one transaction;
// actions are an audit and are only ever appended.
import type { PlainSql, SqlStatement } from '../plain-sql.ts';
import type { ReconciliationStorage } from '../store.ts';
import type { Difference } from './classify.ts';
import type { PlannedRefund } from './compensation.ts';
import { relaySources } from './sources.ts';

export type DayStatus = 'ok' | 'differences' | 'failed';
export type ActionTrigger = 'operator' | 'auto';
export type ActionResult = 'refunded' | 'failed' | 'already_refunded';

/** One line of GET /admin/v1/reconciliation. */
export type DaySummary = {
  date: string;
  ranAt: string;
  status: DayStatus;
  error?: string;
  differences: number;
  byClass: Record<string, number>;
};

export type StoredDifference = {
  outTradeNo: string;
  class: string;
  kioskId: string | null;
  alipayFen: number | null;
  kioskFen: number | null;
  detail: string;
};

export type StoredAction = {
  at: string;
  outTradeNo: string;
  outRequestNo: string;
  refundFen: number;
  trigger: ActionTrigger;
  result: ActionResult;
  detail: string;
};

/** GET /admin/v1/reconciliation/:date. */
export type DayDetail = {
  date: string;
  ranAt: string;
  status: DayStatus;
  error?: string;
  differences: StoredDifference[];
  actions: StoredAction[];
};

/** The refund a stored difference plans (null: the difference is for a person, not refunded by plan). */
export type StoredPlan = {
  outTradeNo: string;
  kioskId: string | null;
  outRequestNo: string;
  refundFen: number;
};

export type DayRecord =
  | { day: string; ranAt: string; status: 'failed'; error: string }
  | {
      day: string;
      ranAt: string;
      status: 'ok' | 'differences';
      trades: number;
      differences: readonly Difference[];
      refunds: readonly PlannedRefund[];
    };

export type ActionRecord = StoredAction & { day: string; actor: string };

type DayRow = { day: string; ran_at: string; status: string; error: string | null };

function dayFields(row: DayRow): { date: string; ranAt: string; status: DayStatus; error?: string } {
  return {
    date: row.day,
    ranAt: row.ran_at,
    status: row.status as DayStatus,
    ...(row.error !== null ? { error: row.error } : {}),
  };
}

export class ReconciliationStore {
  constructor(private readonly sql: PlainSql) {}

  /**
   * Stores one run of a day, replacing the previous one. A failed run (no bill) keeps the differences an earlier
   * run found: they are still the best knowledge, and the day row says the latest attempt failed.
   */
  saveDay(record: DayRecord): Promise<void> {
    const statements: SqlStatement[] = [
      {
        sql: `INSERT INTO reconciliation_days (day, ran_at, status, error, trades) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (day) DO UPDATE SET ran_at = excluded.ran_at, status = excluded.status,
           error = excluded.error, trades = excluded.trades`,
        params: [
          record.day,
          record.ranAt,
          record.status,
          record.status === 'failed' ? record.error : null,
          record.status === 'failed' ? 0 : record.trades,
        ],
      },
    ];
    if (record.status !== 'failed') {
      statements.push({ sql: 'DELETE FROM reconciliation_differences WHERE day = ?', params: [record.day] });
      record.differences.forEach((d, ordinal) => {
        const planned = record.refunds.find(
          (r) => r.outTradeNo === d.outTradeNo && d.class === 'paid_not_delivered',
        );
        statements.push({
          sql: `INSERT INTO reconciliation_differences (day, ordinal, out_trade_no, class, kiosk_id, alipay_fen,
           kiosk_fen, owed_fen, detail, refund_request, refund_fen) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          params: [
            record.day,
            ordinal,
            d.outTradeNo,
            d.class,
            d.kioskId,
            d.alipayPaidFen - d.alipayRefundedFen,
            d.kioskDeliveredFen,
            d.owedFen,
            d.detail,
            planned?.outRequestNo ?? null,
            planned?.refundFen ?? null,
          ],
        });
      });
    }
    return this.sql.batch(statements);
  }

  /** Every reconciled day, newest first. */
  async listDays(limit = 400): Promise<DaySummary[]> {
    const days = await this.sql.all<DayRow>(
      'SELECT day, ran_at, status, error FROM reconciliation_days ORDER BY day DESC LIMIT ?',
      [limit],
    );
    const out: DaySummary[] = [];
    for (const row of days) {
      const byClass: Record<string, number> = {};
      let total = 0;
      const counts = await this.sql.all<{ class: string; n: number }>(
        'SELECT class, COUNT(*) AS n FROM reconciliation_differences WHERE day = ? GROUP BY class ORDER BY class',
        [row.day],
      );
      for (const c of counts) {
        byClass[c.class] = Number(c.n);
        total += Number(c.n);
      }
      out.push({ ...dayFields(row), differences: total, byClass });
    }
    return out;
  }

  /** One day's differences and actions, or null when the day was never reconciled. */
  async getDay(day: string): Promise<DayDetail | null> {
    const [row] = await this.sql.all<DayRow>(
      'SELECT day, ran_at, status, error FROM reconciliation_days WHERE day = ?',
      [day],
    );
    if (!row) return null;
    const rows = await this.sql.all<{
      out_trade_no: string;
      class: string;
      kiosk_id: string | null;
      alipay_fen: number | null;
      kiosk_fen: number | null;
      detail: string;
    }>(
      `SELECT out_trade_no, class, kiosk_id, alipay_fen, kiosk_fen, detail FROM reconciliation_differences
        WHERE day = ? ORDER BY ordinal`,
      [day],
    );
    const differences = rows.map((d) => ({
      outTradeNo: d.out_trade_no,
      class: d.class,
      kioskId: d.kiosk_id,
      alipayFen: d.alipay_fen,
      kioskFen: d.kiosk_fen,
      detail: d.detail,
    }));
    return { ...dayFields(row), differences, actions: await this.listActions(day) };
  }

  async listActions(day: string): Promise<StoredAction[]> {
    const rows = await this.sql.all<{
      at: string;
      out_trade_no: string;
      out_request_no: string;
      refund_fen: number;
      trigger_kind: string;
      result: string;
      detail: string;
    }>(
      `SELECT at, out_trade_no, out_request_no, refund_fen, trigger_kind, result, detail
         FROM reconciliation_actions WHERE day = ? ORDER BY id`,
      [day],
    );
    return rows.map((a) => ({
      at: a.at,
      outTradeNo: a.out_trade_no,
      outRequestNo: a.out_request_no,
      refundFen: a.refund_fen,
      trigger: a.trigger_kind as ActionTrigger,
      result: a.result as ActionResult,
      detail: a.detail,
    }));
  }

  /** The refund the day's stored differences plan for one trade, or null when none is planned. */
  async plannedRefund(day: string, outTradeNo: string): Promise<StoredPlan | null> {
    const [row] = await this.sql.all<{
      out_trade_no: string;
      kiosk_id: string | null;
      refund_request: string;
      refund_fen: number;
    }>(
      `SELECT out_trade_no, kiosk_id, refund_request, refund_fen FROM reconciliation_differences
        WHERE day = ? AND out_trade_no = ? AND refund_request IS NOT NULL ORDER BY ordinal LIMIT 1`,
      [day, outTradeNo],
    );
    return row
      ? {
          outTradeNo: row.out_trade_no,
          kioskId: row.kiosk_id,
          outRequestNo: row.refund_request,
          refundFen: row.refund_fen,
        }
      : null;
  }

  /** Whether the day has any difference for the trade (to tell "nothing to refund" from "unknown trade"). */
  async hasDifference(day: string, outTradeNo: string): Promise<boolean> {
    const rows = await this.sql.all(
      'SELECT 1 AS found FROM reconciliation_differences WHERE day = ? AND out_trade_no = ? LIMIT 1',
      [day, outTradeNo],
    );
    return rows.length > 0;
  }

  recordAction(action: ActionRecord): Promise<void> {
    return this.sql.batch([
      {
        sql: `INSERT INTO reconciliation_actions (day, at, out_trade_no, out_request_no, refund_fen, trigger_kind,
           actor, result, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        params: [
          action.day,
          action.at,
          action.outTradeNo,
          action.outRequestNo,
          action.refundFen,
          action.trigger,
          action.actor,
          action.result,
          action.detail,
        ],
      },
    ]);
  }

  /** Differences of the most recently reconciled day, by class (for the metrics gauge). */
  async latestCounts(): Promise<{ day: string; byClass: Record<string, number> } | null> {
    const [latest] = await this.listDays(1);
    return latest ? { day: latest.date, byClass: latest.byClass } : null;
  }
}

/** What RelayStore.reconciliation is on either backend. */
export function reconciliationStorage(sql: PlainSql): ReconciliationStorage {
  return { results: new ReconciliationStore(sql), sources: relaySources(sql) };
}
