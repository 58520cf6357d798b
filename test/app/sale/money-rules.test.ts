// The money rules of the sale, each with a test that fails when the rule is removed (docs/testing.md, Mutation
// testing): the amount check on both confirmation paths and in both directions, the refund of a payment that
// lands on an expired order, and the commit of `paid` before the relay's event may be acked.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { waitFor } from '../../helpers/agent-harness.ts';
import { paidTrade, RIG_TIMEOUT_MS, startSaleRig, type SaleRig } from './sale-rig.ts';

/** Checks out one water (200 fen) and returns its out_trade_no. */
async function buyWater(rig: SaleRig): Promise<string> {
  const order = await rig.sales.checkout([{ lane: 1, quantity: 1 }]);
  assert.equal(order.state, 'awaiting_payment');
  assert.equal(order.totalFen, 200);
  return order.outTradeNo;
}

/** Lets the background loop query Alipay for unpaid orders (the relay link is down: every 3 s). */
async function queryNow(rig: SaleRig): Promise<void> {
  rig.clock.now += 3_500;
  await rig.sales.tick();
}

describe('payment confirmed by query (alipay.trade.query)', () => {
  for (const [what, fen] of [
    ['less', 199],
    ['more', 201],
  ] as const) {
    test(`a trade that reports ${what} than the order total is not taken as payment: nothing vends`, async () => {
      const rig = startSaleRig();
      const no = await buyWater(rig);
      rig.gateway.query = () => paidTrade(fen);
      await queryNow(rig);
      await rig.sales.stop();
      assert.equal(rig.order(no).state, 'awaiting_payment');
      assert.equal(rig.order(no).paidAt, null);
      assert.deepEqual(rig.board.vends, []);
      assert.ok(rig.logs.some((l) => l.includes(`${fen} fen paid, order is 200 fen`)));
    });
  }

  test('the exact total is taken as payment and the item vends once', async () => {
    const rig = startSaleRig();
    const no = await buyWater(rig);
    rig.gateway.query = () => paidTrade(200);
    await queryNow(rig);
    await queryNow(rig); // a second query answering the same must not vend again
    await rig.sales.stop();
    assert.equal(rig.order(no).state, 'completed');
    assert.deepEqual(rig.board.vends, [1]);
  });
});

describe('payment confirmed by a notification pushed by the relay', () => {
  for (const amount of ['1.99', '0.01', '2.01']) {
    test(`a genuine notification for ${amount} yuan on a 2.00 yuan order is rejected: nothing vends`, async () => {
      const rig = startSaleRig();
      const no = await buyWater(rig);
      const verdict = await rig.sales.handleNotification(rig.notify(no, amount));
      await rig.sales.stop();
      assert.equal(verdict.accepted, false);
      assert.match(verdict.accepted ? '' : verdict.reason, /amount/);
      assert.equal(rig.order(no).state, 'awaiting_payment');
      assert.deepEqual(rig.board.vends, []);
    });
  }

  test('the order is committed paid before the notification is answered, so the relay never acks an unsaved payment', async () => {
    const rig = startSaleRig();
    const no = await buyWater(rig);
    const answered = rig.sales.handleNotification(rig.notify(no, '2.00'));
    // The relay client acks the event as soon as `answered` resolves. The design commits `paid` before the
    // first await of the confirmation, so it is on disk by the time the call returns, before any other work
    // (and any ack) can run.
    const atReturn = rig.order(no);
    assert.ok(
      atReturn.state === 'paid' || atReturn.state === 'vending',
      `state at return: ${atReturn.state}`,
    );
    assert.equal(atReturn.paidAt, rig.clock.now);
    assert.equal(atReturn.tradeNo, '2026112922001');
    assert.equal((await answered).accepted, true);
    await rig.sales.stop();
    assert.equal(rig.order(no).state, 'completed');
    assert.deepEqual(rig.board.vends, [1]);
  });

  test('the same notification delivered twice vends once', async () => {
    const rig = startSaleRig();
    const no = await buyWater(rig);
    const body = rig.notify(no, '2.00');
    assert.equal((await rig.sales.handleNotification(body)).accepted, true);
    assert.equal((await rig.sales.handleNotification(body)).accepted, true);
    await rig.sales.stop();
    assert.equal(rig.order(no).state, 'completed');
    assert.deepEqual(rig.board.vends, [1]);
    assert.deepEqual(rig.gateway.refunds(), []);
    assert.deepEqual(
      rig.store.db.prepare('SELECT notify_id FROM payment_notifications').all(),
      [{ notify_id: `n-${no}-2.00` }],
      'kept once, under the notify_id Alipay gave it',
    );
  });
});

describe('a payment that lands on an expired order', () => {
  /** An order whose QR code expired while Alipay did not confirm the cancel (so a payment can still land). */
  async function expiredWithCancelUnconfirmed(rig: SaleRig): Promise<string> {
    const no = await buyWater(rig);
    rig.gateway.cancel = () => ({ kind: 'unknown', detail: 'timeout' });
    rig.clock.now += RIG_TIMEOUT_MS + 1;
    await rig.sales.tick();
    assert.equal(rig.order(no).state, 'expired');
    return no;
  }

  test('paid by notification after the expiry: the whole amount is refunded, once, and nothing vends', async () => {
    const rig = startSaleRig();
    const no = await expiredWithCancelUnconfirmed(rig);
    const answered = rig.sales.handleNotification(rig.notify(no, '2.00'));
    // The debt is on disk before the notification is answered, like a payment.
    assert.equal(rig.order(no).state, 'refund_pending');
    assert.deepEqual(
      rig.store.refunds.forOrder(no).map((r) => [r.amountFen, r.outRequestNo]),
      [[200, `${no}_RL`]],
    );
    assert.equal((await answered).accepted, true);
    await waitFor(() => rig.order(no).state === 'refunded', 'the late payment to be refunded');
    // Alipay resends the notification: nothing more is refunded.
    await rig.sales.handleNotification(rig.notify(no, '2.00'));
    await rig.sales.stop();
    assert.deepEqual(rig.gateway.refunds(), [{ fen: 200, outRequestNo: `${no}_RL` }]);
    assert.equal(rig.order(no).message, 'paid after the QR code expired');
    assert.deepEqual(rig.board.vends, []);
  });

  test('a late notification for a smaller amount refunds nothing (it is not this order’s payment)', async () => {
    const rig = startSaleRig();
    const no = await expiredWithCancelUnconfirmed(rig);
    const verdict = await rig.sales.handleNotification(rig.notify(no, '1.99'));
    await rig.sales.stop();
    assert.equal(verdict.accepted, false);
    assert.equal(rig.order(no).state, 'expired');
    assert.deepEqual(rig.gateway.refunds(), []);
  });
});

describe('which notifications are taken as payment', () => {
  const reasonOf = (v: { accepted: boolean; reason?: string }) => (v.accepted ? '' : v.reason);

  test('a body that does not parse, or that another key signed, is rejected with its reason', async () => {
    const rig = startSaleRig({ forgeNotifies: true });
    const no = await buyWater(rig);
    const forged = await rig.sales.handleNotification(rig.notify(no, '2.00'));
    assert.equal(reasonOf(forged), 'signature does not verify with the Alipay public key');
    const malformed = await rig.sales.handleNotification('a=1&a=2');
    assert.match(reasonOf(malformed) ?? '', /^malformed notification: ./);
    await rig.sales.stop();
    assert.equal(rig.order(no).state, 'awaiting_payment');
    assert.ok(
      rig.logs.includes('notification rejected: signature does not verify with the Alipay public key'),
    );
  });

  test('another app, an unknown order or another seller is rejected, each for its own reason', async () => {
    const rig = startSaleRig({ sellerId: '2088000000000001' });
    const no = await buyWater(rig);
    const seller = { seller_id: '2088000000000001' };
    const answers = [
      await rig.sales.handleNotification(rig.notify(no, '2.00', { ...seller, app_id: '2021000000000999' })),
      await rig.sales.handleNotification(rig.notify('KT_unknown', '2.00', seller)),
      await rig.sales.handleNotification(rig.notify(no, '2.00', { seller_id: '2088000000000002' })),
      await rig.sales.handleNotification(rig.notify(no, '2.00')),
    ];
    assert.deepEqual(answers.map(reasonOf), [
      'business check failed: app_id_mismatch',
      'business check failed: unknown_order',
      'business check failed: seller_id_mismatch',
      'business check failed: seller_id_mismatch',
    ]);
    assert.equal(rig.order(no).state, 'awaiting_payment');
    assert.equal((await rig.sales.handleNotification(rig.notify(no, '2.00', seller))).accepted, true);
    await rig.sales.stop();
    assert.equal(rig.order(no).state, 'completed');
  });

  test('a closed-trade or still-waiting notification is acknowledged but pays nothing', async () => {
    const rig = startSaleRig();
    const no = await buyWater(rig);
    const closed = await rig.sales.handleNotification(
      rig.notify(no, '2.00', { trade_status: 'TRADE_CLOSED' }),
    );
    assert.deepEqual(closed, { accepted: true, outTradeNo: no, kind: 'closed' });
    const waiting = await rig.sales.handleNotification(
      rig.notify(no, '2.00', { trade_status: 'WAIT_BUYER_PAY' }),
    );
    assert.deepEqual(waiting, { accepted: true, outTradeNo: no, kind: 'pending' });
    const other = await rig.sales.handleNotification(
      rig.notify(no, '2.00', { notify_type: 'something_else' }),
    );
    assert.deepEqual(other, { accepted: true, outTradeNo: '', kind: 'other' });
    await rig.sales.stop();
    assert.equal(rig.order(no).state, 'awaiting_payment');
    assert.deepEqual(rig.board.vends, []);
  });

  test('an accepted payment notification is kept as received (by notify_id, or by order and status without one)', async () => {
    const rig = startSaleRig();
    const no = await buyWater(rig);
    const body = rig.notify(no, '2.00', { notify_id: '' });
    assert.deepEqual(await rig.sales.handleNotification(body), {
      accepted: true,
      outTradeNo: no,
      kind: 'payment',
    });
    await rig.sales.stop();
    const kept = rig.store.db
      .prepare('SELECT notify_id, out_trade_no, trade_status, source, body FROM payment_notifications')
      .all();
    assert.deepEqual(kept, [
      {
        notify_id: `${no}:TRADE_SUCCESS`,
        out_trade_no: no,
        trade_status: 'TRADE_SUCCESS',
        source: 'relay',
        body,
      },
    ]);
  });
});
