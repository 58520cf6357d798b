// Recovery after the agent is killed mid-vend, with real processes: kiosk-agent and vmc-sim on a socat PTY pair
// (with the serial tap), alipay-sim for the money. vmc-sim holds the motor (`hold_motor`) so the kill lands
// while it turns and the board's final report comes only once the restarted agent is listening, or never.
// Judged by vmc-sim's motor-run record and alipay-sim's ledger: the board's report decides the item exactly as
// it would have decided the live vend; without one the item is refunded and flagged for a technician.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { waitFor } from '../../helpers/agent-harness.ts';
import { startStack, type Stack } from '../../helpers/stack.ts';
import {
  assertRefundedAndFlagged,
  boardControl,
  boardLinkUp,
  flags,
  item,
  killMidVend as killWhileHeld,
  money,
  orderState,
  query,
  settled,
  setEvidenceWindow,
} from './recovery-rig.ts';

/** Kills the agent once the board reports (on the wire tap) its motor turning on `lane`. */
function killMidVend(stack: Stack, lane: number): Promise<{ outTradeNo: string; totalFen: number }> {
  return killWhileHeld(
    stack,
    lane,
    () =>
      new Promise<void>((resolve) => {
        const off = stack.tap!.onMotorStart((l) => {
          if (l !== lane) return;
          off();
          resolve();
        });
      }),
  );
}

/** The restarted agent is listening: now the held motor finishes and the board reports (or resends). */
async function reportAfterRestart(stack: Stack, outTradeNo: string): Promise<void> {
  await boardLinkUp(stack);
  await boardControl(stack, '/sim/release-motor');
  await settled(stack, outTradeNo);
}

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

    await assertRefundedAndFlagged(stack, sale, 3, 1000);

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
