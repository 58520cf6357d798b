// The kiosk's account of how a sale ended: its `sale.settled` telemetry (app/store/orders-repository.ts writes
// it in the transaction that ends the order). Telemetry is outside input to the relay, so it is validated here;
// an event that does not fit is reported, never guessed at.
import { z } from 'zod';
import { lateRefundNo, undeliveredRefundNo } from '../../app/alipay/index.ts';

const Fen = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

const SettledData = z.object({
  outTradeNo: z.string().min(1).max(64),
  state: z.enum(['completed', 'refunded', 'expired', 'failed']),
  tradeNo: z.string().nullable().optional(),
  totalFen: Fen,
  deliveredFen: Fen,
  items: z
    .array(z.object({ priceFen: Fen, vendState: z.string() }).passthrough())
    .max(1000)
    .default([]),
  /** Not sent by kiosks yet: when present, the refunds the kiosk recorded (see reconcile/README in docs). */
  refunds: z
    .array(z.object({ outRequestNo: z.string().min(1).max(64), amountFen: Fen, state: z.string() }))
    .max(100)
    .optional(),
});

export type TelemetryEvent = { kioskId: string; eventId: string; type: string; at: string; data: unknown };

export type KioskRefund = { outRequestNo: string; amountFen: number };

export type SettledSale = {
  kioskId: string;
  outTradeNo: string;
  state: 'completed' | 'refunded' | 'expired' | 'failed';
  totalFen: number;
  deliveredFen: number;
  /** The refund the kiosk recorded for this order (numbered by the kiosk's own rule). */
  refunds: KioskRefund[];
  /** The kiosk cancelled the order at Alipay (it expired unpaid); a cancel may itself refund a raced payment. */
  cancelled: boolean;
  at: string;
};

export type SaleReadings = {
  sales: Map<string, SettledSale>;
  rejected: Array<{ eventId: string; why: string }>;
};

/**
 * Reads every `sale.settled` event into one SettledSale per order. An order can settle twice (expired, then
 * refunded when a late payment turned up): the refund wins, being the later and the final word.
 */
export function readSettledSales(events: readonly TelemetryEvent[]): SaleReadings {
  const sales = new Map<string, SettledSale>();
  const rejected: SaleReadings['rejected'] = [];
  for (const event of events) {
    if (event.type !== 'sale.settled') continue;
    const parsed = SettledData.safeParse(event.data);
    if (!parsed.success) {
      rejected.push({ eventId: event.eventId, why: parsed.error.issues[0]?.message ?? 'invalid' });
      continue;
    }
    const data = parsed.data;
    if (data.deliveredFen > data.totalFen) {
      rejected.push({ eventId: event.eventId, why: 'deliveredFen exceeds totalFen' });
      continue;
    }
    const neverVended = data.items.every((item) => item.vendState === 'pending');
    const sale: SettledSale = {
      kioskId: event.kioskId,
      outTradeNo: data.outTradeNo,
      state: data.state,
      totalFen: data.totalFen,
      deliveredFen: data.deliveredFen,
      refunds:
        data.refunds ??
        derivedRefunds(data.outTradeNo, data.state, data.totalFen - data.deliveredFen, neverVended),
      cancelled: data.state === 'expired' || (data.state === 'refunded' && neverVended),
      at: event.at,
    };
    const previous = sales.get(sale.outTradeNo);
    if (!previous || previous.state !== 'refunded' || sale.state === 'refunded')
      sales.set(sale.outTradeNo, sale);
  }
  return { sales, rejected };
}

/**
 * Today's telemetry does not list refunds, but the kiosk's rule does: a refunded order that never vended was a
 * late payment (`_RL`, the whole amount), one that vended refunds what it could not deliver (`_R1`).
 */
function derivedRefunds(
  outTradeNo: string,
  state: SettledSale['state'],
  undeliveredFen: number,
  neverVended: boolean,
): KioskRefund[] {
  if (state !== 'refunded' || undeliveredFen === 0) return [];
  const outRequestNo = neverVended ? lateRefundNo(outTradeNo) : undeliveredRefundNo(outTradeNo);
  return [{ outRequestNo, amountFen: undeliveredFen }];
}
