// Money back for goods not delivered. The refund is committed to the outbox with a deterministic out_request_no
// before Alipay is called, and retried with that same number until Alipay confirms: never twice, never more
// than was paid and not delivered.
import { lateRefundNo, undeliveredRefundNo } from '../alipay/index.ts';
import type { SaleContext } from './sale-context.ts';

// The numbering rule is shared with the relay's reconciliation, so it lives in app/alipay.
export { lateRefundNo, undeliveredRefundNo };

export const REFUND_RETRY_MS = 5_000;

/** After the last vend: complete the order, or owe the customer the undelivered amount. */
export async function settleUndelivered(ctx: SaleContext, outTradeNo: string): Promise<void> {
  const order = ctx.store.orders.mustGet(outTradeNo);
  // Policy for `unknown` vends (motor ran, no drop seen, or a crash mid-vend): refund and flag for the
  // technician, as DESIGN.md prescribes by default.
  const undelivered = order.items.filter((i) => i.vendState === 'not_delivered' || i.vendState === 'unknown');
  const owed = undelivered.reduce((sum, i) => sum + i.priceFen, 0);
  if (owed === 0) {
    ctx.store.orders.transition(outTradeNo, ['vending'], 'completed', { message: null });
    ctx.changed(outTradeNo);
    return;
  }
  await oweRefund(ctx, outTradeNo, 'vending', {
    amountFen: owed,
    outRequestNo: undeliveredRefundNo(outTradeNo),
    reason: 'goods not delivered',
    message: `${undelivered.length} item(s) could not be dispensed`,
  });
}

/** Payment that arrived for an order which can no longer vend (expired): refund all of it. */
export async function refundWholeOrder(ctx: SaleContext, outTradeNo: string, reason: string): Promise<void> {
  const order = ctx.store.orders.mustGet(outTradeNo);
  await oweRefund(ctx, outTradeNo, 'expired', {
    amountFen: order.totalFen,
    outRequestNo: lateRefundNo(outTradeNo),
    reason,
    message: reason,
  });
}

/**
 * Moves an order to refund_pending and puts the refund in the outbox in one transaction (so the debt is never
 * recorded without the refund, nor the other way round), then asks Alipay for it.
 */
async function oweRefund(
  ctx: SaleContext,
  outTradeNo: string,
  from: 'vending' | 'expired',
  refund: { amountFen: number; outRequestNo: string; reason: string; message: string },
): Promise<void> {
  const moved = ctx.store.db.transaction(() => {
    const ok = ctx.store.orders.transition(outTradeNo, [from], 'refund_pending', { message: refund.message });
    if (ok) {
      ctx.store.refunds.enqueue({
        outRequestNo: refund.outRequestNo,
        outTradeNo,
        amountFen: refund.amountFen,
        reason: refund.reason,
      });
    }
    return ok;
  })();
  if (moved) {
    ctx.changed(outTradeNo);
    await processRefunds(ctx, outTradeNo);
  }
}

/** Works through the refund outbox (for one order, or all). Called after settling and by the background loop. */
export async function processRefunds(ctx: SaleContext, onlyOrder?: string): Promise<void> {
  for (const refund of ctx.store.refunds.pending()) {
    if (onlyOrder && refund.outTradeNo !== onlyOrder) continue;
    const previous = ctx.lastRefundAttempt.get(refund.outRequestNo);
    if (!onlyOrder && previous !== undefined && ctx.now() - previous < REFUND_RETRY_MS) continue;
    ctx.lastRefundAttempt.set(refund.outRequestNo, ctx.now());
    const outcome = await ctx.gateway.refund({
      outTradeNo: refund.outTradeNo,
      refundFen: refund.amountFen,
      outRequestNo: refund.outRequestNo,
      reason: refund.reason,
    });
    if (outcome.kind === 'success') {
      ctx.store.refunds.recordAttempt(refund.outRequestNo, { state: 'succeeded' });
      ctx.lastRefundAttempt.delete(refund.outRequestNo);
      ctx.log(`refund ${refund.outRequestNo}: ${refund.amountFen} fen confirmed by Alipay`);
    } else if (outcome.kind === 'business_failure') {
      const refusal = `${outcome.subCode}: ${outcome.subMsg}`;
      if (await tradeFullyRefunded(ctx, refund.outTradeNo)) {
        // Someone (a cancel that refunded, or an operator in Alipay's console) already returned all of the
        // money: the customer is whole, nothing more to send.
        ctx.store.refunds.recordAttempt(refund.outRequestNo, {
          state: 'succeeded',
          error: `${refusal} (trade already fully refunded)`,
        });
        ctx.log(`refund ${refund.outRequestNo}: trade already fully refunded at Alipay`);
      } else {
        // Retrying the same request cannot change a business refusal: flag it for a person.
        ctx.store.refunds.recordAttempt(refund.outRequestNo, { state: 'failed', error: refusal });
        ctx.log(`refund ${refund.outRequestNo} refused: ${refusal} — needs a technician`);
      }
    } else {
      // Retryable or outcome unknown: stays pending and is retried later with the same out_request_no.
      ctx.store.refunds.recordAttempt(refund.outRequestNo, { state: 'pending', error: outcome.detail });
      continue;
    }
    finishIfSettled(ctx, refund.outTradeNo);
  }
}

function finishIfSettled(ctx: SaleContext, outTradeNo: string): void {
  const refunds = ctx.store.refunds.forOrder(outTradeNo);
  if (refunds.some((r) => r.state === 'pending')) return;
  const failed = refunds.filter((r) => r.state === 'failed');
  const message = failed.length
    ? 'refund could not be completed automatically; staff have been notified'
    : undefined;
  if (ctx.store.orders.transition(outTradeNo, ['refund_pending'], 'refunded', message ? { message } : {})) {
    ctx.changed(outTradeNo);
  }
}

/** A paid trade that Alipay reports TRADE_CLOSED has had its whole amount refunded. */
async function tradeFullyRefunded(ctx: SaleContext, outTradeNo: string): Promise<boolean> {
  const trade = await ctx.gateway.query({ outTradeNo });
  return trade.kind === 'success' && trade.value.tradeStatus === 'TRADE_CLOSED';
}
