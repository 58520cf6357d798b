// A confirmed payment is one durable transaction: the notification (evidence), `paid`, paid → vending and
// the first item's vend intent commit together (one fsync between the notify and the vend intent), and each
// is still on disk before its effect — the relay's ack, the vend frame. These tests read the database through
// a second connection, as a restarted agent would find it, and fail a step of the commit (a store that
// throws, as a full disk would) to show that a payment is either wholly committed or not at all.
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { describe, mock, test } from 'node:test';
import type { VendOutcome } from '../../../app/dispenser/dispenser.ts';
import { onCleanup } from '../../helpers/cleanup.ts';
import { startSaleRig, type SaleRig } from './sale-rig.ts';

/** What another connection sees committed for an order: its state, its items' vend states, its notifications. */
function onDisk(rig: SaleRig, outTradeNo: string) {
  const reader = new Database(rig.store.db.name, { readonly: true });
  try {
    const order = reader.prepare('SELECT state FROM orders WHERE out_trade_no = ?').get(outTradeNo) as {
      state: string;
    };
    const items = reader
      .prepare('SELECT vend_state FROM order_items WHERE out_trade_no = ? ORDER BY position')
      .all(outTradeNo) as Array<{ vend_state: string }>;
    const notifications = reader
      .prepare('SELECT count(*) AS n FROM payment_notifications WHERE out_trade_no = ?')
      .get(outTradeNo) as { n: number };
    return { state: order.state, items: items.map((i) => i.vend_state), notifications: notifications.n };
  } finally {
    reader.close();
  }
}

async function twoItemOrder(rig: SaleRig): Promise<string> {
  const order = await rig.sales.checkout([
    { lane: 1, quantity: 1 },
    { lane: 2, quantity: 1 },
  ]);
  return order.outTradeNo;
}

describe('a payment confirmed by notification', () => {
  test('when the board is asked to vend, the notification, paid, vending and that item’s intent are on disk', async () => {
    const rig = startSaleRig();
    const no = await twoItemOrder(rig);
    const seen: Array<ReturnType<typeof onDisk>> = [];
    rig.board.outcome = (): VendOutcome => {
      seen.push(onDisk(rig, no));
      return { kind: 'delivered', dropConfirmed: true };
    };
    assert.equal((await rig.sales.handleNotification(rig.notify(no, '5.50'))).accepted, true);
    // The ack may follow now: the payment, its evidence and the first intent are committed.
    assert.deepEqual(onDisk(rig, no), { state: 'vending', items: ['vending', 'pending'], notifications: 1 });
    await rig.sales.stop();
    assert.deepEqual(seen, [
      { state: 'vending', items: ['vending', 'pending'], notifications: 1 },
      { state: 'vending', items: ['delivered', 'vending'], notifications: 1 },
    ]);
    assert.deepEqual(rig.board.vends, [1, 2]);
    assert.equal(rig.order(no).state, 'completed');
  });

  const steps: ReadonlyArray<{
    what: string;
    method: 'recordNotification' | 'transition' | 'markVending';
    picks: (args: unknown[]) => boolean;
  }> = [
    { what: 'recording the notification', method: 'recordNotification', picks: () => true },
    { what: 'committing paid', method: 'transition', picks: (args) => args[2] === 'paid' },
    { what: 'moving paid → vending', method: 'transition', picks: (args) => args[2] === 'vending' },
    { what: 'recording the vend intent', method: 'markVending', picks: () => true },
  ];
  for (const step of steps) {
    test(`a store that fails while ${step.what} leaves nothing of the payment on disk, is not acked, sends nothing; the redelivery vends once`, async () => {
      const rig = startSaleRig();
      const no = await twoItemOrder(rig);
      const orders = rig.store.orders as unknown as Record<string, (...args: unknown[]) => unknown>;
      const original = orders[step.method]!.bind(rig.store.orders);
      let failed = false;
      const spy = mock.method(orders, step.method, (...args: unknown[]) => {
        if (!failed && step.picks(args)) {
          failed = true;
          throw new Error('disk I/O error');
        }
        return original(...args);
      });
      onCleanup(() => spy.mock.restore());
      const body = rig.notify(no, '5.50');
      // The relay client acks only when the handler resolves: a rejection means the event comes again.
      await assert.rejects(rig.sales.handleNotification(body), /disk I\/O error/);
      assert.equal(failed, true, `the store was asked for ${step.method}`);
      assert.deepEqual(onDisk(rig, no), {
        state: 'awaiting_payment',
        items: ['pending', 'pending'],
        notifications: 0,
      });
      assert.deepEqual(rig.board.vends, []);

      assert.equal((await rig.sales.handleNotification(body)).accepted, true);
      await rig.sales.stop();
      assert.deepEqual(rig.board.vends, [1, 2]);
      assert.equal(rig.order(no).state, 'completed');
      assert.deepEqual(onDisk(rig, no), {
        state: 'completed',
        items: ['delivered', 'delivered'],
        notifications: 1,
      });
    });
  }

  test('an agent that stops after the commit, before the frame, never sends that item on restart: it is refunded', async () => {
    const first = startSaleRig();
    const no = await twoItemOrder(first);
    // The board never answers: the process is "cut" between the committed intent and the vend's outcome.
    let release: (outcome: VendOutcome) => void = () => undefined;
    first.board.outcome = () => new Promise<VendOutcome>((resolve) => (release = resolve));
    assert.equal((await first.sales.handleNotification(first.notify(no, '5.50'))).accepted, true);

    const restarted = startSaleRig({ dbFile: first.store.db.name });
    await restarted.sales.recover();
    await restarted.sales.stop();
    assert.deepEqual(restarted.board.vends, [2], 'the item whose intent was on disk is not sent again');
    assert.deepEqual(
      restarted.order(no).items.map((i) => i.vendState),
      ['unknown', 'delivered'],
    );
    assert.equal(restarted.order(no).state, 'refunded');
    assert.deepEqual(restarted.gateway.refunds(), [{ fen: 200, outRequestNo: `${no}_R1` }]);
    release({ kind: 'not_delivered', reason: 'the first agent is gone' });
  });
});
