// What recovery asks the orders repository about other vends around an interrupted one (otherVendsSince):
// another item still vending, or one whose vend ended strictly after the intent, could have been the board's
// last command; one that ended before (or at) the intent could not.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { openStore } from '../../../app/store/index.ts';
import { tempDir } from '../../helpers/temp-dir.ts';

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
