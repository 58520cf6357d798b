// SaleService.recover() over the scripted board (sale-rig.ts): the agent died while a motor turned, and the
// restarted agent decides that item from the board's report alone — one that arrives after the restart, tied to
// the packet number stored with the intent — within the configured evidence window, and never sends it again.
// The same rules against vmc-sim on a socat PTY, with kill -9, are in vend-recovery.test.ts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { UnclaimedReport, VendOutcome } from '../../../app/dispenser/dispenser.ts';
import { CHECK_INTERRUPTED_VEND } from '../../../app/store/index.ts';
import { waitFor } from '../../helpers/agent-harness.ts';
import { onCleanup } from '../../helpers/cleanup.ts';
import { startSaleRig, type SaleRig, type SaleRigOptions } from './sale-rig.ts';

const MARK = 42;

/** A one-item sale whose vend was sent with the board at packet MARK, and never answered: the agent died. */
async function interruptedSale(): Promise<{ no: string; restart: (o?: SaleRigOptions) => SaleRig }> {
  const first = startSaleRig();
  first.board.boardSeq = MARK;
  let release: (outcome: VendOutcome) => void = () => undefined;
  first.board.outcome = () => new Promise<VendOutcome>((resolve) => (release = resolve));
  onCleanup(() => release({ kind: 'not_delivered', reason: 'the first agent is gone' }));
  const { outTradeNo: no } = await first.sales.checkout([{ lane: 1, quantity: 1 }]);
  assert.equal((await first.sales.handleNotification(first.notify(no, '2.00'))).accepted, true);
  await waitFor(() => first.board.vends.length === 1, 'the vend sent');
  return { no, restart: (options = {}) => startSaleRig({ ...options, dbFile: first.store.db.name }) };
}

const delivered = (boardSeq: number): UnclaimedReport => ({
  type: 'unclaimed_report',
  lane: 1,
  code: 0x02,
  boardSeq,
  outcome: { kind: 'delivered', dropConfirmed: true },
});

test('a report the board sends after the restart decides the interrupted item: delivered, not refunded, not sent again', async () => {
  const { no, restart } = await interruptedSale();
  const restarted = restart();
  const listening = restarted.board.listenerCount();
  await restarted.sales.recover();
  // recover() has returned; the board's resend comes a POLL later.
  await new Promise((resolve) => setImmediate(resolve));
  restarted.board.emit(delivered(MARK + 3));
  await waitFor(() => restarted.order(no).state === 'completed', 'the order completed');
  assert.deepEqual(
    restarted.order(no).items.map((i) => i.vendState),
    ['delivered'],
  );
  assert.deepEqual(restarted.board.vends, [], 'nothing sent again');
  assert.deepEqual(restarted.gateway.refunds(), []);
  assert.equal(restarted.store.lanes.get(1)?.stock, 4);
  await waitFor(
    () => restarted.board.listenerCount() === listening,
    'the evidence watch to stop listening once the item is decided',
  );
});

test('the evidence window is the configured one: no report within it, and the item is refunded and flagged', async (t) => {
  const { no, restart } = await interruptedSale();
  const restarted = restart({ recoveryEvidenceMs: 10_000 });
  t.mock.timers.enable({ apis: ['setTimeout'] });
  await restarted.sales.recover();
  const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
  await turn();
  t.mock.timers.tick(9_999);
  await turn();
  assert.equal(restarted.order(no).items[0]?.vendState, 'vending', 'still listening at 9,999 ms');
  t.mock.timers.tick(1);
  await restarted.sales.stop();
  assert.equal(restarted.order(no).items[0]?.vendState, 'unknown');
  assert.equal(restarted.order(no).state, 'refunded');
  assert.deepEqual(restarted.gateway.refunds(), [{ fen: 200, outRequestNo: `${no}_R1` }]);
  assert.deepEqual(
    restarted.store.maintenanceLog.recent(10).map((e) => [e.action, e.lane]),
    [[CHECK_INTERRUPTED_VEND, 1]],
  );
  assert.deepEqual(restarted.board.vends, []);
});
