// Recovery after the agent is killed mid-vend, with real processes: kiosk-agent and vmc-sim on a socat PTY pair
// (with the serial tap), alipay-sim for the money. vmc-sim holds the motor (`hold_motor`) so the kill lands
// while it turns and the board's final report comes only once the restarted agent is listening, or never.
// Judged by vmc-sim's motor-run record and alipay-sim's ledger: the board's report decides the item exactly as
// it would have decided the live vend; without one the item is refunded and flagged for a technician.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { waitFor } from '../../helpers/agent-harness.ts';
import { connectKioskRpc, waitForBoardLink } from '../../helpers/kiosk-rpc.ts';
import { STACK_MAINTENANCE_PIN, startStack, type Stack } from '../../helpers/stack.ts';

interface Ledger {
  payments: Array<{ outTradeNo: string; fen: number }>;
  refunds: Array<{ outTradeNo: string; fen: number }>;
}

function query<T>(stack: Stack, sql: string, ...params: unknown[]): T[] {
  const db = new Database(stack.agentDbFile, { readonly: true, fileMustExist: true });
  try {
    return db.prepare(sql).all(...params) as T[];
  } finally {
    db.close();
  }
}

const orderState = (stack: Stack, no: string): string =>
  query<{ state: string }>(stack, 'SELECT state FROM orders WHERE out_trade_no = ?', no)[0]?.state ?? '';

async function boardControl(stack: Stack, pathname: string, body: unknown = {}): Promise<void> {
  const res = await fetch(`${stack.boardControlUrl}${pathname}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  assert.equal(res.status, 200, `vmc-sim ${pathname}: ${await res.text()}`);
}

/** The evidence window of the next agent start (the config file is read at each start). */
function setEvidenceWindow(stack: Stack, seconds: number): void {
  const file = path.join(stack.dir, 'agent.json');
  const config = JSON.parse(fs.readFileSync(file, 'utf8')) as { sale: Record<string, unknown> };
  config.sale['recoveryEvidenceSeconds'] = seconds;
  fs.writeFileSync(file, JSON.stringify(config, null, 2));
}

async function boardLinkUp(stack: Stack): Promise<void> {
  const rpc = await connectKioskRpc(stack.agentUrl());
  try {
    await waitForBoardLink(rpc, () => stack.agent.log());
  } finally {
    rpc.close();
  }
}

/**
 * Sells one item from `lane`, kills the agent (kill -9) once the board reports its motor turning (held), and
 * starts it again on the same database. Resolves with the order's out_trade_no and price.
 */
async function killMidVend(stack: Stack, lane: number): Promise<{ outTradeNo: string; totalFen: number }> {
  await boardLinkUp(stack);
  await boardControl(stack, '/sim/faults', { kind: 'hold_motor', lane });
  const rpc = await connectKioskRpc(stack.agentUrl());
  const sale = await rpc.invoke<{ outTradeNo: string; totalFen: number }>('sale.checkout', {
    items: [{ lane, quantity: 1 }],
  });
  rpc.close();
  const turning = new Promise<void>((resolve) => {
    const off = stack.tap!.onMotorStart((l) => {
      if (l !== lane) return;
      off();
      resolve();
    });
  });
  await stack.simJson('/sim/pay', { outTradeNo: sale.outTradeNo });
  await turning;
  stack.agent.child.kill('SIGKILL');
  await stack.agent.stop();
  await stack.startAgent();
  return sale;
}

/** The restarted agent is listening: now the held motor finishes and the board reports (or resends). */
async function reportAfterRestart(stack: Stack, outTradeNo: string): Promise<void> {
  await boardLinkUp(stack);
  await boardControl(stack, '/sim/release-motor');
  await settled(stack, outTradeNo);
}

async function settled(stack: Stack, outTradeNo: string): Promise<void> {
  await waitFor(
    () => ['completed', 'refunded'].includes(orderState(stack, outTradeNo)),
    `order ${outTradeNo} to settle`,
    () => stack.agent.log(),
    60_000,
  );
}

async function money(stack: Stack, outTradeNo: string): Promise<{ paid: number; refunded: number }> {
  const ledger = await stack.simJson<Ledger>('/sim/ledger');
  const sum = (rows: Array<{ outTradeNo: string; fen: number }>) =>
    rows.filter((r) => r.outTradeNo === outTradeNo).reduce((s, r) => s + r.fen, 0);
  return { paid: sum(ledger.payments), refunded: sum(ledger.refunds) };
}

const item = (stack: Stack, no: string) =>
  query<{ vend_state: string; vend_detail: string }>(
    stack,
    'SELECT vend_state, vend_detail FROM order_items WHERE out_trade_no = ?',
    no,
  );
const flags = (stack: Stack) =>
  query<{ lane: number; detail: string }>(
    stack,
    "SELECT lane, detail FROM maintenance_log WHERE action = 'check_interrupted_vend'",
  );

test('an agent killed mid-vend resolves the item from the board after its restart, never re-vending it', async (t) => {
  const stack = await startStack({ boardArgs: ['--motor-ms', '200'], serialTap: true });

  await t.test('the board reports success after the restart: delivered, not refunded', async () => {
    // Long enough that the board's report, released once the link is up, always lands inside it.
    setEvidenceWindow(stack, 60);
    const sale = await killMidVend(stack, 1);
    await reportAfterRestart(stack, sale.outTradeNo);

    const runs = (await stack.motorRuns()).filter((r) => r.lane === 1);
    assert.deepEqual(
      runs.map((r) => [r.result, r.dropSeen]),
      [['dispensed', true]],
      'one motor run, drop seen',
    );
    assert.equal(orderState(stack, sale.outTradeNo), 'completed');
    assert.deepEqual(item(stack, sale.outTradeNo), [
      { vend_state: 'delivered', vend_detail: 'drop confirmed' },
    ]);
    assert.deepEqual(await money(stack, sale.outTradeNo), { paid: sale.totalFen, refunded: 0 });
    assert.deepEqual(flags(stack), [], 'nothing for a technician to check');
  });

  await t.test('the board reports a fault code after the restart: read by the code table', async () => {
    setEvidenceWindow(stack, 60);
    await boardControl(stack, '/sim/faults', { kind: 'motor_not_stop', lane: 2 });
    const sale = await killMidVend(stack, 2);
    await reportAfterRestart(stack, sale.outTradeNo);

    const runs = (await stack.motorRuns()).filter((r) => r.lane === 2);
    assert.deepEqual(
      runs.map((r) => r.result),
      ['motor_not_stopped'],
    );
    // 04 "motor doesn't stop normally": unverified (the motor ran), refunded, the lane out of service.
    const [row] = item(stack, sale.outTradeNo);
    assert.equal(row?.vend_state, 'unknown');
    assert.match(row?.vend_detail ?? '', /motor doesn't stop normally.*reported after the agent restarted/);
    assert.deepEqual(await money(stack, sale.outTradeNo), { paid: sale.totalFen, refunded: sale.totalFen });
    assert.deepEqual(query<{ enabled: number }>(stack, 'SELECT enabled FROM lanes WHERE lane = 2'), [
      { enabled: 0 },
    ]);
    assert.deepEqual(flags(stack), [], 'the board decided: not an item to check');
  });

  await t.test('no report from the board: refunded and flagged on the maintenance screen', async () => {
    setEvidenceWindow(stack, 1);
    const sale = await killMidVend(stack, 3);
    await settled(stack, sale.outTradeNo);

    assert.deepEqual(await money(stack, sale.outTradeNo), { paid: sale.totalFen, refunded: sale.totalFen });
    const [row] = item(stack, sale.outTradeNo);
    assert.equal(row?.vend_state, 'unknown');
    assert.match(row?.vend_detail ?? '', /the board offered no result for it within 1000 ms; not retried/);
    const flagged = flags(stack);
    assert.equal(flagged.length, 1);
    assert.equal(flagged[0]?.lane, 3);
    assert.match(flagged[0]?.detail ?? '', new RegExp(`order ${sale.outTradeNo} item 1`));

    // The technician sees it on the maintenance screen's data.
    const rpc = await connectKioskRpc(stack.agentUrl());
    try {
      const session = await rpc.invoke<{ token: string }>('maintenance.unlock', {
        pin: STACK_MAINTENANCE_PIN,
      });
      const overview = await rpc.invoke<{ toCheck: Array<{ lane: number; detail: string }> }>(
        'maintenance.overview',
        { token: session.token },
      );
      assert.deepEqual(
        overview.toCheck.map((e) => e.lane),
        [3],
      );
      assert.match(overview.toCheck[0]?.detail ?? '', new RegExp(sale.outTradeNo));
      await rpc.invoke('maintenance.lock', { token: session.token });
    } finally {
      rpc.close();
    }

    // The held motor finishes now: one run, and the item is not vended again nor its refund undone.
    await boardControl(stack, '/sim/release-motor');
    await waitFor(
      async () => (await stack.motorRuns()).some((r) => r.lane === 3),
      'the held motor to finish',
      () => stack.agent.log(),
    );
    assert.equal((await stack.motorRuns()).filter((r) => r.lane === 3).length, 1);
    assert.equal(orderState(stack, sale.outTradeNo), 'refunded');
  });
});
