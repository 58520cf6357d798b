// The refund outbox as the sale logic and a technician see it (app/store/refunds-repository.ts), on a real
// SQLite file: what a repeated enqueue answers, and the refused refunds the maintenance screen lists.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { openStore, type Store } from '../../../app/store/index.ts';
import { onCleanup } from '../../helpers/cleanup.ts';
import { tempDir } from '../../helpers/temp-dir.ts';

function storeWithOrder(outTradeNo: string): Store {
  let clock = Date.parse('2026-11-29T08:00:00Z');
  const store = openStore(path.join(tempDir('f2f-refunds-'), 'kiosk.sqlite'), () => clock++);
  onCleanup(() => store.close());
  store.orders.create({
    outTradeNo,
    totalFen: 550,
    subject: 'Water, Cola',
    items: [
      { lane: 1, productId: 'W', name: 'Water', priceFen: 200 },
      { lane: 2, productId: 'C', name: 'Cola', priceFen: 350 },
    ],
  });
  return store;
}

test('a refund enqueued again answers the refund already owed, amount and reason unchanged', () => {
  const store = storeWithOrder('K1_r');
  const owed = store.refunds.enqueue({
    outRequestNo: 'K1_r_R1',
    outTradeNo: 'K1_r',
    amountFen: 350,
    reason: 'goods not delivered',
  });
  assert.deepEqual(owed, {
    outRequestNo: 'K1_r_R1',
    outTradeNo: 'K1_r',
    amountFen: 350,
    reason: 'goods not delivered',
    state: 'pending',
    attempts: 0,
    lastError: null,
  });
  const again = store.refunds.enqueue({
    outRequestNo: 'K1_r_R1',
    outTradeNo: 'K1_r',
    amountFen: 550,
    reason: 'again',
  });
  assert.deepEqual(again, owed);
});

test('a refund that does not exist is refused by its number', () => {
  const store = storeWithOrder('K1_r');
  assert.throws(() => store.refunds.mustGet('K1_r_R9'), { message: 'refund K1_r_R9 does not exist' });
});

test('the refunds Alipay refused are listed for a technician, newest first, and only those', () => {
  const store = storeWithOrder('K1_r');
  for (const [no, fen] of [
    ['K1_r_A', 100],
    ['K1_r_B', 150],
    ['K1_r_C', 200],
    ['K1_r_D', 250],
  ] as const)
    store.refunds.enqueue({
      outRequestNo: no,
      outTradeNo: 'K1_r',
      amountFen: fen,
      reason: 'goods not delivered',
    });
  store.refunds.recordAttempt('K1_r_A', {
    state: 'failed',
    error: 'ACQ.SELLER_BALANCE_NOT_ENOUGH: no funds',
  });
  store.refunds.recordAttempt('K1_r_B', { state: 'succeeded' });
  store.refunds.recordAttempt('K1_r_C', { state: 'failed', error: 'ACQ.TRADE_STATUS_ERROR: closed' });
  store.refunds.recordAttempt('K1_r_D', { state: 'pending', error: 'timeout' });
  assert.deepEqual(
    store.refunds.failed().map((r) => [r.outRequestNo, r.amountFen, r.lastError]),
    [
      ['K1_r_C', 200, 'ACQ.TRADE_STATUS_ERROR: closed'],
      ['K1_r_A', 100, 'ACQ.SELLER_BALANCE_NOT_ENOUGH: no funds'],
    ],
  );
  assert.deepEqual(
    store.refunds.failed(1).map((r) => r.outRequestNo),
    ['K1_r_C'],
  );
});
