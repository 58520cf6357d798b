// The orders table as the fleet and an operator see it (app/store/orders-repository.ts), on a real SQLite file:
// the `sale.settled` event every ended sale leaves for the relay (its delivered amount is the operator's
// revenue and what reconciliation holds against Alipay's ledger), the audit trail, the kept notifications; and
// what recovery asks about other vends around an interrupted one (otherVendsSince): another item still
// vending, or one whose vend ended strictly after the intent, could have been the board's last command.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { openStore, type Store } from '../../../app/store/index.ts';
import { onCleanup } from '../../helpers/cleanup.ts';
import { tempDir } from '../../helpers/temp-dir.ts';

const WATER = { lane: 1, productId: 'W', name: 'Water', priceFen: 200 };
const COLA = { lane: 2, productId: 'C', name: 'Cola', priceFen: 350 };

function freshStore(): Store {
  let clock = Date.parse('2026-11-29T08:00:00Z');
  const store = openStore(path.join(tempDir('f2f-orders-'), 'kiosk.sqlite'), () => clock++);
  onCleanup(() => store.close());
  return store;
}

/** An order for `items`, shown and paid (trade T-<no>), as the sale logic commits it. */
function paidOrder(store: Store, outTradeNo: string, items: ReadonlyArray<typeof WATER>): void {
  store.orders.create({
    outTradeNo,
    totalFen: items.reduce((sum, i) => sum + i.priceFen, 0),
    subject: items.map((i) => i.name).join(', '),
    items,
  });
  assert.ok(
    store.orders.transition(outTradeNo, ['created'], 'awaiting_payment', { qrCode: `qr-${outTradeNo}` }),
  );
  assert.ok(
    store.orders.transition(outTradeNo, ['awaiting_payment'], 'paid', { tradeNo: `T-${outTradeNo}` }),
  );
  assert.ok(store.orders.transition(outTradeNo, ['paid'], 'vending'));
}

function vend(
  store: Store,
  outTradeNo: string,
  position: number,
  state: 'delivered' | 'not_delivered',
): void {
  assert.ok(store.orders.markVending(outTradeNo, position));
  store.orders.finishVend(
    outTradeNo,
    position,
    state,
    state === 'delivered' ? 'drop confirmed' : 'motor jammed',
  );
}

test('every sale that ends tells the fleet once: its end state, what was paid and what was delivered, item by item', () => {
  const store = freshStore();
  paidOrder(store, 'K1_completed', [WATER]);
  vend(store, 'K1_completed', 1, 'delivered');
  assert.ok(store.orders.transition('K1_completed', ['vending'], 'completed', { message: null }));

  paidOrder(store, 'K1_refunded', [WATER, COLA]);
  vend(store, 'K1_refunded', 1, 'delivered');
  vend(store, 'K1_refunded', 2, 'not_delivered');
  const owed = '1 item(s) could not be dispensed';
  assert.ok(store.orders.transition('K1_refunded', ['vending'], 'refund_pending', { message: owed }));
  assert.ok(store.orders.transition('K1_refunded', ['refund_pending'], 'refunded'));

  store.orders.create({ outTradeNo: 'K1_expired', totalFen: 350, subject: 'Cola', items: [COLA] });
  assert.ok(store.orders.transition('K1_expired', ['created'], 'awaiting_payment', { qrCode: 'qr' }));
  assert.ok(store.orders.transition('K1_expired', ['awaiting_payment'], 'expired', { message: 'timed out' }));

  store.orders.create({ outTradeNo: 'K1_failed', totalFen: 200, subject: 'Water', items: [WATER] });
  assert.ok(store.orders.transition('K1_failed', ['created'], 'failed', { message: 'no QR code' }));

  // What the fleet is told of one item: which product, from which lane, for how much, and how its vend ended.
  const settledItem = (item: typeof WATER, vendState: string, detail: string | null) => ({
    lane: item.lane,
    productId: item.productId,
    priceFen: item.priceFen,
    vendState,
    detail,
  });
  // Only the final transitions are told (none for created, shown, paid, vending or refund_pending).
  assert.deepEqual(
    store.outbox.unsent().map((e) => ({ id: e.id, type: e.type, data: e.data })),
    [
      {
        id: 'sale:K1_completed:completed',
        type: 'sale.settled',
        data: {
          outTradeNo: 'K1_completed',
          state: 'completed',
          tradeNo: 'T-K1_completed',
          totalFen: 200,
          deliveredFen: 200,
          items: [settledItem(WATER, 'delivered', 'drop confirmed')],
          message: null,
        },
      },
      {
        id: 'sale:K1_refunded:refunded',
        type: 'sale.settled',
        data: {
          outTradeNo: 'K1_refunded',
          state: 'refunded',
          tradeNo: 'T-K1_refunded',
          totalFen: 550,
          // The cola was paid and not delivered: the operator's revenue is the water alone.
          deliveredFen: 200,
          items: [
            settledItem(WATER, 'delivered', 'drop confirmed'),
            settledItem(COLA, 'not_delivered', 'motor jammed'),
          ],
          message: owed,
        },
      },
      {
        id: 'sale:K1_expired:expired',
        type: 'sale.settled',
        data: {
          outTradeNo: 'K1_expired',
          state: 'expired',
          tradeNo: null,
          totalFen: 350,
          deliveredFen: 0,
          items: [settledItem(COLA, 'pending', null)],
          message: 'timed out',
        },
      },
      {
        id: 'sale:K1_failed:failed',
        type: 'sale.settled',
        data: {
          outTradeNo: 'K1_failed',
          state: 'failed',
          tradeNo: null,
          totalFen: 200,
          deliveredFen: 0,
          items: [settledItem(WATER, 'pending', null)],
          message: 'no QR code',
        },
      },
    ],
  );
});

test('an order’s audit trail starts with its total in fen, then every step it took', () => {
  const store = freshStore();
  paidOrder(store, 'K1_audit', [WATER, COLA]);
  assert.deepEqual(
    store.db
      .prepare('SELECT event, detail FROM order_events WHERE out_trade_no = ? ORDER BY id')
      .all('K1_audit'),
    [
      { event: 'created', detail: 'total_fen=550' },
      { event: 'created->awaiting_payment', detail: null },
      { event: 'awaiting_payment->paid', detail: null },
      { event: 'paid->vending', detail: null },
    ],
  );
});

test('an order that does not exist is refused by its number, not answered with nothing', () => {
  const store = freshStore();
  assert.equal(store.orders.get('K1_none'), null);
  assert.throws(() => store.orders.mustGet('K1_none'), { message: 'order K1_none does not exist' });
});

test('a payment notification is kept once: its redelivery is recognised and the first body stays', () => {
  const store = freshStore();
  store.orders.create({ outTradeNo: 'K1_paid', totalFen: 200, subject: 'Water', items: [WATER] });
  const notification = {
    notifyId: 'n-1',
    outTradeNo: 'K1_paid',
    tradeStatus: 'TRADE_SUCCESS',
    source: 'relay',
    body: 'first',
  };
  assert.equal(store.orders.recordNotification(notification), true, 'a new notification');
  assert.equal(store.orders.recordNotification({ ...notification, body: 'again' }), false, 'a redelivery');
  assert.deepEqual(store.db.prepare('SELECT notify_id, body FROM payment_notifications').all(), [
    { notify_id: 'n-1', body: 'first' },
  ]);
});

test('otherVendsSince counts the other items vending, or finished after the time given', () => {
  let clock = 1000;
  const store = openStore(path.join(tempDir(), 'k.sqlite'), () => clock);
  const water = { lane: 1, productId: 'W', name: 'Water', priceFen: 200 };
  store.orders.create({ outTradeNo: 'A', totalFen: 400, subject: 'Water x2', items: [water, water] });
  store.orders.create({ outTradeNo: 'B', totalFen: 200, subject: 'Water', items: [water] });

  store.orders.markVending('A', 1);
  clock = 2000;
  store.orders.finishVend('A', 1, 'delivered', 'drop confirmed');
  store.orders.markVending('A', 2); // the intent at 2000, as item 1 finished
  assert.equal(store.orders.otherVendsSince('A', 2, 2000), 0, 'finished at the intent: before it');

  store.orders.markVending('B', 1);
  assert.equal(store.orders.otherVendsSince('A', 2, 2000), 1, 'another item still vending');
  assert.equal(store.orders.otherVendsSince('B', 1, 2000), 1, 'and the other way round');

  clock = 2001;
  store.orders.finishVend('B', 1, 'unknown', 'link to the board lost while vending');
  assert.equal(store.orders.otherVendsSince('A', 2, 2000), 1, 'ended after the intent');
  assert.equal(store.orders.otherVendsSince('A', 2, 2001), 0);
  store.close();
});
