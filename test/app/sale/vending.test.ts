// Vending's crash-safety rule, seen from the board (sale-rig.ts): when a vend command reaches the board, that
// item's intent — `vending`, with the board's packet number of the moment — is already on disk, read through a
// second connection as a restarted agent would read it. Without it a crash mid-vend would leave an item that
// looks unsent, and it would be sent again.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { startSaleRig, type SaleRig } from './sale-rig.ts';

/** The item's vend state and board mark as another connection sees them committed. */
function intentOnDisk(rig: SaleRig, outTradeNo: string, position: number) {
  const reader = new Database(rig.store.db.name, { readonly: true });
  try {
    return reader
      .prepare(
        'SELECT vend_state AS state, vend_board_seq AS boardSeq FROM order_items WHERE out_trade_no = ? AND position = ?',
      )
      .get(outTradeNo, position) as { state: string; boardSeq: number | null };
  } finally {
    reader.close();
  }
}

test('each vend command reaches the board after its intent is committed, with the board packet number of that moment', async () => {
  const rig = startSaleRig();
  const { outTradeNo: no } = await rig.sales.checkout([
    { lane: 1, quantity: 1 },
    { lane: 2, quantity: 1 },
  ]);
  const seen: Array<{ state: string; boardSeq: number | null }> = [];
  rig.board.boardSeq = 17;
  rig.board.outcome = () => {
    seen.push(intentOnDisk(rig, no, seen.length + 1));
    rig.board.boardSeq = 23; // the board numbered more packets during the first vend
    return { kind: 'delivered', dropConfirmed: true };
  };
  assert.equal((await rig.sales.handleNotification(rig.notify(no, '5.50'))).accepted, true);
  await rig.sales.stop();
  assert.deepEqual(seen, [
    { state: 'vending', boardSeq: 17 },
    { state: 'vending', boardSeq: 23 },
  ]);
  assert.equal(rig.order(no).state, 'completed');
});

test('a board without packet numbers leaves the mark empty: no later report can be tied to the vend', async () => {
  const rig = startSaleRig();
  const { outTradeNo: no } = await rig.sales.checkout([{ lane: 1, quantity: 1 }]);
  assert.equal((await rig.sales.handleNotification(rig.notify(no, '2.00'))).accepted, true);
  await rig.sales.stop();
  assert.deepEqual(intentOnDisk(rig, no, 1), { state: 'delivered', boardSeq: null });
});
