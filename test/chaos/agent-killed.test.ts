// kill -9 of the agent at the worst moments of a sale — while the payment is in flight, while a motor is
// turning, between two items — then a restart on the same SQLite file. Whatever the moment, the customer
// ends with goods or money back for every item paid, never both refunded and re-vended, and the board never
// drives a lane twice for one item.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { connectKioskRpc } from '../helpers/kiosk-rpc.ts';
import { startStack, type Stack } from '../helpers/stack.ts';
import { waitFor } from '../helpers/agent-harness.ts';

interface OrderRow {
  state: string;
  total_fen: number;
}
interface ItemRow {
  lane: number;
  price_fen: number;
  vend_state: string;
}
interface Ledger {
  payments: Array<{ outTradeNo: string; fen: number }>;
  refunds: Array<{ outTradeNo: string; fen: number; outRequestNo: string }>;
}

const FINAL = ['completed', 'refunded'];

function readOrder(stack: Stack, outTradeNo: string): { order: OrderRow | undefined; items: ItemRow[] } {
  const db = new Database(stack.agentDbFile, { readonly: true, fileMustExist: true });
  try {
    const order = db.prepare('SELECT state, total_fen FROM orders WHERE out_trade_no = ?').get(outTradeNo) as
      OrderRow | undefined;
    const items = db
      .prepare('SELECT lane, price_fen, vend_state FROM order_items WHERE out_trade_no = ? ORDER BY position')
      .all(outTradeNo) as ItemRow[];
    return { order, items };
  } finally {
    db.close();
  }
}

/**
 * Kill points. A motor kill point waits for the board itself to report its nth motor start of the sale (the
 * "0x04 01 dispensing" status, seen on the wire by the serial tap), so the kill lands while that motor turns —
 * not merely after the agent committed its intent, which is before the command even reaches the board.
 */
type KillPoint =
  | { readonly name: string; readonly motorStart: number }
  | { readonly name: string; readonly when: (o: ReturnType<typeof readOrder>) => boolean };
const KILL_POINTS: readonly KillPoint[] = [
  { name: 'payment just sent, before the agent saw it', when: () => true },
  { name: 'first motor turning', motorStart: 1 },
  { name: 'between the two items', when: (o) => o.items[0]?.vend_state === 'delivered' },
  { name: 'second motor turning', motorStart: 2 },
];

/** Resolves at the board's nth motor start from now. */
function nthMotorStart(stack: Stack, n: number): Promise<void> {
  return new Promise((resolve) => {
    let seen = 0;
    const off = stack.tap!.onMotorStart(() => {
      if (++seen < n) return;
      off();
      resolve();
    });
  });
}

test('killing the agent at any point of a sale never loses money or goods and never vends twice', async () => {
  const stack = await startStack({ boardArgs: ['--motor-ms', '400'], serialTap: true });
  let runsBefore = 0;
  for (const point of KILL_POINTS) {
    const rpc = await connectKioskRpc(stack.agentUrl());
    await waitFor(
      async () => (await rpc.invoke<{ dispenserLink: string }>('kiosk.info')).dispenserLink === 'up',
      'the board link',
      () => stack.agent.log(),
    );
    const sale = await rpc.invoke<{ outTradeNo: string; totalFen: number }>('sale.checkout', {
      items: [
        { lane: 1, quantity: 1 },
        { lane: 2, quantity: 1 },
      ],
    });
    rpc.close();
    const motorTurning = 'motorStart' in point ? nthMotorStart(stack, point.motorStart) : null;
    await stack.simJson('/sim/pay', { outTradeNo: sale.outTradeNo });
    if (motorTurning) await motorTurning;
    else
      await waitFor(
        () => 'when' in point && point.when(readOrder(stack, sale.outTradeNo)),
        `kill point "${point.name}"`,
        () => stack.agent.log(),
      );
    stack.agent.child.kill('SIGKILL');
    await stack.agent.stop();

    await stack.startAgent();
    await waitFor(
      () => FINAL.includes(readOrder(stack, sale.outTradeNo).order?.state ?? ''),
      `the order to settle after "${point.name}"`,
      () => stack.agent.log(),
      30_000,
    );
    const { order, items } = readOrder(stack, sale.outTradeNo);
    const ledger = await stack.simJson<Ledger>('/sim/ledger');
    const runs = (await stack.motorRuns()).slice(runsBefore);
    runsBefore += runs.length;
    if ('motorStart' in point) {
      assert.ok(runs.length >= point.motorStart, `${point.name}: the board ran the motor the kill landed on`);
    }

    const paid = ledger.payments
      .filter((p) => p.outTradeNo === sale.outTradeNo)
      .reduce((s, p) => s + p.fen, 0);
    const refunds = ledger.refunds.filter((r) => r.outTradeNo === sale.outTradeNo);
    const refunded = refunds.reduce((s, r) => s + r.fen, 0);
    const delivered = items.filter((i) => i.vend_state === 'delivered');
    const deliveredFen = delivered.reduce((s, i) => s + i.price_fen, 0);

    assert.equal(paid, sale.totalFen, `${point.name}: paid once`);
    assert.ok(runs.length <= items.length, `${point.name}: at most one motor run per item (${runs.length})`);
    for (const item of items) {
      assert.ok(
        runs.filter((r) => r.lane === item.lane).length <= 1,
        `${point.name}: lane ${item.lane} driven twice`,
      );
    }
    assert.equal(deliveredFen + refunded, paid, `${point.name}: every fen paid is goods out or money back`);
    assert.equal(
      new Set(refunds.map((r) => r.outRequestNo)).size,
      refunds.length,
      `${point.name}: no refund twice`,
    );
    assert.equal(order?.state, refunded > 0 ? 'refunded' : 'completed', point.name);
    for (const item of delivered) {
      assert.ok(
        runs.some((r) => r.lane === item.lane && r.result === 'dispensed'),
        `${point.name}: delivered means a run`,
      );
    }
  }
});
