import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { fetchTradeBill, lateRefundNo } from '../../../app/alipay/index.ts';
import type { BillRow } from '../../../app/alipay/index.ts';
import { planCompensation, reconcile } from '../../../backend-bridge/reconcile/index.ts';
import type { TelemetryEvent } from '../../../backend-bridge/reconcile/index.ts';
import type { AlipaySim, LedgerEntry } from '../../../sim/alipay/index.ts';
import { makeClient, makeKeys, simGet, simPost, startSim } from '../../sim/alipay/fixtures.ts';

const keys = makeKeys();
let sim: AlipaySim;

before(async () => {
  sim = await startSim(keys);
});
after(async () => {
  await sim.close();
});

async function billRows(days: readonly string[]): Promise<BillRow[]> {
  const client = makeClient(sim, keys);
  const rows: BillRow[] = [];
  for (const day of days) {
    const outcome = await fetchTradeBill(client, day);
    assert.ok(outcome.kind === 'success', JSON.stringify(outcome));
    rows.push(...outcome.bill.rows);
  }
  return rows;
}

function settled(state: 'expired' | 'refunded', outTradeNo: string): TelemetryEvent {
  return {
    kioskId: 'K1',
    eventId: `sale:${outTradeNo}:${state}`,
    type: 'sale.settled',
    at: new Date().toISOString(),
    data: {
      outTradeNo,
      state,
      totalFen: 650,
      deliveredFen: 0,
      items: [{ priceFen: 650, vendState: 'pending' }],
    },
  };
}

test('compensation from the bill and a kiosk refunding at the same moment pay the customer once', async () => {
  const operator = makeClient(sim, keys);
  const kiosk = makeClient(sim, keys);
  const outTradeNo = 'K1_20261129140000_00aa11bb22';
  assert.equal((await kiosk.precreate({ outTradeNo, totalFen: 650, subject: '汽水' })).kind, 'success');
  await simPost(sim, '/sim/pay', { outTradeNo });
  const paidAt = (await simGet<{ payments: LedgerEntry[] }>(sim, '/sim/ledger')).payments[0]?.at ?? '';
  const day = paidAt.slice(0, 10);

  // The kiosk never heard of the payment and closed the order as expired.
  const report = reconcile({
    day,
    billRows: await billRows([day]),
    notifications: [],
    telemetry: [settled('expired', outTradeNo)],
  });
  const plan = planCompensation(report);
  assert.deepEqual(
    plan.refunds.map((r) => [r.outRequestNo, r.refundFen]),
    [[lateRefundNo(outTradeNo), 650]],
  );
  const [planned] = plan.refunds;
  assert.ok(planned);

  // The relay's late notify reaches the kiosk just then: it refunds the late payment with its own number.
  const [byOperator, byKiosk] = await Promise.all([
    operator.refund({ outTradeNo, refundFen: planned.refundFen, outRequestNo: planned.outRequestNo }),
    kiosk.refund({ outTradeNo, refundFen: 650, outRequestNo: lateRefundNo(outTradeNo) }),
  ]);
  assert.equal(byOperator.kind, 'success');
  assert.equal(byKiosk.kind, 'success');
  const moved = [byOperator, byKiosk].map((o) => (o.kind === 'success' ? o.value.fundChange : null)).sort();
  assert.deepEqual(moved, [false, true], 'one of the two moved money, the other was the same refund');

  const ledger = await simGet<{ refunds: LedgerEntry[] }>(sim, '/sim/ledger');
  assert.deepEqual(
    ledger.refunds.map((r) => [r.outTradeNo, r.fen]),
    [[outTradeNo, 650]],
  );

  // The next reconciliation, with the kiosk's refunded telemetry, finds nothing left to do.
  const days = [...new Set([day, ...ledger.refunds.map((r) => r.at.slice(0, 10))])];
  const after = reconcile({
    day,
    billRows: await billRows(days),
    notifications: [],
    telemetry: [settled('expired', outTradeNo), settled('refunded', outTradeNo)],
  });
  assert.deepEqual(after.differences, []);
});
