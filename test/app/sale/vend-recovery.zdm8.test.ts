// Recovery after the agent is killed mid-vend on a ZDM8 board, with real processes: kiosk-agent and
// `vmc-sim --protocol zdm8` on a socat PTY pair, alipay-sim for the money. The board holds the motor
// (`hold_motor`) so the kill lands while it turns; its result register 0x0003 keeps the final state until it is
// read, across the agent's restart. Judged by the board's motor-run record and alipay-sim's ledger: the result
// the board kept decides the item exactly as it would have decided the live vend; a board that kept nothing
// (it restarted while the agent was down) gets the item refunded and flagged for a technician.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { waitFor } from '../../helpers/agent-harness.ts';
import { startStack, type Stack } from '../../helpers/stack.ts';
import type { Zdm8Register } from '../../../sim/vmc/index.ts';
import {
  assertRefundedAndFlagged,
  boardControl,
  boardLinkUp,
  checkout,
  flags,
  item,
  killMidVend,
  money,
  orderState,
  query,
  settled,
  setEvidenceWindow,
} from './recovery-rig.ts';

async function register(stack: Stack): Promise<Zdm8Register> {
  return (await (await fetch(`${stack.boardControlUrl}/sim/register`)).json()) as Zdm8Register;
}

/** The board's own word that its motor turns on `lane` (its result register, read without resetting it). */
const motorTurning = (stack: Stack, lane: number) => () =>
  waitFor(
    async () => (await register(stack)).turningLane === lane,
    `the board's motor on lane ${lane} to turn`,
    () => stack.agent.log(),
  );

const runsOn = async (stack: Stack, lane: number) =>
  (await stack.motorRuns()).filter((r) => r.lane === lane).map((r) => [r.result, r.dropSeen]);

test('ZDM8: an agent killed mid-vend resolves the item from the result the board kept, never re-vending it', async (t) => {
  const stack = await startStack({ board: 'zdm8', boardArgs: ['--motor-ms', '200'] });

  await t.test('the motor still turns at the restart, then succeeds: delivered, not refunded', async () => {
    // Long enough that the result, released once the link is up, always lands inside it.
    setEvidenceWindow(stack, 60);
    const sale = await killMidVend(stack, 1, motorTurning(stack, 1));
    await boardLinkUp(stack);
    assert.equal((await register(stack)).state, 'running', 'the restarted agent finds the motor turning');
    await boardControl(stack, '/sim/release-motor');
    await settled(stack, sale.outTradeNo);

    assert.deepEqual(await runsOn(stack, 1), [['dispensed', true]], 'one motor run, drop seen');
    assert.equal(orderState(stack, sale.outTradeNo), 'completed');
    assert.deepEqual(item(stack, sale.outTradeNo), [
      { vend_state: 'delivered', vend_detail: 'drop confirmed' },
    ]);
    assert.deepEqual(await money(stack, sale.outTradeNo), { paid: sale.totalFen, refunded: 0 });
    assert.deepEqual(flags(stack), [], 'nothing for a technician to check');
  });

  await t.test('the motor jams while the agent is down: the kept fault is read by the table', async () => {
    setEvidenceWindow(stack, 60);
    await boardControl(stack, '/sim/faults', { kind: 'jam', lane: 2 });
    // The run ends (jammed) with the agent dead: the board keeps "failed, fault 01" for the next reader.
    const sale = await killMidVend(stack, 2, motorTurning(stack, 2), async () => {
      await boardControl(stack, '/sim/release-motor');
      assert.deepEqual(await register(stack), { state: 'failed', fault: 0x01, turningLane: null });
    });
    await settled(stack, sale.outTradeNo);

    assert.deepEqual(await runsOn(stack, 2), [['jammed', false]]);
    // Fault 01 "motor timeout (jammed)": not delivered, refunded, the lane out of service.
    const [row] = item(stack, sale.outTradeNo);
    assert.equal(row?.vend_state, 'not_delivered');
    assert.match(row?.vend_detail ?? '', /motor timeout \(jammed\).*reported after the agent restarted/);
    assert.deepEqual(await money(stack, sale.outTradeNo), { paid: sale.totalFen, refunded: sale.totalFen });
    assert.deepEqual(query<{ enabled: number }>(stack, 'SELECT enabled FROM lanes WHERE lane = 2'), [
      { enabled: 0 },
    ]);
    assert.deepEqual(flags(stack), [], 'the board decided: not an item to check');
  });

  await t.test('the board restarts while the agent is down: nothing kept, refunded and flagged', async () => {
    setEvidenceWindow(stack, 1);
    const sale = await killMidVend(stack, 3, motorTurning(stack, 3), () =>
      boardControl(stack, '/sim/reboot'),
    );
    await settled(stack, sale.outTradeNo);

    assert.deepEqual(await runsOn(stack, 3), [['interrupted', false]], 'one run, cut short; never re-vended');
    await assertRefundedAndFlagged(stack, sale, 3, 1000);
  });

  await t.test('after the restarts the kiosk sells from the board as before', async () => {
    await boardLinkUp(stack);
    const before = (await runsOn(stack, 1)).length;
    const sale = await checkout(stack, 1);
    await stack.simJson('/sim/pay', { outTradeNo: sale.outTradeNo });
    await settled(stack, sale.outTradeNo);
    assert.equal(orderState(stack, sale.outTradeNo), 'completed');
    assert.equal((await runsOn(stack, 1)).length, before + 1);
  });
});
