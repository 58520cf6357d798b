// The sale lifecycle step by step against a scripted gateway and board (sale-rig.ts): what is asked of Alipay,
// what the board is told to turn, what the customer is owed, and what is on disk after each step. Quick enough
// for mutation testing; sale-service.<board>.test.ts runs the same lifecycle against the real simulators.
import assert from 'node:assert/strict';
import { describe, mock, test } from 'node:test';
import { CANCEL_RETRY_MS, CheckoutError } from '../../../app/sale/index.ts';
import { REFUND_RETRY_MS } from '../../../app/sale/refunds.ts';
import { BOARD_WAIT_MS } from '../../../app/sale/vending.ts';
import { waitFor } from '../../helpers/agent-harness.ts';
import { notExist, paidTrade, RIG_TIMEOUT_MS, startSaleRig, type SaleRig } from './sale-rig.ts';

const settled = (rig: SaleRig) => rig.sales.stop();

async function paidOrder(rig: SaleRig, cart: Array<{ lane: number; quantity: number }>): Promise<string> {
  const order = await rig.sales.checkout(cart);
  assert.equal(
    (await rig.sales.handleNotification(rig.notify(order.outTradeNo, yuan(order.totalFen)))).accepted,
    true,
  );
  await settled(rig);
  return order.outTradeNo;
}

const yuan = (fen: number) => `${Math.floor(fen / 100)}.${String(fen % 100).padStart(2, '0')}`;

describe('checkout', () => {
  test('commits the order and asks Alipay for a QR code with the total, the relay notify URL and a longer expiry', async () => {
    const rig = startSaleRig();
    const order = await rig.sales.checkout([
      { lane: 1, quantity: 2 },
      { lane: 2, quantity: 1 },
    ]);
    assert.equal(order.state, 'awaiting_payment');
    assert.equal(order.totalFen, 750);
    assert.equal(order.subject, 'Water x2, Cola');
    assert.equal(order.expiresAt, rig.clock.now + RIG_TIMEOUT_MS);
    assert.equal(order.qrCode, `https://qr.invalid/${order.outTradeNo}`);
    assert.match(order.outTradeNo, /^KT_20261129080000_[0-9a-f]{10}$/);
    assert.deepEqual(
      order.items.map((i) => [i.position, i.lane, i.priceFen, i.name, i.vendState]),
      [
        [1, 1, 200, 'Water', 'pending'],
        [2, 1, 200, 'Water', 'pending'],
        [3, 2, 350, 'Cola', 'pending'],
      ],
    );
    assert.deepEqual(rig.gateway.calls, [
      {
        method: 'precreate',
        input: {
          outTradeNo: order.outTradeNo,
          totalFen: 750,
          subject: 'Water x2, Cola',
          notifyUrl: 'https://relay.invalid/alipay/notify',
          timeoutExpress: '3m',
          terminalId: 'KT',
        },
      },
    ]);
    assert.equal(rig.sales.current()?.outTradeNo, order.outTradeNo);
  });

  test('a subject longer than Alipay allows is cut to 256 characters', async () => {
    const rig = startSaleRig({ lanes: [{ lane: 3, name: 'N'.repeat(300), priceFen: 100, stock: 1 }] });
    const order = await rig.sales.checkout([{ lane: 3, quantity: 1 }]);
    assert.equal(order.subject, 'N'.repeat(256));
  });

  test('refuses with the board offline, with an order in progress, an unknown or disabled lane, or too little stock', async () => {
    const rig = startSaleRig();
    const refused = async (
      cart: Array<{ lane: number; quantity: number }>,
      code: string,
      message: RegExp,
    ) => {
      const err = await rig.sales.checkout(cart).then(
        () => assert.fail('checkout succeeded'),
        (e: unknown) => e,
      );
      assert.ok(err instanceof CheckoutError);
      assert.equal(err.name, 'CheckoutError');
      assert.equal(err.code, code);
      assert.match(err.message, message);
    };
    rig.board.linkState = 'down';
    await refused([{ lane: 1, quantity: 1 }], 'unavailable', /offline/);
    rig.board.linkState = 'up';
    await refused([{ lane: 9, quantity: 1 }], 'unavailable', /lane 9 is not for sale/);
    rig.store.lanes.setEnabled(2, false);
    await refused([{ lane: 2, quantity: 1 }], 'unavailable', /lane 2 is not for sale/);
    // Five waters in stock: six across two lines of the cart are too many.
    await refused(
      [
        { lane: 1, quantity: 3 },
        { lane: 1, quantity: 3 },
      ],
      'unavailable',
      /lane 1 has only 5 left/,
    );
    assert.deepEqual(rig.gateway.calls, [], 'nothing refused reached Alipay');
    // Stock is counted per lane: five waters and a cola is fine.
    rig.store.lanes.setEnabled(2, true);
    const mixed = await rig.sales.checkout([
      { lane: 1, quantity: 5 },
      { lane: 2, quantity: 1 },
    ]);
    await rig.sales.cancel(mixed.outTradeNo);
    const first = await rig.sales.checkout([{ lane: 1, quantity: 5 }]);
    await refused(
      [{ lane: 1, quantity: 1 }],
      'conflict',
      new RegExp(`${first.outTradeNo} is still in progress`),
    );
  });

  test('an order whose refund is still pending does not block the next sale', async () => {
    const rig = startSaleRig();
    rig.board.outcome = () => ({ kind: 'not_delivered', reason: 'no answer' });
    rig.gateway.refund = () => ({ kind: 'unknown', detail: 'timeout' });
    const no = await paidOrder(rig, [{ lane: 1, quantity: 1 }]);
    assert.equal(rig.order(no).state, 'refund_pending');
    const next = await rig.sales.checkout([{ lane: 2, quantity: 1 }]);
    assert.equal(next.state, 'awaiting_payment');
  });

  test('when Alipay does not create the QR code the order fails with a message and nothing can be paid', async () => {
    for (const answer of [
      { kind: 'unknown', detail: 'timeout' } as const,
      { kind: 'business_failure', code: '40004', subCode: 'ACQ.X', subMsg: 'no' } as const,
    ]) {
      const rig = startSaleRig();
      rig.gateway.port.precreate = (input) => {
        rig.gateway.calls.push({ method: 'precreate', input });
        return Promise.resolve(answer);
      };
      const order = await rig.sales.checkout([{ lane: 1, quantity: 1 }]);
      assert.equal(order.state, 'failed');
      assert.equal(order.qrCode, null);
      assert.equal(order.message, 'the payment service is not reachable right now; please try again');
      assert.equal(rig.sales.current(), null);
      assert.ok(rig.logs.some((l) => l.includes(`precreate for ${order.outTradeNo} failed`)));
    }
  });
});

describe('vending', () => {
  test('every item delivered: the order completes, stock follows, nothing is refunded', async () => {
    const rig = startSaleRig();
    const changes: string[] = [];
    rig.sales.onChange((o) => changes.push(o.state));
    const no = await paidOrder(rig, [
      { lane: 1, quantity: 1 },
      { lane: 2, quantity: 2 },
    ]);
    assert.equal(rig.order(no).state, 'completed');
    assert.equal(rig.order(no).message, null);
    assert.deepEqual(rig.board.vends, [1, 2, 2]);
    assert.deepEqual(rig.board.txns, [`${no}#1`, `${no}#2`, `${no}#3`]);
    assert.deepEqual(
      rig.order(no).items.map((i) => [i.vendState, i.vendDetail]),
      [
        ['delivered', 'drop confirmed'],
        ['delivered', 'drop confirmed'],
        ['delivered', 'drop confirmed'],
      ],
    );
    assert.equal(rig.store.lanes.get(1)?.stock, 4);
    assert.equal(rig.store.lanes.get(2)?.stock, 3);
    assert.deepEqual(rig.gateway.refunds(), []);
    assert.equal(changes.at(-1), 'completed');
    // `paid` is committed in one transaction with paid → vending and the first vend intent, so the screen's
    // first news of the payment is the order vending; the audit trail still holds every step.
    assert.equal(changes[changes.lastIndexOf('awaiting_payment') + 1], 'vending');
    assert.ok(!changes.includes('paid'));
    assert.deepEqual(
      rig.store.db
        .prepare('SELECT event FROM order_events WHERE out_trade_no = ? ORDER BY id')
        .all(no)
        .map((e) => (e as { event: string }).event),
      [
        'created',
        'created->awaiting_payment',
        'awaiting_payment->paid',
        'paid->vending',
        'item 1 delivered',
        'item 2 delivered',
        'item 3 delivered',
        'vending->completed',
      ],
    );
  });

  test('an item the board could not even try is refunded, its lane keeps its stock and stays in service', async () => {
    const rig = startSaleRig();
    rig.board.outcome = (lane) =>
      lane === 1
        ? { kind: 'not_delivered', reason: 'board did not answer' }
        : { kind: 'delivered', dropConfirmed: true };
    const no = await paidOrder(rig, [
      { lane: 1, quantity: 1 },
      { lane: 2, quantity: 1 },
    ]);
    assert.equal(rig.order(no).state, 'refunded');
    assert.equal(rig.order(no).message, '1 item(s) could not be dispensed');
    assert.deepEqual(rig.gateway.refunds(), [{ fen: 200, outRequestNo: `${no}_R1` }]);
    assert.equal(
      rig.gateway.calls.find((c) => c.method === 'refund')?.input['reason'],
      'goods not delivered',
    );
    assert.equal(rig.store.lanes.get(1)?.stock, 5);
    assert.equal(rig.store.lanes.get(1)?.enabled, true);
    assert.equal(rig.store.lanes.get(2)?.stock, 4);
  });

  test('a lane the board reports faulty is taken out of service and logged; the rest of that lane is not tried', async () => {
    const rig = startSaleRig();
    rig.board.outcome = (lane) =>
      lane === 1
        ? { kind: 'not_delivered', reason: 'jammed (0x03)', code: 3 }
        : { kind: 'delivered', dropConfirmed: true };
    const no = await paidOrder(rig, [
      { lane: 1, quantity: 2 },
      { lane: 2, quantity: 1 },
    ]);
    assert.deepEqual(rig.board.vends, [1, 2]);
    assert.deepEqual(
      rig.order(no).items.map((i) => [i.vendState, i.vendDetail]),
      [
        ['not_delivered', 'jammed (0x03)'],
        ['not_delivered', 'lane taken out of service; not tried'],
        ['delivered', 'drop confirmed'],
      ],
    );
    assert.deepEqual(rig.gateway.refunds(), [{ fen: 400, outRequestNo: `${no}_R1` }]);
    assert.equal(rig.order(no).message, '2 item(s) could not be dispensed');
    assert.equal(rig.store.lanes.get(1)?.enabled, false);
    assert.equal(rig.store.lanes.get(1)?.stock, 5);
    const log = rig.store.maintenanceLog.recent();
    assert.equal(log.length, 1);
    assert.deepEqual(
      [log[0]?.action, log[0]?.lane, log[0]?.detail],
      ['lane_disabled', 1, 'after: jammed (0x03)'],
    );
  });

  test('a motor that ran without a confirmed drop, or a driver that threw, is unknown: refunded, stock taken, never retried', async () => {
    const rig = startSaleRig();
    rig.board.outcome = (lane) => {
      if (lane === 1) return { kind: 'unverified', reason: 'no drop seen' };
      throw new Error('port closed');
    };
    const no = await paidOrder(rig, [
      { lane: 1, quantity: 1 },
      { lane: 2, quantity: 1 },
    ]);
    assert.deepEqual(
      rig.order(no).items.map((i) => [i.vendState, i.vendDetail]),
      [
        ['unknown', 'no drop seen'],
        ['unknown', 'driver error: port closed'],
      ],
    );
    assert.deepEqual(rig.board.vends, [1, 2]);
    assert.deepEqual(rig.gateway.refunds(), [{ fen: 550, outRequestNo: `${no}_R1` }]);
    assert.equal(rig.store.lanes.get(1)?.stock, 4);
    assert.equal(rig.store.lanes.get(2)?.stock, 4);
    assert.equal(rig.store.lanes.get(1)?.enabled, true, 'no board fault code: the lane stays in service');
    assert.deepEqual(
      rig.store.maintenanceLog.recent(),
      [],
      'nothing for the technician without a board code',
    );
  });

  test('a motor run the board reports without a drop is refunded, and the lane is taken out of service and logged', async () => {
    const rig = startSaleRig();
    rig.board.outcome = (lane) =>
      lane === 1
        ? { kind: 'unverified', reason: 'no drop detected (0xff): the motor may have run', code: 0xff }
        : { kind: 'delivered', dropConfirmed: true };
    const no = await paidOrder(rig, [
      { lane: 1, quantity: 2 },
      { lane: 2, quantity: 1 },
    ]);
    assert.deepEqual(rig.board.vends, [1, 2], 'the second item of the faulty lane is not tried');
    assert.deepEqual(
      rig.order(no).items.map((i) => i.vendState),
      ['unknown', 'not_delivered', 'delivered'],
    );
    assert.deepEqual(rig.gateway.refunds(), [{ fen: 400, outRequestNo: `${no}_R1` }]);
    assert.equal(rig.store.lanes.get(1)?.enabled, false);
    assert.equal(rig.store.lanes.get(1)?.stock, 4, 'a slot probably left the lane');
    const log = rig.store.maintenanceLog.recent();
    assert.deepEqual(
      log.map((e) => [e.action, e.lane, e.detail]),
      [['lane_disabled', 1, `after: ${rig.order(no).items[0]?.vendDetail}`]],
    );
  });

  test('a delivery without a drop sensor counts as delivered', async () => {
    const rig = startSaleRig();
    rig.board.outcome = () => ({ kind: 'delivered', dropConfirmed: false });
    const no = await paidOrder(rig, [{ lane: 1, quantity: 1 }]);
    assert.equal(rig.order(no).state, 'completed');
    assert.equal(rig.order(no).items[0]?.vendDetail, 'motor ran (no drop sensor)');
  });

  test('with the board offline a paid vend waits for it to come back, then vends at once', async () => {
    const rig = startSaleRig();
    const order = await rig.sales.checkout([{ lane: 1, quantity: 1 }]);
    rig.board.linkState = 'down';
    // Timers stand still: only the board's link event can end the wait.
    mock.timers.enable({ apis: ['setTimeout'] });
    try {
      await rig.sales.handleNotification(rig.notify(order.outTradeNo, '2.00'));
      assert.deepEqual(rig.board.vends, [], 'nothing is sent to an offline board');
      assert.equal(rig.board.listenerCount(), 1);
      rig.board.setLink('down'); // other events do not end the wait
      await turns(5);
      assert.deepEqual(rig.board.vends, []);
      rig.board.setLink('up');
      await turns(5);
      assert.deepEqual(rig.board.vends, [1]);
    } finally {
      mock.timers.reset();
    }
    await settled(rig);
    assert.equal(rig.board.listenerCount(), 0, 'the wait stopped listening');
    assert.equal(rig.order(order.outTradeNo).state, 'completed');
  });
});

/** Lets `n` rounds of pending I/O callbacks and promise jobs run. */
async function turns(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
}

describe('refunds', () => {
  test('a refund without an answer stays owed and is asked again, with the same number, only after the retry spacing', async () => {
    const rig = startSaleRig();
    rig.board.outcome = () => ({ kind: 'not_delivered', reason: 'no answer' });
    rig.gateway.refund = () => ({ kind: 'unknown', detail: 'timeout' });
    const no = await paidOrder(rig, [{ lane: 2, quantity: 1 }]);
    const owed = rig.store.refunds.forOrder(no);
    assert.deepEqual(
      owed.map((r) => [r.state, r.attempts, r.lastError, r.amountFen]),
      [['pending', 1, 'timeout', 350]],
    );
    rig.clock.now += REFUND_RETRY_MS - 1;
    await rig.sales.tick();
    assert.equal(rig.gateway.refunds().length, 1, 'not before the spacing');
    rig.gateway.refund = (fen) => ({ kind: 'success', value: { fundChange: true, refundFeeFen: fen } });
    rig.clock.now += 1;
    await rig.sales.tick();
    assert.deepEqual(rig.gateway.refunds(), [
      { fen: 350, outRequestNo: `${no}_R1` },
      { fen: 350, outRequestNo: `${no}_R1` },
    ]);
    assert.equal(rig.order(no).state, 'refunded');
    assert.equal(rig.order(no).message, '1 item(s) could not be dispensed');
    assert.equal(rig.store.refunds.forOrder(no)[0]?.state, 'succeeded');
    rig.clock.now += REFUND_RETRY_MS;
    await rig.sales.tick();
    assert.equal(rig.gateway.refunds().length, 2, 'a confirmed refund is never sent again');
  });

  test('a refund Alipay refuses is flagged for staff; one refused because the trade was refunded in full counts as done', async () => {
    for (const closed of [false, true]) {
      const rig = startSaleRig();
      rig.board.outcome = () => ({ kind: 'not_delivered', reason: 'no answer' });
      rig.gateway.refund = () => ({
        kind: 'business_failure',
        code: '40004',
        subCode: 'ACQ.TRADE_STATUS_ERROR',
        subMsg: 'closed',
      });
      rig.gateway.query = () =>
        closed
          ? { kind: 'success', value: { tradeStatus: 'TRADE_CLOSED', tradeNo: 't', totalFen: 200 } }
          : paidTrade(200);
      const seen: string[] = [];
      rig.sales.onChange((o) => seen.push(o.state));
      const no = await paidOrder(rig, [{ lane: 1, quantity: 1 }]);
      const refund = rig.store.refunds.forOrder(no)[0];
      assert.equal(seen.at(-1), 'refunded', 'the screen is told the order ended');
      assert.deepEqual(rig.gateway.calls.find((c) => c.method === 'query')?.input, { outTradeNo: no });
      assert.equal(rig.order(no).state, 'refunded');
      if (closed) {
        assert.equal(refund?.state, 'succeeded');
        assert.equal(refund?.lastError, 'ACQ.TRADE_STATUS_ERROR: closed (trade already fully refunded)');
        assert.equal(rig.order(no).message, '1 item(s) could not be dispensed');
      } else {
        assert.equal(refund?.state, 'failed');
        assert.equal(refund?.lastError, 'ACQ.TRADE_STATUS_ERROR: closed');
        assert.equal(
          rig.order(no).message,
          'refund could not be completed automatically; staff have been notified',
        );
      }
    }
  });

  test('the background loop only retries the refunds that are due', async () => {
    const rig = startSaleRig();
    rig.board.outcome = () => ({ kind: 'not_delivered', reason: 'no answer' });
    rig.gateway.refund = () => ({ kind: 'retryable', detail: 'rate limited' });
    const first = await paidOrder(rig, [{ lane: 1, quantity: 1 }]);
    rig.clock.now += 3_000;
    const second = await paidOrder(rig, [{ lane: 2, quantity: 1 }]);
    rig.clock.now += REFUND_RETRY_MS - 1_000; // the first is due, the second is not
    const before = rig.gateway.refunds().length;
    await rig.sales.tick();
    assert.deepEqual(
      rig.gateway
        .refunds()
        .slice(before)
        .map((r) => r.outRequestNo),
      [`${first}_R1`],
    );
    assert.equal(rig.order(second).state, 'refund_pending');
  });
});

describe('unpaid orders', () => {
  test('while the relay link is up Alipay is queried every 10 s, while it is down every 3 s', async () => {
    for (const [up, interval] of [
      [true, 10_000],
      [false, 3_000],
    ] as const) {
      const rig = startSaleRig({ relayLinkUp: () => up });
      await rig.sales.checkout([{ lane: 1, quantity: 1 }]);
      const queries = () => rig.gateway.calls.filter((c) => c.method === 'query').length;
      rig.clock.now += interval - 1;
      await rig.sales.tick();
      assert.equal(queries(), 0, `not before ${interval} ms`);
      rig.clock.now += 1;
      await rig.sales.tick();
      assert.equal(queries(), 1);
      rig.clock.now += interval - 1;
      await rig.sales.tick();
      assert.equal(queries(), 1, 'spaced from the last query');
      rig.clock.now += 1;
      await rig.sales.tick();
      assert.equal(queries(), 2);
    }
  });

  test('a query that finds the trade unpaid or closed does not mark it paid', async () => {
    const rig = startSaleRig();
    const order = await rig.sales.checkout([{ lane: 1, quantity: 1 }]);
    for (const tradeStatus of ['WAIT_BUYER_PAY', 'TRADE_CLOSED'] as const) {
      rig.gateway.query = () => ({ kind: 'success', value: { tradeStatus, tradeNo: 't', totalFen: 200 } });
      rig.clock.now += 3_000;
      await rig.sales.tick();
    }
    assert.equal(rig.order(order.outTradeNo).state, 'awaiting_payment');
    rig.gateway.query = () => ({
      kind: 'success',
      value: { tradeStatus: 'TRADE_FINISHED', tradeNo: 't', totalFen: 200 },
    });
    rig.clock.now += 3_000;
    await rig.sales.tick();
    await settled(rig);
    assert.equal(rig.order(order.outTradeNo).state, 'completed');
  });

  test('at the expiry Alipay is asked one last time: a payment found then is vended, not cancelled', async () => {
    const rig = startSaleRig();
    const order = await rig.sales.checkout([{ lane: 1, quantity: 1 }]);
    rig.gateway.query = () => paidTrade(200);
    rig.clock.now = (order.expiresAt ?? 0) + 1;
    await rig.sales.tick();
    await settled(rig);
    assert.equal(rig.order(order.outTradeNo).state, 'completed');
    assert.deepEqual(
      rig.gateway.calls.map((c) => c.method),
      ['precreate', 'query'],
    );
  });

  test('an unpaid QR code expires exactly at its expiry time and its trade is cancelled', async () => {
    const rig = startSaleRig({ relayLinkUp: () => true });
    const order = await rig.sales.checkout([{ lane: 1, quantity: 1 }]);
    rig.clock.now = (order.expiresAt ?? 0) - 1;
    await rig.sales.tick();
    assert.equal(rig.order(order.outTradeNo).state, 'awaiting_payment');
    rig.clock.now += 1;
    await rig.sales.tick();
    const expired = rig.order(order.outTradeNo);
    assert.equal(expired.state, 'expired');
    assert.equal(expired.message, 'the QR code expired');
    assert.deepEqual(rig.gateway.calls.at(-1), { method: 'cancel', input: { outTradeNo: order.outTradeNo } });
    assert.deepEqual(rig.store.orders.listCancelPending(), []);
    assert.equal(rig.sales.current(), null);
  });

  test('a cancel that refunded a last-instant payment ends the order refunded; one for a trade never scanned just ends', async () => {
    const rig = startSaleRig();
    const a = await rig.sales.checkout([{ lane: 1, quantity: 1 }]);
    rig.gateway.cancel = () => ({ kind: 'success', value: { action: 'refund', retryFlag: 'N' } });
    await rig.sales.cancel(a.outTradeNo);
    assert.equal(rig.order(a.outTradeNo).state, 'refunded');
    assert.equal(rig.order(a.outTradeNo).message, 'paid after the QR code expired; refunded');

    const b = await rig.sales.checkout([{ lane: 1, quantity: 1 }]);
    rig.gateway.cancel = () => notExist();
    const cancelled = await rig.sales.cancel(b.outTradeNo);
    assert.equal(cancelled.state, 'expired');
    assert.equal(cancelled.message, 'cancelled by the customer');
    assert.deepEqual(rig.store.orders.listCancelPending(), []);
  });

  test('a cancel Alipay has not confirmed is asked again every 30 s until it is', async () => {
    const rig = startSaleRig();
    const order = await rig.sales.checkout([{ lane: 1, quantity: 1 }]);
    rig.gateway.cancel = () => ({ kind: 'success', value: { action: null, retryFlag: 'Y' } });
    await rig.sales.cancel(order.outTradeNo);
    assert.deepEqual(rig.store.orders.listCancelPending(), [order.outTradeNo]);
    const cancels = () => rig.gateway.calls.filter((c) => c.method === 'cancel').length;
    await rig.sales.tick(); // first sight: waits a whole interval
    rig.clock.now += CANCEL_RETRY_MS - 1;
    await rig.sales.tick();
    assert.equal(cancels(), 1);
    rig.clock.now += 1;
    rig.gateway.cancel = () => ({ kind: 'success', value: { action: 'close', retryFlag: 'N' } });
    await rig.sales.tick();
    assert.equal(cancels(), 2);
    assert.deepEqual(rig.store.orders.listCancelPending(), []);
    assert.equal(rig.order(order.outTradeNo).state, 'expired');
    rig.clock.now += CANCEL_RETRY_MS;
    await rig.sales.tick();
    assert.equal(cancels(), 2, 'a confirmed cancel is not sent again');
  });
});

describe('recovery after a restart', () => {
  test('created is expired and cancelled, paid is vended, an interrupted vend becomes unknown and is never re-sent', async () => {
    const rig = startSaleRig();
    // Three orders left by a crash, each in a different state (written as the crashed agent would have).
    const created = rig.store.orders.create({
      outTradeNo: 'KT_1_created',
      totalFen: 200,
      subject: 'Water',
      items: [{ lane: 1, productId: 'W', name: 'Water', priceFen: 200 }],
    });
    const paid = rig.store.orders.create({
      outTradeNo: 'KT_2_paid',
      totalFen: 350,
      subject: 'Cola',
      items: [{ lane: 2, productId: 'C', name: 'Cola', priceFen: 350 }],
    });
    rig.store.orders.transition(paid.outTradeNo, ['created'], 'awaiting_payment');
    rig.store.orders.transition(paid.outTradeNo, ['awaiting_payment'], 'paid');
    const vending = rig.store.orders.create({
      outTradeNo: 'KT_3_vending',
      totalFen: 550,
      subject: 'Water, Cola',
      items: [
        { lane: 1, productId: 'W', name: 'Water', priceFen: 200 },
        { lane: 2, productId: 'C', name: 'Cola', priceFen: 350 },
      ],
    });
    rig.store.orders.transition(vending.outTradeNo, ['created'], 'awaiting_payment');
    rig.store.orders.transition(vending.outTradeNo, ['awaiting_payment'], 'paid');
    rig.store.orders.transition(vending.outTradeNo, ['paid'], 'vending');
    rig.store.orders.markVending(vending.outTradeNo, 1);

    await rig.sales.recover();
    await settled(rig);

    assert.equal(rig.order(created.outTradeNo).state, 'expired');
    assert.equal(rig.order(created.outTradeNo).message, 'interrupted before the QR code was shown');
    assert.equal(rig.order(paid.outTradeNo).state, 'completed');
    assert.deepEqual(
      rig.order(vending.outTradeNo).items.map((i) => [i.vendState, i.vendDetail]),
      [
        [
          'unknown',
          'agent restarted while this item was vending; the board gives no result to tie to it; not retried',
        ],
        ['delivered', 'drop confirmed'],
      ],
    );
    assert.deepEqual(
      rig.store.maintenanceLog
        .recent()
        .filter((e) => e.action === 'check_interrupted_vend')
        .map((e) => e.lane),
      [1],
      'the interrupted lane is flagged for a technician',
    );
    assert.equal(rig.order(vending.outTradeNo).state, 'refunded');
    assert.deepEqual(rig.board.vends.sort(), [2, 2], 'lane 1 was not driven again');
    assert.deepEqual(rig.gateway.refunds(), [{ fen: 200, outRequestNo: `${vending.outTradeNo}_R1` }]);
    assert.deepEqual(
      rig.gateway.calls.filter((c) => c.method === 'cancel').map((c) => c.input['outTradeNo']),
      [created.outTradeNo],
    );
  });

  test('an interrupted vend the board reports delivered after the restart, numbered after its intent, is delivered, not refunded', async () => {
    const rig = startSaleRig();
    const no = 'KT_4_vending';
    rig.store.orders.create({
      outTradeNo: no,
      totalFen: 200,
      subject: 'Water',
      items: [{ lane: 1, productId: 'W', name: 'Water', priceFen: 200 }],
    });
    rig.store.orders.transition(no, ['created'], 'awaiting_payment');
    rig.store.orders.transition(no, ['awaiting_payment'], 'paid');
    rig.store.orders.transition(no, ['paid'], 'vending');
    // The crashed agent committed the intent when the board's numbering stood at 17.
    rig.store.orders.markVending(no, 1, 17);

    const recovering = rig.sales.recover();
    rig.board.emit({
      type: 'unclaimed_report',
      lane: 1,
      code: 0x02,
      boardSeq: 18,
      outcome: { kind: 'delivered', dropConfirmed: true },
    });
    await recovering;
    await settled(rig);

    assert.equal(rig.order(no).state, 'completed');
    assert.deepEqual(
      rig.order(no).items.map((i) => i.vendState),
      ['delivered'],
    );
    assert.deepEqual(rig.gateway.refunds(), []);
    assert.deepEqual(rig.board.vends, [], 'the lane was not driven again');
    assert.deepEqual(
      rig.store.maintenanceLog.recent().filter((e) => e.action === 'check_interrupted_vend'),
      [],
      'nothing for a technician to check',
    );
  });

  test('unpaid and refund-pending orders are left to the background loop', async () => {
    const rig = startSaleRig();
    const order = await rig.sales.checkout([{ lane: 1, quantity: 1 }]);
    const before = rig.gateway.calls.length;
    await rig.sales.recover();
    assert.equal(rig.order(order.outTradeNo).state, 'awaiting_payment');
    assert.equal(rig.gateway.calls.length, before);
  });
});

describe('the background loop', () => {
  test('start() runs the loop on its interval', async () => {
    const rig = startSaleRig();
    const order = await rig.sales.checkout([{ lane: 1, quantity: 1 }]);
    rig.clock.now = (order.expiresAt ?? 0) + 1;
    rig.sales.start(5);
    await waitFor(() => rig.order(order.outTradeNo).state === 'expired', 'the loop to expire the order');
    await rig.sales.stop();
  });

  test('an error in one tick is logged and the next tick runs', async () => {
    const rig = startSaleRig();
    const order = await rig.sales.checkout([{ lane: 1, quantity: 1 }]);
    rig.gateway.query = () => {
      throw new Error('gateway exploded');
    };
    rig.clock.now += 3_000;
    await rig.sales.tick();
    assert.ok(rig.logs.includes('sale loop error: gateway exploded'));
    rig.gateway.query = () => paidTrade(200);
    rig.clock.now += 3_000;
    await rig.sales.tick();
    await settled(rig);
    assert.equal(rig.order(order.outTradeNo).state, 'completed');
  });

  test('two ticks at once do not both act', async () => {
    const rig = startSaleRig();
    const order = await rig.sales.checkout([{ lane: 1, quantity: 1 }]);
    rig.clock.now += 3_000;
    await Promise.all([rig.sales.tick(), rig.sales.tick()]);
    assert.equal(rig.gateway.calls.filter((c) => c.method === 'query').length, 1);
    assert.equal(rig.order(order.outTradeNo).state, 'awaiting_payment');
  });
});

describe('an offline board', () => {
  test('a paid vend waits at most BOARD_WAIT_MS for the board, then is tried (and the driver says not sent)', async () => {
    const rig = startSaleRig();
    const order = await rig.sales.checkout([{ lane: 1, quantity: 1 }]);
    rig.board.linkState = 'down';
    rig.board.outcome = () => ({ kind: 'not_delivered', reason: 'board offline; vend not sent' });
    mock.timers.enable({ apis: ['setTimeout'] });
    try {
      await rig.sales.handleNotification(rig.notify(order.outTradeNo, '2.00'));
      mock.timers.tick(BOARD_WAIT_MS - 1);
      await new Promise((resolve) => setImmediate(resolve));
      assert.deepEqual(rig.board.vends, [], 'still waiting for the board');
      mock.timers.tick(1);
    } finally {
      mock.timers.reset();
    }
    await settled(rig);
    assert.deepEqual(rig.board.vends, [1]);
    assert.equal(rig.board.listenerCount(), 0);
    assert.equal(rig.order(order.outTradeNo).state, 'refunded');
  });
});

describe('what the technician log says', () => {
  test('payments, vends, refunds, refusals, cancels and rejected notifications each leave one plain line', async () => {
    const rig = startSaleRig();
    rig.board.outcome = (lane) =>
      lane === 1
        ? { kind: 'delivered', dropConfirmed: true }
        : { kind: 'not_delivered', reason: 'no answer' };
    const no = await paidOrder(rig, [
      { lane: 1, quantity: 1 },
      { lane: 2, quantity: 1 },
    ]);
    const bad = await rig.sales.checkout([{ lane: 1, quantity: 1 }]);
    await rig.sales.handleNotification(rig.notify(bad.outTradeNo, '9.99'));
    rig.gateway.cancel = () => ({ kind: 'unknown', detail: 'timeout' });
    await rig.sales.cancel(bad.outTradeNo);
    rig.gateway.refund = () => ({ kind: 'business_failure', code: '40004', subCode: 'ACQ.X', subMsg: 'no' });
    rig.board.outcome = () => ({ kind: 'not_delivered', reason: 'no answer' });
    const refused = await paidOrder(rig, [{ lane: 2, quantity: 1 }]);
    for (const line of [
      `order ${no} paid (550 fen, via notify)`,
      `vend ${no}#1 lane 1: delivered (drop confirmed)`,
      `vend ${no}#2 lane 2: not_delivered (no answer)`,
      `refund ${no}_R1: 350 fen confirmed by Alipay`,
      'notification rejected: business check failed: amount_mismatch',
      `cancel of ${bad.outTradeNo} not confirmed yet (unknown); will try again`,
      `refund ${refused}_R1 refused: ACQ.X: no — needs a technician`,
    ])
      assert.ok(rig.logs.includes(line), `${line}\nlogged:\n${rig.logs.join('\n')}`);
  });

  test('a refund found already made at Alipay, and a precreate that failed, say so', async () => {
    const rig = startSaleRig();
    rig.board.outcome = () => ({ kind: 'not_delivered', reason: 'no answer' });
    rig.gateway.refund = () => ({ kind: 'business_failure', code: '40004', subCode: 'ACQ.X', subMsg: 'no' });
    rig.gateway.query = () => ({
      kind: 'success',
      value: { tradeStatus: 'TRADE_CLOSED', tradeNo: 't', totalFen: 200 },
    });
    const no = await paidOrder(rig, [{ lane: 1, quantity: 1 }]);
    rig.gateway.port.precreate = () => Promise.resolve({ kind: 'unknown', detail: 'socket hang up' });
    const failed = await rig.sales.checkout([{ lane: 1, quantity: 1 }]);
    rig.gateway.port.precreate = () =>
      Promise.resolve({ kind: 'business_failure', code: '40004', subCode: 'ACQ.Y', subMsg: 'refused' });
    const refused = await rig.sales.checkout([{ lane: 1, quantity: 1 }]);
    for (const line of [
      `refund ${no}_R1: trade already fully refunded at Alipay`,
      `precreate for ${failed.outTradeNo} failed (unknown: socket hang up)`,
      `precreate for ${refused.outTradeNo} failed (ACQ.Y: refused)`,
    ])
      assert.ok(rig.logs.includes(line), `${line}\nlogged:\n${rig.logs.join('\n')}`);
  });
});

describe('the service itself', () => {
  test('a listener that unsubscribed hears nothing more', async () => {
    const rig = startSaleRig();
    const heard: string[] = [];
    const off = rig.sales.onChange((o) => heard.push(o.state));
    const order = await rig.sales.checkout([{ lane: 1, quantity: 1 }]);
    off();
    await rig.sales.cancel(order.outTradeNo);
    assert.deepEqual(heard, ['created', 'awaiting_payment']);
  });

  test('a payment is confirmed once: a second confirmation (query after notify) neither logs nor vends again', async () => {
    const rig = startSaleRig();
    const order = await rig.sales.checkout([{ lane: 1, quantity: 1 }]);
    await rig.sales.handleNotification(rig.notify(order.outTradeNo, '2.00'));
    await rig.sales.handleNotification(rig.notify(order.outTradeNo, '2.00', { notify_id: 'again' }));
    await settled(rig);
    assert.equal(rig.logs.filter((l) => l.startsWith(`order ${order.outTradeNo} paid`)).length, 1);
    const events = rig.store.db
      .prepare('SELECT event, detail FROM order_events WHERE out_trade_no = ? AND event = ?')
      .all(order.outTradeNo, 'awaiting_payment->paid');
    assert.deepEqual(events, [{ event: 'awaiting_payment->paid', detail: 'via notify' }]);
  });

  test('a payment that arrives while the QR code is still being created is taken and vended', async () => {
    const rig = startSaleRig();
    let answer: (v: { kind: 'success'; value: { qrCode: string; outTradeNo: string } }) => void = () =>
      undefined;
    rig.gateway.port.precreate = (input) =>
      new Promise(
        (resolve) =>
          (answer = () => resolve({ kind: 'success', value: { qrCode: 'q', outTradeNo: input.outTradeNo } })),
      );
    const checkout = rig.sales.checkout([{ lane: 1, quantity: 1 }]);
    await turns(2);
    const [open] = rig.store.orders.listOpen();
    assert.equal(open?.state, 'created');
    assert.equal((await rig.sales.handleNotification(rig.notify(open!.outTradeNo, '2.00'))).accepted, true);
    answer({ kind: 'success', value: { qrCode: 'q', outTradeNo: open!.outTradeNo } });
    await checkout;
    await settled(rig);
    assert.equal(rig.order(open!.outTradeNo).state, 'completed');
    assert.deepEqual(rig.board.vends, [1]);
  });

  test('a failure in background work is logged, not lost', async () => {
    const rig = startSaleRig();
    rig.board.outcome = () => ({ kind: 'not_delivered', reason: 'no answer' });
    rig.gateway.refund = () => {
      throw new Error('gateway exploded');
    };
    await paidOrder(rig, [{ lane: 1, quantity: 1 }]);
    assert.ok(rig.logs.includes('sale error: gateway exploded'));
  });

  test('a non-payment notification starts no work', async () => {
    const rig = startSaleRig();
    const order = await rig.sales.checkout([{ lane: 1, quantity: 1 }]);
    await rig.sales.handleNotification(
      rig.notify(order.outTradeNo, '2.00', { trade_status: 'TRADE_CLOSED' }),
    );
    await settled(rig);
    assert.deepEqual(
      rig.logs.filter((l) => l.startsWith('sale error')),
      [],
    );
  });

  test('the loop only queries orders that await payment, and a second late notification asks no second refund', async () => {
    const rig = startSaleRig();
    rig.board.outcome = () => ({ kind: 'not_delivered', reason: 'no answer' });
    rig.gateway.refund = () => ({ kind: 'unknown', detail: 'timeout' });
    await paidOrder(rig, [{ lane: 1, quantity: 1 }]);
    rig.clock.now += RIG_TIMEOUT_MS + 1;
    await rig.sales.tick();
    assert.equal(
      rig.gateway.calls.filter((c) => c.method === 'query').length,
      0,
      'a refund-pending order is not queried',
    );

    const late = await rig.sales.checkout([{ lane: 2, quantity: 1 }]);
    rig.gateway.cancel = () => ({ kind: 'unknown', detail: 'timeout' });
    await rig.sales.cancel(late.outTradeNo);
    await rig.sales.handleNotification(rig.notify(late.outTradeNo, '3.50'));
    await rig.sales.handleNotification(rig.notify(late.outTradeNo, '3.50', { notify_id: 'resent' }));
    await settled(rig);
    assert.equal(rig.gateway.refunds().filter((r) => r.outRequestNo === `${late.outTradeNo}_RL`).length, 1);
  });

  test('start() twice runs one loop, and stop() stops it', async () => {
    const rig = startSaleRig();
    const order = await rig.sales.checkout([{ lane: 1, quantity: 1 }]);
    mock.timers.enable({ apis: ['setInterval'] });
    try {
      rig.sales.start(1000);
      rig.sales.start(1000);
      await rig.sales.stop();
      rig.clock.now = (order.expiresAt ?? 0) + 1;
      mock.timers.tick(5000);
      await turns(5);
      assert.equal(rig.order(order.outTradeNo).state, 'awaiting_payment', 'no loop runs after stop()');
    } finally {
      mock.timers.reset();
    }
  });
});
