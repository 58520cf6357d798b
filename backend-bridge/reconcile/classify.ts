// The rules that turn one trade's facts into differences. Each class names who is out of step and what a
// person should do about it (docs/operations.md "Daily reconciliation"). Money is compared in fen, exactly.
import { lateRefundNo } from '../../app/alipay/index.ts';
import type { TradeFacts } from './trade-facts.ts';

export const DIFFERENCE_CLASSES = [
  'paid_unknown_to_kiosk',
  'paid_not_delivered',
  'refund_missing_at_alipay',
  'amounts_differ',
  'refund_unknown_to_kiosk',
  'telemetry_missing',
] as const;

export type DifferenceClass = (typeof DIFFERENCE_CLASSES)[number];

export type Difference = {
  class: DifferenceClass;
  outTradeNo: string;
  kioskId: string | null;
  /** What the customer is still owed on the evidence (0 when the difference costs the customer nothing). */
  owedFen: number;
  detail: string;
  alipayPaidFen: number;
  alipayRefundedFen: number;
  kioskState: string | null;
  kioskDeliveredFen: number | null;
  relayNotifiedFen: number | null;
  /** The refunds Alipay's bill holds for the trade. */
  alipayRefunds: Array<{ outRequestNo: string | null; fen: number }>;
};

export function classifyTrade(facts: TradeFacts, fallbackKioskId: string | null): Difference[] {
  const { alipay, relay, kiosk } = facts;
  const net = alipay.paidFen - alipay.refundedFen;
  const differences: Difference[] = [];
  const add = (cls: DifferenceClass, owedFen: number, detail: string): void => {
    differences.push({
      class: cls,
      outTradeNo: facts.outTradeNo,
      kioskId: kiosk?.kioskId ?? relay.kioskId ?? fallbackKioskId,
      owedFen: Math.max(0, owedFen),
      detail,
      alipayPaidFen: alipay.paidFen,
      alipayRefundedFen: alipay.refundedFen,
      kioskState: kiosk?.state ?? null,
      kioskDeliveredFen: kiosk?.deliveredFen ?? null,
      relayNotifiedFen: relay.paymentFen,
      alipayRefunds: alipay.refunds.map((r) => ({ outRequestNo: r.outRequestNo, fen: r.fen })),
    });
  };

  if (relay.paymentFen !== null && alipay.paidFen > 0 && relay.paymentFen !== alipay.paidFen) {
    add(
      'amounts_differ',
      0,
      `notified ${relay.paymentFen} fen, the bill says ${alipay.paidFen} fen were paid`,
    );
  }

  if (kiosk === null) {
    const heard = relay.paymentFen !== null;
    if (net > 0 && !heard) {
      add(
        'paid_unknown_to_kiosk',
        net,
        `Alipay holds ${net} fen; no notification reached the relay and no kiosk reported the sale`,
      );
    } else if (alipay.paidFen > 0 || alipay.refunds.length > 0 || heard) {
      add('telemetry_missing', 0, 'the kiosk has not reported how this sale ended');
    }
    return differences;
  }

  if (kiosk.state === 'expired' || kiosk.state === 'failed') {
    // The kiosk closed the order as unpaid: it vended nothing and owes nothing it knows of.
    if (net > 0) {
      add(
        'paid_not_delivered',
        net,
        `the kiosk ended the order ${kiosk.state}, Alipay holds ${net} fen of it: nothing delivered, nothing refunded`,
      );
    }
    // Its late-payment refund may be under way right now (its telemetry would follow).
    unknownRefunds(facts, [lateRefundNo(facts.outTradeNo)], add);
    return differences;
  }

  if (alipay.paidFen !== kiosk.totalFen) {
    add(
      'amounts_differ',
      0,
      `the kiosk sold ${kiosk.totalFen} fen, the bill says ${alipay.paidFen} fen were paid`,
    );
  }
  for (const refund of kiosk.refunds) {
    const atAlipay = alipay.refunds.filter((r) => r.outRequestNo === refund.outRequestNo);
    const found = atAlipay.reduce((sum, r) => sum + r.fen, 0);
    if (atAlipay.length === 0) {
      // The kiosk also settles a refund that Alipay refused because the trade was already refunded in full.
      if (net > kiosk.deliveredFen || alipay.paidFen === 0) {
        add(
          'refund_missing_at_alipay',
          Math.min(refund.amountFen, net - kiosk.deliveredFen),
          `the kiosk recorded refund ${refund.outRequestNo} of ${refund.amountFen} fen; Alipay has no such refund`,
        );
      }
    } else if (found !== refund.amountFen) {
      add(
        'amounts_differ',
        0,
        `refund ${refund.outRequestNo}: the kiosk says ${refund.amountFen} fen, Alipay ${found} fen`,
      );
    }
  }
  unknownRefunds(
    facts,
    kiosk.refunds.map((r) => r.outRequestNo),
    add,
  );
  return differences;
}

/** Refunds at Alipay the kiosk did not make: an operator in Alipay's console, say. The kiosk's cancel is known. */
function unknownRefunds(
  facts: TradeFacts,
  kioskNumbers: readonly string[],
  add: (cls: DifferenceClass, owedFen: number, detail: string) => void,
): void {
  const cancelled = facts.kiosk?.cancelled ?? false;
  for (const refund of facts.alipay.refunds) {
    if (refund.outRequestNo !== null && kioskNumbers.includes(refund.outRequestNo)) continue;
    // A cancel that refunds a raced payment carries no number of the kiosk's (the sim uses the out_trade_no).
    const byCancel = refund.outRequestNo === null || refund.outRequestNo === facts.outTradeNo;
    if (cancelled && byCancel) continue;
    add(
      'refund_unknown_to_kiosk',
      0,
      `Alipay refunded ${refund.fen} fen as ${refund.outRequestNo ?? '(no number)'}, unknown to the kiosk`,
    );
  }
}
