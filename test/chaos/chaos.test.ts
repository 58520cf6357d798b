// A short seeded chaos run (chaos-run.ts) in `npm test`; `npm run chaos -- --sales N --seed S` runs a long one
// (CHAOS_SALES, CHAOS_SEED). The report is printed whatever happens; then every money rule is checked.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatChaosReport, runChaos, type ChaosReport } from './chaos-run.ts';
import type { ViolationKind } from './reconcile.ts';

const SALES = Number(process.env['CHAOS_SALES'] ?? 10);
const SEED = Number(process.env['CHAOS_SEED'] ?? 7);

let report: Promise<ChaosReport> | null = null;
const run = (): Promise<ChaosReport> =>
  (report ??= runChaos({
    sales: SALES,
    seed: SEED,
    log: process.env['CHAOS_VERBOSE'] ? (line) => console.log(line) : undefined,
  }));
const violations = (r: ChaosReport, kinds: readonly ViolationKind[]) =>
  r.reconciliation.violations.filter((v) => kinds.includes(v.kind));

test(`chaos: ${SALES} sales (seed ${SEED}) — no item vended twice, no money lost or kept, every order final`, async () => {
  const r = await run();
  console.log(formatChaosReport(r));
  assert.equal(r.sales, SALES);
  assert.deepEqual(
    violations(r, [
      'two_runs_for_one_item',
      'goods_without_payment',
      'paid_neither_delivered_nor_refunded',
      'delivered_and_refunded',
      'over_refund',
      'refund_sent_twice',
      'late_payment_kept',
      'order_not_final',
    ]),
    [],
  );
});
