// The refund outbox: a refund is committed here (with its deterministic out_request_no) before Alipay is asked,
// and retried with the same out_request_no until Alipay confirms, so it is never issued twice.
import type { Db } from './database.ts';

export interface RefundRow {
  readonly outRequestNo: string;
  readonly outTradeNo: string;
  readonly amountFen: number;
  readonly reason: string;
  readonly state: 'pending' | 'succeeded' | 'failed';
  readonly attempts: number;
  readonly lastError: string | null;
}

interface RawRefund {
  out_request_no: string;
  out_trade_no: string;
  amount_fen: number;
  reason: string;
  state: RefundRow['state'];
  attempts: number;
  last_error: string | null;
}

const toRefund = (r: RawRefund): RefundRow => ({
  outRequestNo: r.out_request_no,
  outTradeNo: r.out_trade_no,
  amountFen: r.amount_fen,
  reason: r.reason,
  state: r.state,
  attempts: r.attempts,
  lastError: r.last_error,
});

export class RefundsRepository {
  constructor(
    private readonly db: Db,
    private readonly now: () => number,
  ) {}

  /** Idempotent: a second call with the same out_request_no returns the existing row unchanged. */
  enqueue(r: { outRequestNo: string; outTradeNo: string; amountFen: number; reason: string }): RefundRow {
    const at = this.now();
    this.db
      .prepare(
        `INSERT OR IGNORE INTO refunds (out_request_no, out_trade_no, amount_fen, reason, state, created_at, updated_at)
         VALUES (?, ?, ?, ?, 'pending', ?, ?)`,
      )
      .run(r.outRequestNo, r.outTradeNo, r.amountFen, r.reason, at, at);
    return this.mustGet(r.outRequestNo);
  }

  mustGet(outRequestNo: string): RefundRow {
    const row = this.db.prepare('SELECT * FROM refunds WHERE out_request_no = ?').get(outRequestNo) as
      RawRefund | undefined;
    if (!row) throw new Error(`refund ${outRequestNo} does not exist`);
    return toRefund(row);
  }

  forOrder(outTradeNo: string): RefundRow[] {
    return (
      this.db
        .prepare('SELECT * FROM refunds WHERE out_trade_no = ? ORDER BY created_at')
        .all(outTradeNo) as RawRefund[]
    ).map(toRefund);
  }

  pending(): RefundRow[] {
    return (
      this.db
        .prepare(`SELECT * FROM refunds WHERE state = 'pending' ORDER BY created_at`)
        .all() as RawRefund[]
    ).map(toRefund);
  }

  /** Refunds Alipay refused: they need a person. */
  failed(limit = 20): RefundRow[] {
    return (
      this.db
        .prepare(`SELECT * FROM refunds WHERE state = 'failed' ORDER BY created_at DESC LIMIT ?`)
        .all(limit) as RawRefund[]
    ).map(toRefund);
  }

  recordAttempt(outRequestNo: string, outcome: { state: RefundRow['state']; error?: string }): void {
    this.db
      .prepare(
        `UPDATE refunds SET attempts = attempts + 1, state = ?, last_error = ?, updated_at = ?
         WHERE out_request_no = ? AND state = 'pending'`,
      )
      .run(outcome.state, outcome.error ?? null, this.now(), outRequestNo);
  }
}
