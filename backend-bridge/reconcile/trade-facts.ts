// What each of the three sources says about one out_trade_no, gathered side by side: Alipay's bill (the money
// that really moved), the relay's stored notifications (what Alipay told us as it happened) and the kiosk's
// settled-sale telemetry (what the kiosk believes it did).
import { classifyNotify } from '../../app/alipay/index.ts';
import type { BillRow } from '../../app/alipay/index.ts';
import type { SettledSale } from './settled-sale.ts';

/** A notification the relay stored: its verified params, and the kiosk it was routed to (null: dead letter). */
export type StoredNotification = {
  params: Readonly<Record<string, string>>;
  kioskId: string | null;
  receivedAt: string;
};

export type AlipayFacts = {
  tradeNo: string | null;
  paidFen: number;
  refunds: Array<{ outRequestNo: string | null; fen: number; at: string }>;
  refundedFen: number;
};

export type RelayFacts = {
  /** total_amount of the payment notification, when one arrived. */
  paymentFen: number | null;
  /** Highest cumulative refund_fee the refund notifications reported. */
  refundFeeFen: number;
  kioskId: string | null;
};

export type TradeFacts = {
  outTradeNo: string;
  alipay: AlipayFacts;
  relay: RelayFacts;
  kiosk: SettledSale | null;
};

function blank(outTradeNo: string): TradeFacts {
  return {
    outTradeNo,
    alipay: { tradeNo: null, paidFen: 0, refunds: [], refundedFen: 0 },
    relay: { paymentFen: null, refundFeeFen: 0, kioskId: null },
    kiosk: null,
  };
}

export function gatherFacts(
  billRows: readonly BillRow[],
  notifications: readonly StoredNotification[],
  sales: ReadonlyMap<string, SettledSale>,
): Map<string, TradeFacts> {
  const trades = new Map<string, TradeFacts>();
  const of = (outTradeNo: string): TradeFacts => {
    let facts = trades.get(outTradeNo);
    if (!facts) trades.set(outTradeNo, (facts = blank(outTradeNo)));
    return facts;
  };
  // The same bill handed in twice (a day fetched again) must not count its money twice.
  const seen = new Set<string>();
  for (const row of billRows) {
    const key = [row.kind, row.tradeNo, row.outTradeNo, row.outRequestNo, row.finishedAt, row.amountFen].join(
      '|',
    );
    if (seen.has(key)) continue;
    seen.add(key);
    const { alipay } = of(row.outTradeNo);
    alipay.tradeNo = row.tradeNo;
    if (row.kind === 'payment') {
      alipay.paidFen += row.amountFen;
    } else {
      alipay.refunds.push({ outRequestNo: row.outRequestNo, fen: row.amountFen, at: row.finishedAt });
      alipay.refundedFen += row.amountFen;
    }
  }
  for (const notification of notifications) {
    const meaning = classifyNotify(notification.params);
    if (meaning.kind !== 'payment' && meaning.kind !== 'refund') continue;
    const { relay } = of(meaning.outTradeNo);
    relay.kioskId ??= notification.kioskId;
    if (meaning.kind === 'payment') relay.paymentFen = meaning.totalFen;
    else relay.refundFeeFen = Math.max(relay.refundFeeFen, meaning.refundFeeFen);
  }
  for (const sale of sales.values()) of(sale.outTradeNo).kiosk = sale;
  return trades;
}
