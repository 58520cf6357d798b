import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { lateRefundNo, undeliveredRefundNo } from '../../../app/alipay/index.ts';
import type { BillRow } from '../../../app/alipay/index.ts';
import { planCompensation, reconcile } from '../../../backend-bridge/reconcile/index.ts';
import type {
  DifferenceClass,
  ReconcileReport,
  StoredNotification,
  TelemetryEvent,
} from '../../../backend-bridge/reconcile/index.ts';

const DAY = '2026-11-29';
let seq = 0;

function paid(outTradeNo: string, fen: number): BillRow {
  return {
    line: ++seq,
    kind: 'payment',
    tradeNo: `T${outTradeNo}`,
    outTradeNo,
    subject: 'x',
    createdAt: `${DAY} 10:00:00`,
    finishedAt: `${DAY} 10:00:05`,
    amountFen: fen,
    receiptFen: fen,
    outRequestNo: null,
    storeId: '',
    terminalId: '',
    serviceFee: '0.00',
  };
}

function refunded(outTradeNo: string, fen: number, outRequestNo: string | null): BillRow {
  return { ...paid(outTradeNo, fen), kind: 'refund', outRequestNo, finishedAt: `${DAY} 10:01:00` };
}

function notified(
  outTradeNo: string,
  fen: number,
  kioskId = outTradeNo.split('_')[0] ?? null,
): StoredNotification {
  const amount = (fen / 100).toFixed(2);
  return {
    kioskId,
    receivedAt: `${DAY}T02:00:06.000Z`,
    params: {
      notify_type: 'trade_status_sync',
      app_id: '2021000000000001',
      trade_no: `T${outTradeNo}`,
      out_trade_no: outTradeNo,
      trade_status: 'TRADE_SUCCESS',
      total_amount: amount,
    },
  };
}

type Item = { priceFen: number; vendState: string };

function settled(
  outTradeNo: string,
  state: 'completed' | 'refunded' | 'expired' | 'failed',
  items: Item[],
  extra: Record<string, unknown> = {},
): TelemetryEvent {
  const totalFen = items.reduce((sum, i) => sum + i.priceFen, 0);
  const deliveredFen = items
    .filter((i) => i.vendState === 'delivered')
    .reduce((sum, i) => sum + i.priceFen, 0);
  return {
    kioskId: outTradeNo.split('_')[0] ?? '',
    eventId: `sale:${outTradeNo}:${state}`,
    type: 'sale.settled',
    at: `${DAY}T02:10:00.000Z`,
    data: {
      outTradeNo,
      state,
      tradeNo: `T${outTradeNo}`,
      totalFen,
      deliveredFen,
      items,
      message: null,
      ...extra,
    },
  };
}

const delivered = (priceFen: number): Item => ({ priceFen, vendState: 'delivered' });
const notDelivered = (priceFen: number): Item => ({ priceFen, vendState: 'not_delivered' });
const pending = (priceFen: number): Item => ({ priceFen, vendState: 'pending' });

function run(
  billRows: BillRow[],
  notifications: StoredNotification[],
  telemetry: TelemetryEvent[],
): ReconcileReport {
  return reconcile({ day: DAY, billRows, notifications, telemetry });
}

function classes(report: ReconcileReport): Array<[string, DifferenceClass, number]> {
  return report.differences.map((d) => [d.outTradeNo, d.class, d.owedFen]);
}

describe('reconciliation', () => {
  test('a day where the three sources agree has no differences', () => {
    const report = run(
      [
        paid('K1_a', 500),
        paid('K1_b', 800),
        refunded('K1_b', 300, undeliveredRefundNo('K1_b')),
        paid('K1_c', 250),
        refunded('K1_c', 250, lateRefundNo('K1_c')),
        paid('K2_d', 300),
        refunded('K2_d', 300, 'K2_d'), // the kiosk's cancel refunded a payment that raced the expiry
      ],
      [notified('K1_a', 500), notified('K1_b', 800), notified('K1_c', 250), notified('K2_d', 300)],
      [
        settled('K1_a', 'completed', [delivered(200), delivered(300)]),
        settled('K1_b', 'refunded', [delivered(500), notDelivered(300)]),
        settled('K1_c', 'expired', [pending(250)]),
        settled('K1_c', 'refunded', [pending(250)]),
        settled('K2_d', 'expired', [pending(300)]),
        settled('K2_e', 'expired', [pending(990)]), // never paid: absent from the bill, as it should be
      ],
    );
    assert.deepEqual(classes(report), []);
    assert.equal(report.trades, 5);
    assert.equal(report.agreed, 5);
    assert.deepEqual(report.totals, { alipayPaidFen: 1850, alipayRefundedFen: 850, owedFen: 0 });
  });

  test('every class is found, with what the customer is owed', () => {
    const report = run(
      [
        paid('K1_lost', 600), // notify lost, query off: the kiosk expired the order, the cancel did not refund
        paid('K1_orphan', 450), // no kiosk, no notification
        paid('K1_silent', 700), // sold fine, its telemetry upload was lost
        paid('K1_refused', 900), // the kiosk's refund failed at Alipay
        paid('K1_short', 500), // the kiosk sold 600
        paid('K1_console', 400),
        refunded('K1_console', 400, 'OPS-1'), // refunded in Alipay's console
      ],
      [
        notified('K1_silent', 700),
        notified('K1_refused', 900),
        notified('K1_short', 500),
        notified('K1_console', 400),
      ],
      [
        settled('K1_lost', 'expired', [pending(600)]),
        settled('K1_refused', 'refunded', [delivered(400), notDelivered(500)]),
        settled('K1_short', 'completed', [delivered(600)]),
        settled('K1_console', 'completed', [delivered(400)]),
      ],
    );
    assert.deepEqual(classes(report), [
      ['K1_console', 'refund_unknown_to_kiosk', 0],
      ['K1_lost', 'paid_not_delivered', 600],
      ['K1_orphan', 'paid_unknown_to_kiosk', 450],
      ['K1_refused', 'refund_missing_at_alipay', 500],
      ['K1_short', 'amounts_differ', 0],
      ['K1_silent', 'telemetry_missing', 0],
    ]);
    assert.equal(report.counts.paid_not_delivered, 1);
    assert.equal(report.totals.owedFen, 1550);
    const refused = report.differences.find((d) => d.class === 'refund_missing_at_alipay');
    assert.match(refused?.detail ?? '', /K1_refused_R1 of 500 fen; Alipay has no such refund/);
    assert.equal(refused?.kioskId, 'K1');
  });

  test('amounts that differ between the notification, the bill and the kiosk refund are named', () => {
    const report = run(
      [paid('K3_a', 500), paid('K3_b', 800), refunded('K3_b', 200, undeliveredRefundNo('K3_b'))],
      [notified('K3_a', 550)],
      [
        settled('K3_a', 'completed', [delivered(500)]),
        settled('K3_b', 'refunded', [delivered(500), notDelivered(300)]),
      ],
    );
    assert.deepEqual(
      report.differences.map((d) => [d.outTradeNo, d.class, d.detail]),
      [
        ['K3_a', 'amounts_differ', 'notified 550 fen, the bill says 500 fen were paid'],
        ['K3_b', 'amounts_differ', 'refund K3_b_R1: the kiosk says 300 fen, Alipay 200 fen'],
      ],
    );
  });

  test('a kiosk refund refused because the trade was already refunded in full owes nothing', () => {
    const report = run(
      [paid('K4_a', 500), refunded('K4_a', 500, 'OPS-9')],
      [notified('K4_a', 500)],
      [settled('K4_a', 'refunded', [notDelivered(500)])],
    );
    assert.deepEqual(classes(report), [['K4_a', 'refund_unknown_to_kiosk', 0]]);
  });

  test('the same bill rows handed in twice count once; unreadable telemetry is reported, not guessed', () => {
    const rows = [paid('K5_a', 500)];
    const report = run(
      [...rows, ...rows],
      [notified('K5_a', 500)],
      [
        settled('K5_a', 'completed', [delivered(500)]),
        {
          kioskId: 'K5',
          eventId: 'bad-1',
          type: 'sale.settled',
          at: DAY,
          data: { outTradeNo: 'K5_b', totalFen: 1.5 },
        },
        settled('K5_c', 'completed', [delivered(100)], { deliveredFen: 900 }),
        { kioskId: 'K5', eventId: 'other', type: 'board.link', at: DAY, data: { online: true } },
      ],
    );
    assert.deepEqual(classes(report), []);
    assert.deepEqual(
      report.rejectedTelemetry.map((r) => r.eventId),
      ['bad-1', 'sale:K5_c:completed'],
    );
  });

  test('telemetry order does not matter: a refund settles the order over its earlier expiry', () => {
    const events = [settled('K6_a', 'refunded', [pending(300)]), settled('K6_a', 'expired', [pending(300)])];
    const report = run(
      [paid('K6_a', 300), refunded('K6_a', 300, lateRefundNo('K6_a'))],
      [notified('K6_a', 300)],
      events,
    );
    assert.deepEqual(classes(report), []);
  });

  test('refunds listed by the kiosk itself are used instead of the numbering rule', () => {
    const report = run(
      [paid('K7_a', 500), refunded('K7_a', 500, 'K7_a_R2')],
      [notified('K7_a', 500)],
      [
        settled('K7_a', 'refunded', [notDelivered(500)], {
          refunds: [{ outRequestNo: 'K7_a_R2', amountFen: 500, state: 'succeeded' }],
        }),
      ],
    );
    assert.deepEqual(classes(report), []);
  });
});

describe('compensation plan', () => {
  test('only "paid, nothing delivered, nothing refunded" is refunded, with the kiosk own late-payment number', () => {
    const report = run(
      [paid('K1_lost', 600), paid('K1_orphan', 450), paid('K1_silent', 700)],
      [notified('K1_silent', 700)],
      [settled('K1_lost', 'expired', [pending(600)])],
    );
    const plan = planCompensation(report);
    assert.deepEqual(plan.refunds, [
      {
        outTradeNo: 'K1_lost',
        kioskId: 'K1',
        outRequestNo: 'K1_lost_RL',
        refundFen: 600,
        reason: `reconciliation ${DAY}: paid, nothing delivered, nothing refunded`,
      },
    ]);
    assert.deepEqual(
      plan.forPeople.map((p) => [p.difference.outTradeNo, p.why.split(':')[0]]),
      [
        [
          'K1_orphan',
          'no kiosk reported this sale, so its state (and the refund number it would use) is unknown',
        ],
        ['K1_silent', 'the kiosk has not reported this sale yet'],
      ],
    );
  });

  test('never more than Alipay still holds; a spent number is left to a person', () => {
    const report = run(
      [
        paid('K8_a', 1000),
        refunded('K8_a', 400, 'OPS-2'),
        paid('K8_b', 500),
        refunded('K8_b', 100, 'K8_b_RL'),
      ],
      [],
      [settled('K8_a', 'expired', [pending(1000)]), settled('K8_b', 'expired', [pending(500)])],
    );
    const plan = planCompensation(report);
    assert.deepEqual(
      plan.refunds.map((r) => [r.outTradeNo, r.refundFen]),
      [['K8_a', 600]],
    );
    assert.ok(
      plan.forPeople.some(
        (p) => p.difference.outTradeNo === 'K8_b' && /K8_b_RL already refunded/.test(p.why),
      ),
    );
  });
});
