// Retention of finished orders: an order, its items, refunds, notifications and audit trail are forgotten
// `keepDays` after it finished, once nothing about it is still owed or unsent. SQLite reuses the pages a delete
// frees, so this alone bounds the file (no VACUUM, which would rewrite the whole file and block every sale
// meanwhile). Kept for months because Alipay accepts refunds for months, the relay reconciles the daily bill
// against this kiosk's telemetry and a dispute needs the signed notification (docs/operations.md, "What the
// kiosk keeps").
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Db } from './database.ts';

export const DAY_MS = 86_400_000;
/** Orders removed per transaction: a sale's commit waits behind one batch at most, never a whole prune. */
export const PRUNE_BATCH = 200;
/** How often the agent prunes after the prune at start. */
export const PRUNE_INTERVAL_MS = 3_600_000;

/**
 * Finished orders that may go, oldest first: in a final state, finished before the cutoff (updated_at: every
 * transition sets it and writes its audit event at the same instant) and nothing of them newer (a late
 * notification or refund keeps the whole order another `keepDays`), no cancel still owed by
 * Alipay, no refund still owed to the customer (`pending`: being retried; `failed`: refused by Alipay, waits for
 * a person and stays among the kiosk's open refunds) and no telemetry naming it still waiting for upload.
 */
const FINISHED_ORDERS = `
  SELECT o.out_trade_no AS outTradeNo FROM orders o
  WHERE o.state IN ('completed','refunded','expired','failed')
    AND o.updated_at < @cutoff
    AND o.cancel_pending = 0
    AND NOT EXISTS (SELECT 1 FROM refunds r WHERE r.out_trade_no = o.out_trade_no
                      AND (r.state IN ('pending','failed') OR r.updated_at >= @cutoff))
    AND NOT EXISTS (SELECT 1 FROM payment_notifications n WHERE n.out_trade_no = o.out_trade_no
                      AND n.received_at >= @cutoff)
    AND o.out_trade_no NOT IN (SELECT json_extract(data, '$.outTradeNo') FROM outbox
                                 WHERE sent_at IS NULL AND json_extract(data, '$.outTradeNo') IS NOT NULL)
  ORDER BY o.updated_at
  LIMIT @limit`;

/** Every table that holds rows of an order, children before the order itself (foreign keys). */
const ORDER_ROWS = ['order_items', 'refunds', 'payment_notifications', 'order_events', 'orders'];

/** Verified notifications naming an order this kiosk does not have (never made, or already forgotten). */
const UNKNOWN_ORDER_NOTIFICATIONS = `
  DELETE FROM payment_notifications WHERE rowid IN (
    SELECT n.rowid FROM payment_notifications n
    WHERE n.received_at < @cutoff
      AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.out_trade_no = n.out_trade_no)
    LIMIT @limit)`;

/**
 * The instant (ms) before which a finished order may go: `keepDays` before now, or before the kiosk's newest
 * finished order when the clock says later. A clock set ahead at boot (an RTC gone wrong, before NTP) then
 * forgets nothing the kiosk's own last sale does not make old: the prune at start runs before any sale could.
 */
export function retentionCutoff(db: Db, now: number, keepDays: number): number {
  const newest = db
    .prepare(`SELECT max(updated_at) FROM orders WHERE state IN ('completed','refunded','expired','failed')`)
    .pluck()
    .get() as number | null;
  return Math.min(now, newest ?? now) - keepDays * DAY_MS;
}

/** Removes up to `limit` finished orders older than `cutoff` (ms) with all of their rows, in one transaction. */
export function pruneFinishedOrders(db: Db, cutoff: number, limit = PRUNE_BATCH): number {
  const deletes = ORDER_ROWS.map((table) => db.prepare(`DELETE FROM ${table} WHERE out_trade_no = ?`));
  return db.transaction(() => {
    const finished = db.prepare(FINISHED_ORDERS).all({ cutoff, limit }) as Array<{ outTradeNo: string }>;
    for (const { outTradeNo } of finished) for (const remove of deletes) remove.run(outTradeNo);
    return finished.length;
  })();
}

/**
 * Removes up to `limit` notifications received before `cutoff` that name no order here. Rare, and found by a
 * scan of the table, so swept once per prune rather than with every batch of orders.
 */
export function pruneUnknownOrderNotifications(db: Db, cutoff: number, limit = PRUNE_BATCH): number {
  return db.prepare(UNKNOWN_ORDER_NOTIFICATIONS).run({ cutoff, limit }).changes;
}

export interface OrderRetentionOptions {
  readonly db: Db;
  /** Days a finished order is kept (agent config `sale.keepFinishedOrdersDays`). */
  readonly keepDays: number;
  readonly now: () => number;
  readonly log: (line: string) => void;
  readonly intervalMs?: number;
  readonly batchSize?: number;
}

/** The agent's periodic prune: at start, then about hourly, batch by batch, stopping with the agent. */
export class OrderRetention {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<number> | null = null;
  private stopped = false;

  constructor(private readonly options: OrderRetentionOptions) {}

  start(): void {
    if (this.timer || this.stopped) return;
    void this.prune();
    this.timer = setInterval(() => void this.prune(), this.options.intervalMs ?? PRUNE_INTERVAL_MS);
    this.timer.unref();
  }

  /**
   * Prunes everything due now, one batch per transaction with a turn of the event loop between batches, so
   * sales interleave. Resolves with the number of orders removed; a prune already running is joined.
   */
  prune(): Promise<number> {
    this.running ??= this.pruneDue().finally(() => (this.running = null));
    return this.running;
  }

  /** Stops the timer and waits for a prune in progress to end after its current batch. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer ?? undefined);
    this.timer = null;
    await this.running;
  }

  private async pruneDue(): Promise<number> {
    const { db, keepDays, now, log } = this.options;
    let cutoff = 0;
    let orders = 0;
    let strays = 0;
    try {
      cutoff = retentionCutoff(db, now(), keepDays);
      await this.inBatches(
        (limit) => pruneFinishedOrders(db, cutoff, limit),
        (n) => (orders += n),
      );
      await this.inBatches(
        (limit) => pruneUnknownOrderNotifications(db, cutoff, limit),
        (n) => (strays += n),
      );
    } catch (err) {
      // A failed batch was rolled back whole; what is left waits for the next prune. Never a crash of the agent.
      log(`retention: prune failed, tried again at the next prune: ${(err as Error).message}`);
    }
    if (orders > 0 || strays > 0) {
      const unknown = strays > 0 ? ` and ${strays} notifications of unknown orders` : '';
      log(
        `retention: removed ${orders} finished orders${unknown} from before ${new Date(cutoff).toISOString()} (kept ${keepDays} days)`,
      );
    }
    return orders;
  }

  /** Runs `batch` until it removes less than a full batch or the agent stops, yielding to sales in between. */
  private async inBatches(batch: (limit: number) => number, removed: (n: number) => void): Promise<void> {
    const limit = this.options.batchSize ?? PRUNE_BATCH;
    while (!this.stopped) {
      const n = batch(limit);
      removed(n);
      if (n < limit) break;
      await nextTurn();
    }
  }
}
