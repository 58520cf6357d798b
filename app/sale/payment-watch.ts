// Watches unpaid orders: confirms payment by querying Alipay when no push arrived, and expires QR codes that
// were not paid in time. At expiry the trade is cancelled at Alipay, which also refunds a payment that raced
// the expiry (DESIGN.md, payment path step 6).
import { refundWholeOrder } from './refunds.ts';
import type { PaymentProof } from './payment-confirmation.ts';
import type { SaleContext } from './sale-context.ts';
import { beginVending, continueVending } from './vending.ts';

/**
 * Commits a verified payment and returns the work that follows it: the vending, or the refund of a payment
 * that landed on an expired order. The commit happens before this function returns (a failing commit throws
 * here, synchronously), so a caller that acks the payment to the relay after it never acks an unsaved one.
 *
 * One transaction, one fsync, between the payment and the first vend intent: the notification (evidence),
 * `paid`, paid → vending and the first item's intent commit together. Each is still on disk before its effect
 * (the ack, the vend frame), and a crash leaves either none of them or all of them.
 */
export function confirmPayment(ctx: SaleContext, proof: PaymentProof): Promise<void> {
  const outcome = ctx.store.db.transaction(() => {
    if (proof.notification) ctx.store.orders.recordNotification(proof.notification);
    return commitPaid(ctx, proof);
  })();
  switch (outcome.kind) {
    case 'ignored':
      return Promise.resolve();
    case 'late':
      return refundWholeOrder(ctx, proof.outTradeNo, 'paid after the QR code expired');
    case 'paid':
      ctx.log(`order ${proof.outTradeNo} paid (${proof.totalFen} fen, via ${proof.source})`);
      ctx.changed(proof.outTradeNo);
      return continueVending(ctx, proof.outTradeNo, outcome.claimed);
  }
}

type PaidOutcome =
  | { readonly kind: 'ignored' }
  | { readonly kind: 'late' }
  | { readonly kind: 'paid'; readonly claimed: number | null };

/** Inside confirmPayment's transaction: `paid`, then paid → vending with the first item's vend intent. */
function commitPaid(ctx: SaleContext, proof: PaymentProof): PaidOutcome {
  const order = ctx.store.orders.get(proof.outTradeNo);
  if (!order) return { kind: 'ignored' };
  if (proof.totalFen !== order.totalFen) {
    ctx.log(
      `payment for ${order.outTradeNo} ignored: ${proof.totalFen} fen paid, order is ${order.totalFen} fen`,
    );
    return { kind: 'ignored' };
  }
  if (order.state === 'expired') return { kind: 'late' };
  const paid = ctx.store.orders.transition(
    order.outTradeNo,
    ['created', 'awaiting_payment'],
    'paid',
    { tradeNo: proof.tradeNo, paidAt: ctx.now() },
    `via ${proof.source}`,
  );
  if (!paid) return { kind: 'ignored' }; // already paid through the other path: nothing to do twice
  const claimed = beginVending(ctx, order.outTradeNo);
  return { kind: 'paid', claimed: claimed === false ? null : claimed };
}

/** Asks Alipay directly whether an unpaid order has been paid. */
export async function queryPayment(ctx: SaleContext, outTradeNo: string): Promise<void> {
  const outcome = await ctx.gateway.query({ outTradeNo });
  if (outcome.kind !== 'success') return; // not scanned yet (ACQ.TRADE_NOT_EXIST), or unknown: ask again later
  const { tradeStatus, tradeNo, totalFen } = outcome.value;
  if (tradeStatus === 'TRADE_SUCCESS' || tradeStatus === 'TRADE_FINISHED') {
    await confirmPayment(ctx, { outTradeNo, tradeNo, totalFen, source: 'query' });
  }
}

/** Ends an unpaid order (timeout or the customer walked away) and cancels its trade at Alipay. */
export async function expireOrder(ctx: SaleContext, outTradeNo: string, reason: string): Promise<void> {
  const expired = ctx.store.db.transaction(() => {
    const ok = ctx.store.orders.transition(outTradeNo, ['created', 'awaiting_payment'], 'expired', {
      message: reason,
    });
    // Committed with the expiry: until Alipay confirms the cancel, a payment may still land on this trade.
    if (ok) ctx.store.orders.setCancelPending(outTradeNo, true);
    return ok;
  })();
  if (!expired) return;
  ctx.changed(outTradeNo);
  await cancelAtAlipay(ctx, outTradeNo);
}

/**
 * Cancels an expired order's trade; the client retries while Alipay answers retry_flag=Y. Until Alipay gives
 * a definite answer the order stays on the cancel list and the background loop tries again, so a payment
 * that raced the expiry is always either cancelled (and so refunded) or seen and refunded.
 */
export async function cancelAtAlipay(ctx: SaleContext, outTradeNo: string): Promise<void> {
  const outcome = await ctx.gateway.cancel({ outTradeNo });
  if (outcome.kind === 'success' && outcome.value.retryFlag !== 'Y') {
    ctx.store.db.transaction(() => {
      ctx.store.orders.setCancelPending(outTradeNo, false);
      if (outcome.value.action === 'refund') {
        // The buyer paid in the last instant; the cancel returned the money.
        ctx.store.orders.transition(outTradeNo, ['expired'], 'refunded', {
          message: 'paid after the QR code expired; refunded',
        });
      }
    })();
    ctx.changed(outTradeNo);
  } else if (outcome.kind === 'business_failure') {
    // e.g. ACQ.TRADE_NOT_EXIST: the QR code was never scanned, there is no trade to cancel.
    ctx.store.orders.setCancelPending(outTradeNo, false);
  } else {
    ctx.log(`cancel of ${outTradeNo} not confirmed yet (${outcome.kind}); will try again`);
  }
}
