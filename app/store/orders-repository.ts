// Orders and their items. Each method is one committed transaction: callers commit a state before acting on
// it (DESIGN.md, Invariants), and transitions are guarded by the expected current state so that two paths
// racing on one order (a push and a query, say) cannot both win.
import type { Db } from './database.ts';
import type { OutboxRepository } from './outbox-repository.ts';

export type OrderState =
  | 'created'
  | 'awaiting_payment'
  | 'paid'
  | 'vending'
  | 'completed'
  | 'refund_pending'
  | 'refunded'
  | 'expired'
  | 'failed';

export type VendState = 'pending' | 'vending' | 'delivered' | 'not_delivered' | 'unknown';

export interface OrderItemRow {
  readonly position: number;
  readonly lane: number;
  readonly productId: string;
  readonly name: string;
  readonly priceFen: number;
  readonly vendState: VendState;
  readonly vendDetail: string | null;
}

export interface OrderRow {
  readonly outTradeNo: string;
  readonly state: OrderState;
  readonly totalFen: number;
  readonly subject: string;
  readonly qrCode: string | null;
  readonly tradeNo: string | null;
  readonly message: string | null;
  readonly createdAt: number;
  readonly expiresAt: number | null;
  readonly paidAt: number | null;
  readonly items: readonly OrderItemRow[];
}

/** A verified payment notification, kept as evidence (its notify_id makes a redelivery a no-op). */
export interface PaymentNotificationRecord {
  readonly notifyId: string;
  readonly outTradeNo: string;
  readonly tradeStatus: string;
  readonly source: string;
  readonly body: string;
}

export interface NewOrder {
  readonly outTradeNo: string;
  readonly totalFen: number;
  readonly subject: string;
  readonly items: ReadonlyArray<Omit<OrderItemRow, 'position' | 'vendState' | 'vendDetail'>>;
}

interface RawOrder {
  out_trade_no: string;
  state: OrderState;
  total_fen: number;
  subject: string;
  qr_code: string | null;
  trade_no: string | null;
  message: string | null;
  created_at: number;
  expires_at: number | null;
  paid_at: number | null;
}

interface RawItem {
  position: number;
  lane: number;
  product_id: string;
  name: string;
  price_fen: number;
  vend_state: VendState;
  vend_detail: string | null;
}

const FINAL_STATES: readonly OrderState[] = ['completed', 'refunded', 'expired', 'failed'];

export class OrdersRepository {
  constructor(
    private readonly db: Db,
    private readonly now: () => number,
    private readonly outbox: OutboxRepository,
  ) {}

  create(order: NewOrder): OrderRow {
    const at = this.now();
    const insertItem = this.db.prepare(
      'INSERT INTO order_items (out_trade_no, position, lane, product_id, name, price_fen) VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.db.transaction(() => {
      this.db
        .prepare(
          `INSERT INTO orders (out_trade_no, state, total_fen, subject, created_at, updated_at)
           VALUES (?, 'created', ?, ?, ?, ?)`,
        )
        .run(order.outTradeNo, order.totalFen, order.subject, at, at);
      order.items.forEach((item, i) =>
        insertItem.run(order.outTradeNo, i + 1, item.lane, item.productId, item.name, item.priceFen),
      );
      this.audit(order.outTradeNo, 'created', `total_fen=${order.totalFen}`);
    })();
    return this.mustGet(order.outTradeNo);
  }

  get(outTradeNo: string): OrderRow | null {
    const row = this.db.prepare('SELECT * FROM orders WHERE out_trade_no = ?').get(outTradeNo) as
      RawOrder | undefined;
    return row ? this.withItems(row) : null;
  }

  mustGet(outTradeNo: string): OrderRow {
    const order = this.get(outTradeNo);
    if (!order) throw new Error(`order ${outTradeNo} does not exist`);
    return order;
  }

  /** Orders not yet in a final state, oldest first: what recovery and the background loop work through. */
  listOpen(): OrderRow[] {
    const rows = this.db
      .prepare(
        `SELECT * FROM orders WHERE state NOT IN ('completed','refunded','expired','failed') ORDER BY created_at`,
      )
      .all() as RawOrder[];
    return rows.map((r) => this.withItems(r));
  }

  /** The newest order that is not yet final: the one a screen should show after a reload. */
  latestOpen(): OrderRow | null {
    const row = this.db
      .prepare(
        `SELECT * FROM orders WHERE state NOT IN ('completed','refunded','expired','failed')
         ORDER BY created_at DESC, rowid DESC LIMIT 1`,
      )
      .get() as RawOrder | undefined;
    return row ? this.withItems(row) : null;
  }

  /**
   * Moves an order from one of `from` to `to`, with optional column updates, in one transaction.
   * Returns false (and changes nothing) when the order is no longer in an expected state.
   */
  transition(
    outTradeNo: string,
    from: readonly OrderState[],
    to: OrderState,
    changes: {
      qrCode?: string;
      tradeNo?: string;
      message?: string | null;
      expiresAt?: number;
      paidAt?: number;
    } = {},
    detail?: string,
  ): boolean {
    const at = this.now();
    return this.db.transaction(() => {
      const current = this.db.prepare('SELECT state FROM orders WHERE out_trade_no = ?').get(outTradeNo) as
        { state: OrderState } | undefined;
      if (!current || !from.includes(current.state)) return false;
      this.db
        .prepare(
          `UPDATE orders SET state = ?, updated_at = ?,
             qr_code = coalesce(?, qr_code), trade_no = coalesce(?, trade_no),
             message = CASE WHEN ? THEN ? ELSE message END,
             expires_at = coalesce(?, expires_at), paid_at = coalesce(?, paid_at)
           WHERE out_trade_no = ?`,
        )
        .run(
          to,
          at,
          changes.qrCode ?? null,
          changes.tradeNo ?? null,
          changes.message === undefined ? 0 : 1,
          changes.message ?? null,
          changes.expiresAt ?? null,
          changes.paidAt ?? null,
          outTradeNo,
        );
      this.audit(outTradeNo, `${current.state}->${to}`, detail);
      // The fleet learns how every sale ended, in the same transaction that ends it: never lost, never twice.
      if (FINAL_STATES.includes(to))
        this.outbox.record(
          'sale.settled',
          settledEvent(this.mustGet(outTradeNo)),
          `sale:${outTradeNo}:${to}`,
        );
      return true;
    })();
  }

  /** Marks whether Alipay still owes a confirmation of this order's cancel. */
  setCancelPending(outTradeNo: string, pending: boolean): void {
    this.db
      .prepare('UPDATE orders SET cancel_pending = ? WHERE out_trade_no = ?')
      .run(pending ? 1 : 0, outTradeNo);
  }

  /** Expired orders whose cancel Alipay has not confirmed yet (network down at the time, say). */
  listCancelPending(): string[] {
    return (
      this.db
        .prepare('SELECT out_trade_no FROM orders WHERE cancel_pending = 1 ORDER BY created_at')
        .all() as Array<{
        out_trade_no: string;
      }>
    ).map((r) => r.out_trade_no);
  }

  /**
   * Records a vend intent: committed before the command reaches the board. `boardSeq` is where the board's
   * own numbering stood (the dispenser's vend mark), kept for recovery to match a late report strictly.
   */
  markVending(outTradeNo: string, position: number, boardSeq: number | null = null): boolean {
    const result = this.db
      .prepare(
        `UPDATE order_items SET vend_state = 'vending', vend_started_at = ?, vend_board_seq = ?
         WHERE out_trade_no = ? AND position = ? AND vend_state = 'pending'`,
      )
      .run(this.now(), boardSeq, outTradeNo, position);
    return result.changes === 1;
  }

  /** When an item's vend intent was committed and the board's numbering then (null: not known). */
  vendIntent(
    outTradeNo: string,
    position: number,
  ): { readonly startedAt: number | null; readonly boardSeq: number | null } | null {
    const row = this.db
      .prepare(
        'SELECT vend_started_at, vend_board_seq FROM order_items WHERE out_trade_no = ? AND position = ?',
      )
      .get(outTradeNo, position) as
      { vend_started_at: number | null; vend_board_seq: number | null } | undefined;
    return row ? { startedAt: row.vend_started_at, boardSeq: row.vend_board_seq } : null;
  }

  /**
   * How many other items' vends were still in flight, or ended after `since` (ms): vends the board may have
   * taken after an intent committed at `since` (recovery's test for a result that names no lane).
   */
  otherVendsSince(outTradeNo: string, position: number, since: number): number {
    const row = this.db
      .prepare(
        `SELECT COUNT(*) AS n FROM order_items
         WHERE NOT (out_trade_no = ? AND position = ?) AND (vend_state = 'vending' OR vend_finished_at > ?)`,
      )
      .get(outTradeNo, position, since) as { n: number };
    return row.n;
  }

  /** Records what the board reported for an item whose vend intent was committed. */
  finishVend(
    outTradeNo: string,
    position: number,
    state: 'delivered' | 'not_delivered' | 'unknown',
    detail: string,
  ): void {
    this.db.transaction(() => {
      this.db
        .prepare(
          `UPDATE order_items SET vend_state = ?, vend_detail = ?, vend_finished_at = ?
           WHERE out_trade_no = ? AND position = ? AND vend_state = 'vending'`,
        )
        .run(state, detail, this.now(), outTradeNo, position);
      this.audit(outTradeNo, `item ${position} ${state}`, detail);
    })();
  }

  recordNotification(n: PaymentNotificationRecord): boolean {
    const result = this.db
      .prepare(
        `INSERT OR IGNORE INTO payment_notifications (notify_id, out_trade_no, trade_status, source, body, received_at)
         VALUES (?, ?, ?, ?, ?, ?)`,
      )
      .run(n.notifyId, n.outTradeNo, n.tradeStatus, n.source, n.body, this.now());
    return result.changes === 1;
  }

  audit(outTradeNo: string, event: string, detail?: string): void {
    this.db
      .prepare('INSERT INTO order_events (out_trade_no, at, event, detail) VALUES (?, ?, ?, ?)')
      .run(outTradeNo, this.now(), event, detail ?? null);
  }

  private withItems(row: RawOrder): OrderRow {
    const items = (
      this.db
        .prepare('SELECT * FROM order_items WHERE out_trade_no = ? ORDER BY position')
        .all(row.out_trade_no) as RawItem[]
    ).map((i) => ({
      position: i.position,
      lane: i.lane,
      productId: i.product_id,
      name: i.name,
      priceFen: i.price_fen,
      vendState: i.vend_state,
      vendDetail: i.vend_detail,
    }));
    return {
      outTradeNo: row.out_trade_no,
      state: row.state,
      totalFen: row.total_fen,
      subject: row.subject,
      qrCode: row.qr_code,
      tradeNo: row.trade_no,
      message: row.message,
      createdAt: row.created_at,
      expiresAt: row.expires_at,
      paidAt: row.paid_at,
      items,
    };
  }
}

function settledEvent(order: OrderRow): unknown {
  const delivered = order.items.filter((i) => i.vendState === 'delivered');
  return {
    outTradeNo: order.outTradeNo,
    state: order.state,
    tradeNo: order.tradeNo,
    totalFen: order.totalFen,
    deliveredFen: delivered.reduce((sum, i) => sum + i.priceFen, 0),
    items: order.items.map((i) => ({
      lane: i.lane,
      productId: i.productId,
      priceFen: i.priceFen,
      vendState: i.vendState,
      detail: i.vendDetail,
    })),
    message: order.message,
  };
}
