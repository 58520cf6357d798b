// Compensation that can never pay out twice. Only one class is refunded by plan: "paid, neither delivered nor
// refunded" for an order the kiosk itself closed as expired or failed. From those states the kiosk's only way
// to refund is a late-payment refund numbered `<out_trade_no>_RL` (app/alipay/refund-numbers.ts), so the plan
// uses that very number: if the kiosk learns of the payment and refunds at the same moment, Alipay sees one
// refund twice and moves the money once. Every other class needs a person; the plan says why.
import { lateRefundNo } from '../../app/alipay/index.ts';
import type { Difference } from './classify.ts';
import type { ReconcileReport } from './reconcile.ts';

export type PlannedRefund = {
  outTradeNo: string;
  kioskId: string | null;
  outRequestNo: string;
  refundFen: number;
  reason: string;
};

export type CompensationPlan = {
  refunds: PlannedRefund[];
  /** Differences that are not refunded by plan, each with what a person should look at. */
  forPeople: Array<{ difference: Difference; why: string }>;
};

const WHY: Record<Difference['class'], string> = {
  paid_unknown_to_kiosk:
    'no kiosk reported this sale, so its state (and the refund number it would use) is unknown: check the kiosk first',
  paid_not_delivered: '',
  refund_missing_at_alipay:
    "Alipay refused or never received the kiosk's refund; repeating the same number gets the same answer: see why",
  amounts_differ: 'the amounts disagree: compare the order, the notification and the bill by hand',
  refund_unknown_to_kiosk: 'a refund the kiosk did not make (Alipay console?): confirm it was intended',
  telemetry_missing: 'the kiosk has not reported this sale yet: check its outbox depth and link',
};

export function planCompensation(report: ReconcileReport): CompensationPlan {
  const refunds: PlannedRefund[] = [];
  const forPeople: CompensationPlan['forPeople'] = [];
  for (const difference of report.differences) {
    if (difference.class !== 'paid_not_delivered' || difference.owedFen <= 0) {
      forPeople.push({ difference, why: WHY[difference.class] });
      continue;
    }
    const outRequestNo = lateRefundNo(difference.outTradeNo);
    if (difference.alipayRefunds.some((r) => r.outRequestNo === outRequestNo)) {
      // That number is spent on another amount: reusing it would be refused, a new one could pay twice.
      forPeople.push({
        difference,
        why: `${outRequestNo} already refunded part of this trade: settle the rest by hand`,
      });
      continue;
    }
    refunds.push({
      outTradeNo: difference.outTradeNo,
      kioskId: difference.kioskId,
      outRequestNo,
      refundFen: difference.owedFen,
      reason: `reconciliation ${report.day}: paid, nothing delivered, nothing refunded`,
    });
  }
  return { refunds, forPeople };
}
