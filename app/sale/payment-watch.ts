// Watches unpaid orders: confirms payment by querying Alipay when no push arrived, and expires QR codes that
// were not paid in time. At expiry the trade is cancelled at Alipay, which also refunds a payment that raced
// the expiry (DESIGN.md, payment path step 6).
import { refundWholeOrder } from './refunds.ts';
import type { PaymentProof } from './payment-confirmation.ts';
import type { SaleContext } from './sale-context.ts';
import { startVending } from './vending.ts';

const CANCEL_ATTEMPTS = 3;

/** Commits `paid` for a verified payment and starts vending; a payment for an expired order is refunded. */
export async function confirmPayment(ctx: SaleContext, proof: PaymentProof): Promise<void> {
  const order = ctx.store.orders.get(proof.outTradeNo);
  if (!order) return;
  if (proof.totalFen !== order.totalFen) {
    ctx.log(
      `payment for ${order.outTradeNo} ignored: ${proof.totalFen} fen paid, order is ${order.totalFen} fen`,
    );
    return;
  }
  if (order.state === 'expired') {
    await refundWholeOrder(ctx, order.outTradeNo, 'paid after the QR code expired');
    return;
  }
  const paid = ctx.store.orders.transition(
    order.outTradeNo,
    ['created', 'awaiting_payment'],
    'paid',
    { tradeNo: proof.tradeNo, paidAt: ctx.now() },
    `via ${proof.source}`,
  );
  if (!paid) return; // already paid through the other path: nothing to do twice
  ctx.log(`order ${order.outTradeNo} paid (${order.totalFen} fen, via ${proof.source})`);
  ctx.changed(order.outTradeNo);
  await startVending(ctx, order.outTradeNo);
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
  if (
    !ctx.store.orders.transition(outTradeNo, ['created', 'awaiting_payment'], 'expired', { message: reason })
  ) {
    return;
  }
  ctx.changed(outTradeNo);
  for (let attempt = 1; attempt <= CANCEL_ATTEMPTS; attempt++) {
    const outcome = await ctx.gateway.cancel({ outTradeNo });
    if (outcome.kind === 'success') {
      if (outcome.value.action === 'refund') {
        // The buyer paid in the last instant; cancel returned the money.
        ctx.store.orders.transition(outTradeNo, ['expired'], 'refunded', {
          message: 'paid after the QR code expired; refunded',
        });
        ctx.changed(outTradeNo);
      }
      if (outcome.value.retryFlag !== 'Y') return;
    } else if (outcome.kind === 'business_failure') {
      // e.g. ACQ.TRADE_NOT_EXIST: the QR was never scanned, nothing to cancel.
      return;
    }
  }
  ctx.log(
    `cancel of ${outTradeNo} not confirmed after ${CANCEL_ATTEMPTS} attempts; a late payment will be refunded`,
  );
}
