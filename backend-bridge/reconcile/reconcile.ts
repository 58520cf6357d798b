// Three-way reconciliation (对账) of one day: Alipay's trade bill against the relay's notifications and the
// kiosks' settled-sale telemetry. Pure: plain data in, a report out; storing it, metrics and scheduling are
// the relay's (docs/operations.md "Daily reconciliation").
import type { BillRow } from '../../app/alipay/index.ts';
import { classifyTrade } from './classify.ts';
import type { Difference, DifferenceClass } from './classify.ts';
import { readSettledSales } from './settled-sale.ts';
import type { TelemetryEvent } from './settled-sale.ts';
import { gatherFacts } from './trade-facts.ts';
import type { StoredNotification } from './trade-facts.ts';

export type ReconcileInput = {
  /** `yyyy-MM-dd` (Beijing time), the day the bill covers; carried into the report. */
  day: string;
  /**
   * The day's bill rows, plus the rows of later days' bills already fetched for the same trades (a sale paid
   * at 23:59 and refunded at 00:01 has its refund in the next bill).
   */
  billRows: readonly BillRow[];
  /** The relay's stored notifications for the trades concerned (verified params). */
  notifications: readonly StoredNotification[];
  /** The kiosks' telemetry for the trades concerned (only `sale.settled` is read). */
  telemetry: readonly TelemetryEvent[];
  /** Which kiosk an out_trade_no belongs to when no source says (the relay's routing rule). */
  kioskOf?: (outTradeNo: string) => string | null;
};

export type ReconcileReport = {
  day: string;
  /** Trades looked at (every out_trade_no any source mentioned). */
  trades: number;
  /** Trades on which all three agree. */
  agreed: number;
  differences: Difference[];
  counts: Record<DifferenceClass, number>;
  totals: { alipayPaidFen: number; alipayRefundedFen: number; owedFen: number };
  /** Telemetry events that could not be read (never silently dropped). */
  rejectedTelemetry: Array<{ eventId: string; why: string }>;
};

export function reconcile(input: ReconcileInput): ReconcileReport {
  const { sales, rejected } = readSettledSales(input.telemetry);
  const trades = gatherFacts(input.billRows, input.notifications, sales);
  const differences: Difference[] = [];
  let agreed = 0;
  let alipayPaidFen = 0;
  let alipayRefundedFen = 0;
  for (const facts of [...trades.values()].sort((a, b) => a.outTradeNo.localeCompare(b.outTradeNo))) {
    alipayPaidFen += facts.alipay.paidFen;
    alipayRefundedFen += facts.alipay.refundedFen;
    const found = classifyTrade(facts, input.kioskOf?.(facts.outTradeNo) ?? null);
    if (found.length === 0) agreed++;
    differences.push(...found);
  }
  const counts = {
    paid_unknown_to_kiosk: 0,
    paid_not_delivered: 0,
    refund_missing_at_alipay: 0,
    amounts_differ: 0,
    refund_unknown_to_kiosk: 0,
    telemetry_missing: 0,
  } satisfies Record<DifferenceClass, number>;
  for (const difference of differences) counts[difference.class]++;
  return {
    day: input.day,
    trades: trades.size,
    agreed,
    differences,
    counts,
    totals: { alipayPaidFen, alipayRefundedFen, owedFen: differences.reduce((sum, d) => sum + d.owedFen, 0) },
    rejectedTelemetry: rejected,
  };
}
