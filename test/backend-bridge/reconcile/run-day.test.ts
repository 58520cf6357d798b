import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { BillRow, TradeBillOutcome } from '../../../app/alipay/index.ts';
import { runDay } from '../../../backend-bridge/reconcile/index.ts';
import type { SourceQuery, TelemetryEvent } from '../../../backend-bridge/reconcile/index.ts';

function row(
  kind: 'payment' | 'refund',
  outTradeNo: string,
  fen: number,
  at: string,
  no: string | null = null,
): BillRow {
  return {
    line: 1,
    kind,
    tradeNo: `T${outTradeNo}`,
    outTradeNo,
    subject: '',
    createdAt: at,
    finishedAt: at,
    amountFen: fen,
    receiptFen: fen,
    outRequestNo: no,
    storeId: '',
    terminalId: '',
    serviceFee: '0.00',
  };
}

function bills(byDay: Record<string, BillRow[]>): (day: string) => Promise<TradeBillOutcome> {
  return async (day) => {
    const rows = byDay[day];
    if (!rows) return { kind: 'not_ready' };
    return {
      kind: 'success',
      bill: { account: 'a', start: `${day} 00:00:00`, end: '', rows, summary: null },
    };
  };
}

function settled(outTradeNo: string, state: string, totalFen: number, deliveredFen: number): TelemetryEvent {
  const items = [{ priceFen: totalFen, vendState: deliveredFen ? 'delivered' : 'not_delivered' }];
  return {
    kioskId: 'K1',
    eventId: `sale:${outTradeNo}`,
    type: 'sale.settled',
    at: '',
    data: { outTradeNo, state, totalFen, deliveredFen, items },
  };
}

test('a day takes its own trades, their rows from the neighbouring bills, and nothing another day owns', async () => {
  const queries: SourceQuery[] = [];
  const run = await runDay('2026-11-29', {
    bill: bills({
      '2026-11-28': [
        row('payment', 'K1_eve', 500, '2026-11-28 23:59:50'),
        row('payment', 'K1_old', 300, '2026-11-28 09:00:00'),
      ],
      '2026-11-29': [
        row('payment', 'K1_a', 400, '2026-11-29 12:00:00'),
        row('payment', 'K1_late', 600, '2026-11-29 23:59:30'),
        row('refund', 'K1_eve', 500, '2026-11-29 00:00:20', 'K1_eve_R1'),
      ],
      '2026-11-30': [row('refund', 'K1_late', 600, '2026-11-30 00:00:40', 'K1_late_R1')],
    }),
    sources: {
      notifications: async () => [],
      settledSales: async (query) => {
        queries.push(query);
        return [
          settled('K1_a', 'completed', 400, 400),
          settled('K1_late', 'refunded', 600, 0),
          settled('K1_eve', 'refunded', 500, 0),
          settled('K1_old', 'completed', 300, 300), // settled today, paid yesterday: yesterday's run owns it
          settled('K1_ghost', 'completed', 800, 800), // the kiosk says paid; no bill has it
          { kioskId: 'K1', eventId: 'junk', type: 'sale.settled', at: '', data: 'not an object' },
        ];
      },
    },
  });
  assert.ok(run.kind === 'reconciled');
  assert.deepEqual(queries, [
    {
      outTradeNos: ['K1_a', 'K1_late', 'K1_eve'],
      startIso: '2026-11-28T16:00:00.000Z',
      endIso: '2026-11-29T16:00:00.000Z',
    },
  ]);
  assert.deepEqual(run.neighbours, { previous: true, next: true });
  assert.deepEqual(
    run.report.differences.map((d) => [d.outTradeNo, d.class]),
    [['K1_ghost', 'amounts_differ']],
  );
  assert.equal(run.report.trades, 4);
  assert.deepEqual(
    run.report.rejectedTelemetry.map((r) => r.eventId),
    ['junk'],
  );
  assert.deepEqual(run.plan.refunds, []);
});

test('without the next bill the after-midnight refund is missing, and the run says so', async () => {
  const run = await runDay('2026-11-29', {
    bill: bills({ '2026-11-29': [row('payment', 'K1_late', 600, '2026-11-29 23:59:30')] }),
    sources: {
      notifications: async () => [],
      settledSales: async () => [settled('K1_late', 'refunded', 600, 0)],
    },
  });
  assert.ok(run.kind === 'reconciled');
  assert.deepEqual(run.neighbours, { previous: false, next: false });
  assert.deepEqual(
    run.report.differences.map((d) => d.class),
    ['refund_missing_at_alipay'],
  );
});

test('no bill for the day: nothing is compared', async () => {
  const run = await runDay('2026-11-29', {
    bill: bills({}),
    sources: {
      notifications: async () => assert.fail('not read'),
      settledSales: async () => assert.fail('not read'),
    },
  });
  assert.deepEqual(run, { kind: 'bill_unavailable', outcome: { kind: 'not_ready' } });
});
