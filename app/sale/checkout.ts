// Turns a cart into an order and a QR code: validate against the planogram, commit the order, then precreate.
import { allocateOutTradeNo } from './out-trade-no.ts';
import type { SaleContext } from './sale-context.ts';

export class CheckoutError extends Error {
  override readonly name = 'CheckoutError';
  constructor(
    readonly code: 'unavailable' | 'conflict' | 'bad_request',
    message: string,
  ) {
    super(message);
  }
}

export interface CartLine {
  readonly lane: number;
  readonly quantity: number;
}

const SUBJECT_MAX = 256;

export async function checkout(ctx: SaleContext, cart: readonly CartLine[]): Promise<string> {
  if (ctx.dispenser.linkState !== 'up') {
    throw new CheckoutError('unavailable', 'the dispenser is offline; nothing can be sold right now');
  }
  const open = ctx.store.orders.listOpen().find((o) => o.state !== 'refund_pending');
  if (open) throw new CheckoutError('conflict', `order ${open.outTradeNo} is still in progress`);

  const items = cart.flatMap((line) => {
    const lane = ctx.store.lanes.get(line.lane);
    if (!lane || !lane.enabled) throw new CheckoutError('unavailable', `lane ${line.lane} is not for sale`);
    const wanted = cart.filter((l) => l.lane === line.lane).reduce((n, l) => n + l.quantity, 0);
    if (lane.stock < wanted)
      throw new CheckoutError('unavailable', `lane ${line.lane} has only ${lane.stock} left`);
    return Array.from({ length: line.quantity }, () => ({
      lane: lane.lane,
      productId: lane.productId,
      name: lane.name,
      priceFen: lane.priceFen,
    }));
  });
  const totalFen = items.reduce((sum, i) => sum + i.priceFen, 0);
  const subject = summarise(items.map((i) => i.name)).slice(0, SUBJECT_MAX);
  const outTradeNo = allocateOutTradeNo(ctx.kioskId, new Date(ctx.now()));

  // Committed before any network call: a crash during precreate leaves an order recovery can cancel.
  ctx.store.orders.create({ outTradeNo, totalFen, subject, items });
  ctx.changed(outTradeNo);

  const timeoutMinutes = Math.max(1, Math.ceil(ctx.paymentTimeoutMs / 60_000));
  const outcome = await ctx.gateway.precreate({
    outTradeNo,
    totalFen,
    subject,
    notifyUrl: ctx.alipay.notifyUrl,
    // Alipay's own expiry is never shorter than ours: the kiosk, not Alipay, decides when a QR is dead, and
    // then cancels the trade.
    timeoutExpress: `${timeoutMinutes + 1}m`,
    terminalId: ctx.kioskId,
  });
  if (outcome.kind === 'success') {
    ctx.store.orders.transition(outTradeNo, ['created'], 'awaiting_payment', {
      qrCode: outcome.value.qrCode,
      expiresAt: ctx.now() + ctx.paymentTimeoutMs,
    });
  } else {
    const why =
      outcome.kind === 'business_failure'
        ? `${outcome.subCode}: ${outcome.subMsg}`
        : `${outcome.kind}: ${outcome.detail}`;
    ctx.log(`precreate for ${outTradeNo} failed (${why})`);
    // No QR code was shown, so nobody can pay this trade even if Alipay created it; Alipay closes it at
    // timeout_express.
    ctx.store.orders.transition(outTradeNo, ['created'], 'failed', {
      message: 'the payment service is not reachable right now; please try again',
    });
  }
  ctx.changed(outTradeNo);
  return outTradeNo;
}

function summarise(names: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const n of names) counts.set(n, (counts.get(n) ?? 0) + 1);
  return [...counts].map(([name, n]) => (n > 1 ? `${name} x${n}` : name)).join(', ');
}
