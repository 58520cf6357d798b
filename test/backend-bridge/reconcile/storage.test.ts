// Reconciliation's storage through RelayStore.reconciliation on both backends (a SQLite file and a real
// PostgreSQL server started by the test): what a run reads (the day's notifies, by time and by trade, and
// the kiosks' sale.settled telemetry) and what it keeps (days, differences, the refund audit).
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Difference } from '../../../backend-bridge/reconcile/classify.ts';
import { openRelayStore } from '../../../backend-bridge/store.ts';
import type { RelayStore } from '../../../backend-bridge/store.ts';
import { startPostgres } from '../../helpers/postgres.ts';
import type { PostgresServer } from '../../helpers/postgres.ts';
import { tempDir } from '../../helpers/temp-dir.ts';

let server: PostgresServer;
before(async () => {
  server = await startPostgres();
});
after(() => server.stop());

const DAY = '2026-11-28';
const START = '2026-11-27T16:00:00.000Z';
const END = '2026-11-28T16:00:00.000Z';

async function notify(store: RelayStore, outTradeNo: string, receivedAt: string): Promise<void> {
  const params = { out_trade_no: outTradeNo, total_amount: '5.00', trade_status: 'TRADE_SUCCESS' };
  await store.storeNotify({
    dedupKey: `n:${outTradeNo}`,
    notifyId: `n-${outTradeNo}`,
    outTradeNo,
    notifyKind: 'trade_status_sync',
    kioskId: 'K1',
    rawBody: new URLSearchParams(params).toString(),
    params,
    receivedAt,
  });
}

function difference(outTradeNo: string, cls: Difference['class'], owedFen: number): Difference {
  return {
    class: cls,
    outTradeNo,
    kioskId: 'K1',
    owedFen,
    detail: `${cls} for ${outTradeNo}`,
    alipayPaidFen: 500,
    alipayRefundedFen: 0,
    kioskState: null,
    kioskDeliveredFen: cls === 'paid_not_delivered' ? 0 : null,
    relayNotifiedFen: 500,
    alipayRefunds: [],
  };
}

async function exercise(store: RelayStore): Promise<void> {
  await store.openEpoch(new Date().toISOString());
  const { results, sources } = store.reconciliation;
  await notify(store, 'K1_in_day', '2026-11-28T03:00:00.000Z');
  await notify(store, 'K1_late', '2026-11-29T01:00:00.000Z'); // the day's trade, notified the next day
  await notify(store, 'K1_other', '2026-11-26T01:00:00.000Z');
  await store.storeTelemetry(
    'K1',
    [
      { id: 's1', type: 'sale.settled', at: '2026-11-28T03:00:01.000Z', data: { outTradeNo: 'K1_in_day' } },
      { id: 's2', type: 'sale.settled', at: '2026-11-30T00:00:00.000Z', data: { outTradeNo: 'K1_late' } },
      { id: 'x', type: 'kiosk.status', at: '2026-11-28T03:00:00.000Z', data: {} },
    ],
    '2026-11-28T04:00:00.000Z',
  );
  const query = { outTradeNos: ['K1_in_day', 'K1_late'], startIso: START, endIso: END };
  const notified = await sources.notifications(query);
  assert.deepEqual(
    notified.map((n) => [n.params['out_trade_no'], n.kioskId]),
    [
      ['K1_in_day', 'K1'],
      ['K1_late', 'K1'],
    ],
  );
  const sales = await sources.settledSales(query);
  assert.deepEqual(
    sales.map((s) => [s.eventId, s.type, s.data]),
    [
      ['s1', 'sale.settled', { outTradeNo: 'K1_in_day' }],
      ['s2', 'sale.settled', { outTradeNo: 'K1_late' }],
    ],
  );

  assert.equal(await results.getDay(DAY), null);
  await results.saveDay({
    day: DAY,
    ranAt: '2026-11-29T02:00:00.000Z',
    status: 'differences',
    trades: 2,
    differences: [
      difference('K1_in_day', 'paid_not_delivered', 500),
      difference('K1_late', 'telemetry_missing', 0),
    ],
    refunds: [
      {
        outTradeNo: 'K1_in_day',
        kioskId: 'K1',
        outRequestNo: 'R1',
        refundFen: 500,
        reason: 'nothing delivered',
      },
    ],
  });
  // A failed re-run keeps the differences found before.
  await results.saveDay({ day: DAY, ranAt: '2026-11-29T03:00:00.000Z', status: 'failed', error: 'no bill' });
  const [summary] = await results.listDays();
  assert.deepEqual(summary, {
    date: DAY,
    ranAt: '2026-11-29T03:00:00.000Z',
    status: 'failed',
    error: 'no bill',
    differences: 2,
    byClass: { paid_not_delivered: 1, telemetry_missing: 1 },
  });
  assert.deepEqual(await results.plannedRefund(DAY, 'K1_in_day'), {
    outTradeNo: 'K1_in_day',
    kioskId: 'K1',
    outRequestNo: 'R1',
    refundFen: 500,
  });
  assert.equal(await results.plannedRefund(DAY, 'K1_late'), null);
  assert.equal(await results.hasDifference(DAY, 'K1_late'), true);
  assert.equal(await results.hasDifference(DAY, 'K1_nowhere'), false);
  await results.recordAction({
    day: DAY,
    at: '2026-11-29T03:01:00.000Z',
    outTradeNo: 'K1_in_day',
    outRequestNo: 'R1',
    refundFen: 500,
    trigger: 'operator',
    actor: 'admin-api',
    result: 'refunded',
    detail: 'refunded 5.00',
  });
  const detail = await results.getDay(DAY);
  assert.equal(detail?.differences.length, 2);
  assert.deepEqual(detail?.differences[0], {
    outTradeNo: 'K1_in_day',
    class: 'paid_not_delivered',
    kioskId: 'K1',
    alipayFen: 500,
    kioskFen: 0,
    detail: 'paid_not_delivered for K1_in_day',
  });
  assert.deepEqual(
    detail?.actions.map((a) => [a.outRequestNo, a.refundFen, a.trigger, a.result]),
    [['R1', 500, 'operator', 'refunded']],
  );
  assert.deepEqual(await results.latestCounts(), {
    day: DAY,
    byClass: { paid_not_delivered: 1, telemetry_missing: 1 },
  });
}

test('reconciliation reads and keeps its records through the SQLite store', async () => {
  const store = await openRelayStore(path.join(tempDir(), 'relay.sqlite'));
  try {
    await exercise(store);
  } finally {
    await store.close();
  }
});

test('reconciliation reads and keeps its records through the PostgreSQL store', async () => {
  const store = await openRelayStore(await server.createDatabase('reconcile'));
  try {
    await exercise(store);
  } finally {
    await store.close();
  }
});
