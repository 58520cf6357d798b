// One day's run, from the bill to the plan, over two ports the relay provides: where the day's bill comes from
// (fetchTradeBill bound to the relay's AlipayClient) and where its stored notifications and telemetry are read.
// Storing the result, metrics, the schedule and carrying out the plan stay with the relay.
import type { BillRow, TradeBillOutcome } from '../../app/alipay/index.ts';
import { classifyNotify } from '../../app/alipay/index.ts';
import { planCompensation } from './compensation.ts';
import type { CompensationPlan } from './compensation.ts';
import { dayWindow } from './day.ts';
import { reconcile } from './reconcile.ts';
import type { ReconcileReport } from './reconcile.ts';
import type { TelemetryEvent } from './settled-sale.ts';
import type { StoredNotification } from './trade-facts.ts';

/** What to read: everything about these trades, and everything received in [startIso, endIso). */
export type SourceQuery = { outTradeNos: readonly string[]; startIso: string; endIso: string };

export interface ReconcileSources {
  /** Verified notifications the relay stored (params parsed from params_json), matching the query. */
  notifications(query: SourceQuery): Promise<StoredNotification[]>;
  /** `sale.settled` telemetry the relay stored (data parsed from data_json), matching the query. */
  settledSales(query: SourceQuery): Promise<TelemetryEvent[]>;
}

export type DayRunDeps = {
  /** A day's bill: `(day) => fetchTradeBill(client, day)`. */
  bill: (day: string) => Promise<TradeBillOutcome>;
  sources: ReconcileSources;
  kioskOf?: (outTradeNo: string) => string | null;
};

export type DayRun =
  | {
      kind: 'reconciled';
      report: ReconcileReport;
      plan: CompensationPlan;
      /**
       * Whether the neighbouring days' bills were there: without the next one, a refund made after midnight is
       * not seen yet, so the day is worth running again once it exists.
       */
      neighbours: { previous: boolean; next: boolean };
    }
  /** The day's own bill could not be had (not ready, link expired, unreadable…): nothing was compared. */
  | { kind: 'bill_unavailable'; outcome: Exclude<TradeBillOutcome, { kind: 'success' }> };

function shiftDay(day: string, days: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

async function rowsOf(deps: DayRunDeps, day: string): Promise<BillRow[] | null> {
  const outcome = await deps.bill(day);
  return outcome.kind === 'success' ? outcome.bill.rows : null;
}

/**
 * Which trades belong to the day: every trade with a row in its bill, and every trade the relay or a kiosk
 * spoke of that day which no neighbouring bill claims (a sale paid at 23:59 the day before settles after
 * midnight: its own day's run looks at it, this one must not call its payment missing).
 */
export async function runDay(day: string, deps: DayRunDeps): Promise<DayRun> {
  const window = dayWindow(day);
  const own = await deps.bill(day);
  if (own.kind !== 'success') return { kind: 'bill_unavailable', outcome: own };
  const previous = await rowsOf(deps, shiftDay(day, -1));
  const next = await rowsOf(deps, shiftDay(day, 1));

  const billed = new Set(own.bill.rows.map((r) => r.outTradeNo));
  const query: SourceQuery = { outTradeNos: [...billed], ...window };
  const [notifications, telemetry] = await Promise.all([
    deps.sources.notifications(query),
    deps.sources.settledSales(query),
  ]);
  const elsewhere = new Set([...(previous ?? []), ...(next ?? [])].map((r) => r.outTradeNo));
  const inScope = new Set(billed);
  const mentioned = [
    ...notifications
      .map((n) => classifyNotify(n.params))
      .map((c) => ('outTradeNo' in c ? c.outTradeNo : null)),
    ...telemetry.map((t) => settledOutTradeNo(t.data)),
  ];
  for (const outTradeNo of mentioned) {
    if (outTradeNo !== null && !elsewhere.has(outTradeNo)) inScope.add(outTradeNo);
  }
  // Neighbouring rows of the day's own trades (a refund after midnight) count; other trades' rows do not.
  const billRows = [...own.bill.rows, ...(previous ?? []), ...(next ?? [])].filter((r) =>
    inScope.has(r.outTradeNo),
  );
  const report = reconcile({
    day,
    billRows,
    notifications: notifications.filter((n) => inScope.has(n.params.out_trade_no ?? '')),
    // An event without a readable out_trade_no stays in, so the report lists it as unreadable.
    telemetry: telemetry.filter((t) => {
      const outTradeNo = settledOutTradeNo(t.data);
      return outTradeNo === null || inScope.has(outTradeNo);
    }),
    ...(deps.kioskOf ? { kioskOf: deps.kioskOf } : {}),
  });
  return {
    kind: 'reconciled',
    report,
    plan: planCompensation(report),
    neighbours: { previous: previous !== null, next: next !== null },
  };
}

function settledOutTradeNo(data: unknown): string | null {
  if (data === null || typeof data !== 'object') return null;
  const value = (data as { outTradeNo?: unknown }).outTradeNo;
  return typeof value === 'string' ? value : null;
}
