// Reconciles the three ground truths of a chaos run — alipay-sim's ledger (money), vmc-sim's motor-run record
// (goods) and the agent's own orders — and names every sale where they disagree with the money rules.
// Motor runs are attributed to a sale by when they happened: the harness runs one sale at a time and lets it
// settle before the next, so every run between two sales belongs to the first.

export interface LedgerEntry {
  readonly outTradeNo: string;
  readonly fen: number;
  readonly outRequestNo?: string;
}

export interface MotorRun {
  readonly lane: number;
  readonly result: string;
  readonly dropSeen: boolean;
}

export interface AgentOrder {
  readonly state: string;
  readonly items: ReadonlyArray<{
    readonly lane: number;
    readonly priceFen: number;
    readonly vendState: string;
  }>;
}

export interface SaleRecord {
  readonly outTradeNo: string;
  /** How the customer paid in this sale (on_time, late, twice_notified, never). */
  readonly payment: string;
  readonly runs: readonly MotorRun[];
  /** The board's final reports a running agent acknowledged during this sale (the serial tap's record). */
  readonly reports: ReadonlyArray<{ readonly lane: number; readonly code: number }>;
}

export type ViolationKind =
  | 'two_runs_for_one_item'
  | 'goods_without_payment'
  | 'paid_neither_delivered_nor_refunded'
  | 'delivered_and_refunded'
  | 'over_refund'
  | 'refund_sent_twice'
  | 'late_payment_kept'
  | 'order_not_final';

export interface Violation {
  readonly kind: ViolationKind;
  readonly outTradeNo: string;
  readonly detail: string;
}

export interface Reconciliation {
  readonly violations: Violation[];
  /** Motor runs whose outcome the board itself could not confirm (no drop seen, interrupted): shown apart. */
  readonly ambiguousRuns: number;
  /**
   * Drops the board saw whose "dispensed" report reached no running agent (it was down for all of the
   * board's resends): the agent could not know, so a refund of these is shown apart, not a violation.
   */
  readonly unreportedDrops: number;
  readonly counts: Record<string, number>;
}

const FINAL = new Set(['completed', 'refunded', 'expired', 'failed']);

export function reconcile(
  sales: readonly SaleRecord[],
  ledger: { payments: readonly LedgerEntry[]; refunds: readonly LedgerEntry[] },
  orders: ReadonlyMap<string, AgentOrder>,
): Reconciliation {
  const violations: Violation[] = [];
  let ambiguousRuns = 0;
  let unreportedDrops = 0;
  const counts: Record<string, number> = {};
  const count = (key: string) => (counts[key] = (counts[key] ?? 0) + 1);
  for (const sale of sales) {
    const no = sale.outTradeNo;
    const flag = (kind: ViolationKind, detail: string) => violations.push({ kind, outTradeNo: no, detail });
    const order = orders.get(no);
    const paid = sum(ledger.payments.filter((p) => p.outTradeNo === no));
    const refunds = ledger.refunds.filter((r) => r.outTradeNo === no);
    const refunded = sum(refunds);
    count(`payment ${sale.payment}`);
    if (!order) {
      flag('order_not_final', 'the agent has no such order');
      continue;
    }
    count(`order ${order.state}`);
    if (!FINAL.has(order.state)) flag('order_not_final', `left ${order.state}`);

    // Goods: every run of this sale, by lane, against the items the order holds for that lane.
    const price = new Map(order.items.map((i) => [i.lane, i.priceFen]));
    for (const lane of new Set(sale.runs.map((r) => r.lane))) {
      const runs = sale.runs.filter((r) => r.lane === lane).length;
      const items = order.items.filter((i) => i.lane === lane).length;
      if (runs > items)
        flag('two_runs_for_one_item', `lane ${lane}: ${runs} motor runs for ${items} item(s)`);
    }
    const confirmed = sale.runs.filter((r) => r.result === 'dispensed' && r.dropSeen);
    const ambiguous = sale.runs.filter(
      (r) => !(r.result === 'dispensed' && r.dropSeen) && r.result !== 'jammed',
    );
    ambiguousRuns += ambiguous.length;
    const confirmedFen = confirmed.reduce((s, r) => s + (price.get(r.lane) ?? 0), 0);
    // Of those, the drops whose success report an agent acknowledged (per lane, at most one per run).
    let reportedFen = 0;
    for (const lane of new Set(confirmed.map((r) => r.lane))) {
      const drops = confirmed.filter((r) => r.lane === lane).length;
      const reported = sale.reports.filter((r) => r.lane === lane && r.code === 0x02).length;
      reportedFen += Math.min(drops, reported) * (price.get(lane) ?? 0);
      unreportedDrops += Math.max(0, drops - reported);
    }
    const possibleFen = confirmedFen + ambiguous.reduce((s, r) => s + (price.get(r.lane) ?? 0), 0);

    if (paid === 0 && sale.runs.length > 0) flag('goods_without_payment', `${sale.runs.length} motor run(s)`);
    if (refunded > paid) flag('over_refund', `refunded ${refunded} of ${paid} fen paid`);
    if (new Set(refunds.map((r) => r.outRequestNo)).size !== refunds.length)
      flag('refund_sent_twice', refunds.map((r) => r.outRequestNo).join(', '));
    if (paid > 0 && paid - refunded > possibleFen)
      flag(
        'paid_neither_delivered_nor_refunded',
        `paid ${paid}, refunded ${refunded}, goods out at most ${possibleFen} fen`,
      );
    if (paid > 0 && reportedFen > 0 && refunded > paid - reportedFen)
      flag(
        'delivered_and_refunded',
        `the board reported ${reportedFen} fen of goods out with the drop seen, yet ${refunded} of ${paid} fen were refunded`,
      );
    if (sale.payment === 'late' && paid > 0 && refunded < paid)
      flag('late_payment_kept', `paid ${paid} after the order ended, refunded ${refunded}`);
  }
  return { violations, ambiguousRuns, unreportedDrops, counts };
}

function sum(entries: readonly LedgerEntry[]): number {
  return entries.reduce((s, e) => s + e.fen, 0);
}
