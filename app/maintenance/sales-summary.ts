// Sales for the technicians' screen: today, the last seven days and one bar per day. Read-only over the
// orders and refunds tables; money in integer fen. A sale counts what was kept: what the customer paid
// minus what was (or is being) refunded, so a failed vend adds nothing.
import type { Db } from '../store/index.ts';

export interface DaySales {
  /** Local calendar day, `YYYY-MM-DD`. */
  readonly day: string;
  readonly orders: number;
  readonly fen: number;
}

export interface SalesSummary {
  readonly today: DaySales;
  /** The last seven days, oldest first, today last. */
  readonly week: readonly DaySales[];
  readonly weekFen: number;
  readonly weekOrders: number;
}

const DAYS = 7;

function dayKey(at: number): string {
  const d = new Date(at);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

function startOfDay(at: number): number {
  const d = new Date(at);
  d.setHours(0, 0, 0, 0);
  return d.getTime();
}

export function salesSummary(db: Db, now: number): SalesSummary {
  const first = new Date(startOfDay(now));
  first.setDate(first.getDate() - (DAYS - 1));
  const rows = db
    .prepare(
      `SELECT o.paid_at AS paidAt, o.total_fen AS totalFen, o.state AS state,
              coalesce((SELECT sum(r.amount_fen) FROM refunds r
                        WHERE r.out_trade_no = o.out_trade_no AND r.state != 'failed'), 0) AS refundedFen,
              (SELECT count(*) FROM refunds r WHERE r.out_trade_no = o.out_trade_no) AS refundRows
         FROM orders o
        WHERE o.paid_at IS NOT NULL AND o.paid_at >= ?
          AND o.state IN ('completed', 'refund_pending', 'refunded')`,
    )
    .all(first.getTime()) as {
    paidAt: number;
    totalFen: number;
    state: string;
    refundedFen: number;
    refundRows: number;
  }[];
  const days = new Map<string, { orders: number; fen: number }>();
  for (let i = 0; i < DAYS; i++) {
    const d = new Date(first);
    d.setDate(first.getDate() + i);
    days.set(dayKey(d.getTime()), { orders: 0, fen: 0 });
  }
  for (const row of rows) {
    // Refunded by alipay.trade.cancel (a late payment): no refund row, and all of it went back.
    const kept = row.state === 'refunded' && row.refundRows === 0 ? 0 : row.totalFen - row.refundedFen;
    const day = days.get(dayKey(row.paidAt));
    if (day === undefined || kept <= 0) continue;
    day.orders += 1;
    day.fen += kept;
  }
  const week = [...days].map(([day, v]) => ({ day, ...v }));
  return {
    today: week[week.length - 1]!,
    week,
    weekFen: week.reduce((sum, d) => sum + d.fen, 0),
    weekOrders: week.reduce((sum, d) => sum + d.orders, 0),
  };
}
