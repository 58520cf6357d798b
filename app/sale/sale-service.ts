// The sale lifecycle behind one façade: checkout, payment confirmation (push or query), vending, refunds,
// expiry and crash recovery. created → awaiting_payment → paid → vending → completed, each state committed
// before its effect (sale-transitions.ts has the whole graph).
import type { OrderRow } from '../store/index.ts';
import { checkout, type CartLine } from './checkout.ts';
import { verifyNotification, type NotificationVerdict } from './payment-confirmation.ts';
import { cancelAtAlipay, confirmPayment, expireOrder, queryPayment } from './payment-watch.ts';
import { processRefunds } from './refunds.ts';
import type { OrderListener, SaleContext, SaleDeps } from './sale-context.ts';
import { EvidenceWatch, recoverInterruptedOrder } from './vend-recovery.ts';
import { startVending } from './vending.ts';

/** How often an unconfirmed cancel is asked for again. */
export const CANCEL_RETRY_MS = 30_000;

export interface SaleServiceOptions {
  /** How long after a restart the board is listened to for the result of a vend it interrupted (ms). */
  readonly recoveryEvidenceMs?: number;
  /** Query Alipay for an unpaid order at most this often while pushes are arriving (ms). */
  readonly queryIntervalMs?: number;
  /** …and this often while the relay link is down (ms). */
  readonly queryIntervalOfflineMs?: number;
  /** Reports whether the relay push link is up, to pick the query cadence. */
  readonly relayLinkUp?: () => boolean;
}

export class SaleService {
  private readonly ctx: SaleContext;
  private readonly listeners = new Set<OrderListener>();
  private readonly lastQuery = new Map<string, number>();
  private readonly lastCancel = new Map<string, number>();
  private readonly busy = new Set<Promise<unknown>>();
  private timer: NodeJS.Timeout | null = null;
  private ticking = false;

  constructor(
    deps: SaleDeps,
    private readonly options: SaleServiceOptions = {},
  ) {
    this.ctx = {
      ...deps,
      changed: (outTradeNo) => this.emit(outTradeNo),
      lastRefundAttempt: new Map(),
    };
  }

  onChange(listener: OrderListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async checkout(cart: readonly CartLine[]): Promise<OrderRow> {
    const outTradeNo = await checkout(this.ctx, cart);
    return this.ctx.store.orders.mustGet(outTradeNo);
  }

  /** The order the screen should show after a (re)load: the newest unfinished one, if any. */
  current(): OrderRow | null {
    return this.ctx.store.orders.latestOpen();
  }

  async cancel(outTradeNo: string): Promise<OrderRow> {
    await expireOrder(this.ctx, outTradeNo, 'cancelled by the customer');
    return this.ctx.store.orders.mustGet(outTradeNo);
  }

  /**
   * Handles a notification body pushed by the relay. Resolves once its effect is committed (paid, or rejected),
   * so the caller may then ack it to the relay. Vending continues in the background.
   */
  async handleNotification(body: string): Promise<NotificationVerdict> {
    const { verdict, proof } = verifyNotification(this.ctx, body);
    if (!verdict.accepted) {
      this.ctx.log(`notification rejected: ${verdict.reason}`);
      return verdict;
    }
    // confirmPayment commits `paid` with the first vend intent (or the refund of a late payment) before it
    // returns, and throws here if that commit fails; only the vending that follows runs on in the background.
    // So the ack that follows this return is safe, and a failed commit is never acked.
    if (proof) this.track(confirmPayment(this.ctx, proof));
    return verdict;
  }

  /**
   * Brings every unfinished order forward after a start: vends interrupted mid-way are resolved from the
   * board's evidence in the background (vend-recovery.ts; never re-sent), paid orders vend, refunds resume,
   * unpaid orders are watched or expired. Returns without waiting for the board.
   */
  async recover(): Promise<void> {
    // Listening starts before the first byte from the board can arrive: its resent report may come at once.
    const watch = new EvidenceWatch(this.ctx.dispenser);
    const resolving: Array<Promise<unknown>> = [];
    for (const order of this.ctx.store.orders.listOpen()) {
      switch (order.state) {
        case 'created':
          await expireOrder(this.ctx, order.outTradeNo, 'interrupted before the QR code was shown');
          break;
        case 'paid':
          this.track(startVending(this.ctx, order.outTradeNo));
          break;
        case 'vending': {
          const work = recoverInterruptedOrder(this.ctx, watch, order.outTradeNo, {
            evidenceMs: this.options.recoveryEvidenceMs,
          });
          resolving.push(work);
          this.track(work);
          break;
        }
        default:
          break; // awaiting_payment and refund_pending are picked up by the background loop
      }
    }
    void Promise.allSettled(resolving).then(() => watch.close());
  }

  /** Starts the background loop: expiry, query fallback, refund retries. */
  start(intervalMs = 1000): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.tick(), intervalMs);
    this.timer.unref();
  }

  async tick(): Promise<void> {
    if (this.ticking) return;
    this.ticking = true;
    try {
      const now = this.ctx.now();
      for (const order of this.ctx.store.orders.listOpen()) {
        if (order.state === 'awaiting_payment') await this.watchUnpaid(order, now);
      }
      await processRefunds(this.ctx);
      await this.retryCancels(now);
    } catch (err) {
      this.ctx.log(`sale loop error: ${(err as Error).message}`);
    } finally {
      this.ticking = false;
    }
  }

  /** Stops the loop and waits for vends in flight, so a clean shutdown never cuts a vend's commit. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await Promise.allSettled([...this.busy]);
  }

  private async watchUnpaid(order: OrderRow, now: number): Promise<void> {
    if (order.expiresAt !== null && now >= order.expiresAt) {
      // One last look before giving up: a payment may have landed without its notification.
      await queryPayment(this.ctx, order.outTradeNo);
      await expireOrder(this.ctx, order.outTradeNo, 'the QR code expired');
      return;
    }
    const up = this.options.relayLinkUp?.() ?? false;
    const interval = up
      ? (this.options.queryIntervalMs ?? 10_000)
      : (this.options.queryIntervalOfflineMs ?? 3_000);
    const last = this.lastQuery.get(order.outTradeNo) ?? order.createdAt;
    if (now - last < interval) return;
    this.lastQuery.set(order.outTradeNo, now);
    await queryPayment(this.ctx, order.outTradeNo);
  }

  private async retryCancels(now: number): Promise<void> {
    for (const outTradeNo of this.ctx.store.orders.listCancelPending()) {
      const last = this.lastCancel.get(outTradeNo);
      if (last === undefined) {
        this.lastCancel.set(outTradeNo, now); // the expiry (or the start) just tried: wait a full interval
        continue;
      }
      if (now - last < CANCEL_RETRY_MS) continue;
      this.lastCancel.set(outTradeNo, now);
      await cancelAtAlipay(this.ctx, outTradeNo);
    }
  }

  private track(work: Promise<unknown>): void {
    const guarded = work.catch((err: unknown) => this.ctx.log(`sale error: ${(err as Error).message}`));
    this.busy.add(guarded);
    void guarded.finally(() => this.busy.delete(guarded));
  }

  private emit(outTradeNo: string): void {
    const order = this.ctx.store.orders.get(outTradeNo);
    if (!order) return;
    for (const l of this.listeners) l(order);
  }
}
