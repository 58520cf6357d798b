// The ZDM8 driver's reading of the board's result register 0x0003 as evidence (zdm8-latch.ts): a final state
// found before this process sent a vend is reported once as `latched_result`; a motor still turning is waited
// for; a late result after this process's own vend is not evidence; and the vend mark is given only while the
// register holds nothing unread and no vend is queued. The "previous process" is a driver closed mid-vend on
// the same line, the restarted one a new driver, as the board sees it.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { createZdm8Dispenser, LATCH_CLEAR_MARK } from '../../../app/dispenser/index.ts';
import type { Dispenser, DispenserEvent, LatchedResult } from '../../../app/dispenser/index.ts';
import { createMemoryLine, startZdm8Sim } from '../../../sim/vmc/index.ts';
import type { MemoryLine, Zdm8Sim } from '../../../sim/vmc/index.ts';

const open: Array<() => Promise<void>> = [];
after(async () => {
  for (const stop of open) await stop();
});

const until = async (condition: () => boolean): Promise<void> => {
  while (!condition()) await new Promise((r) => setTimeout(r, 10));
};

function board(): { line: MemoryLine; sim: Zdm8Sim } {
  const line = createMemoryLine();
  const sim = startZdm8Sim({ stream: line.board, lanes: [{ lane: 11, stock: 5 }], motorMs: 60 });
  open.push(() => sim.close());
  return { line, sim };
}

/** A driver (an agent process) on the line, with every event it emits. */
function agent(line: MemoryLine): { driver: Dispenser; events: DispenserEvent[] } {
  const driver = createZdm8Dispenser({
    openPort: () => line.openHost(),
    dropSensor: true,
    timing: {
      replyTimeoutMs: 60,
      heartbeatMs: 40,
      statusPollMs: 30,
      linkDownAfterMs: 400,
      vendResultTimeoutMs: 5000,
      reopenAfterSilenceMs: 0,
    },
  });
  const events: DispenserEvent[] = [];
  driver.onEvent((e) => events.push(e));
  open.push(() => driver.close());
  return { driver, events };
}

const latched = (events: DispenserEvent[]): LatchedResult[] =>
  events.filter((e): e is LatchedResult => e.type === 'latched_result');

/** The previous process: sends a vend the board holds (motor turning), then dies. */
async function dieMidVend(line: MemoryLine, sim: Zdm8Sim): Promise<void> {
  sim.setFault({ kind: 'hold_motor', lane: 11 });
  const { driver } = agent(line);
  await until(() => driver.linkState === 'up');
  void driver.vend(11, 'previous');
  await until(() => sim.register().turningLane === 11);
  await driver.close();
}

describe('ZDM8 result register as recovery evidence', { concurrency: true, timeout: 20_000 }, () => {
  it('a result kept from the previous process is reported once, before any vend; then the mark is given', async () => {
    const { line, sim } = board();
    await dieMidVend(line, sim);
    sim.releaseMotor();
    assert.equal(sim.register().state, 'success');

    const { driver, events } = agent(line);
    assert.equal(driver.vendMark?.(), null, 'the register is unknown until read');
    await until(() => latched(events).length > 0);
    assert.deepEqual(latched(events), [
      { type: 'latched_result', code: 0x0200, outcome: { kind: 'delivered', dropConfirmed: true } },
    ]);
    assert.equal(sim.register().state, 'idle', 'read, so reset');
    assert.deepEqual(driver.vendMark?.(), LATCH_CLEAR_MARK);
    assert.equal(sim.motorRuns().length, 1);
  });

  it('a fault kept from the previous process is read with the fault table', async () => {
    const { line, sim } = board();
    sim.setFault({ kind: 'jam', lane: 11 });
    await dieMidVend(line, sim);
    sim.releaseMotor();

    const { events } = agent(line);
    await until(() => latched(events).length > 0);
    assert.deepEqual(latched(events), [
      {
        type: 'latched_result',
        code: 0x0301,
        outcome: { kind: 'not_delivered', reason: 'motor timeout (jammed) (fault 0x01)', code: 0x01 },
      },
    ]);
  });

  it('a motor still turning at the start is waited for: its result reported, the next vend run after it', async () => {
    const { line, sim } = board();
    await dieMidVend(line, sim);

    const { driver, events } = agent(line);
    await until(() => driver.linkState === 'up');
    const next = driver.vend(11, 'next');
    assert.equal(sim.register().state, 'running');
    sim.releaseMotor();
    assert.deepEqual(await next, { kind: 'delivered', dropConfirmed: true }, 'not refused as "busy"');
    assert.deepEqual(
      latched(events).map((e) => e.outcome),
      [{ kind: 'delivered', dropConfirmed: true }],
    );
    assert.deepEqual(
      sim.motorRuns().map((r) => r.result),
      ['dispensed', 'dispensed'],
    );
    assert.equal(sim.stats().vendWrites, 2);
  });

  it("a late result of this process's own vend is read and cleared, never reported as latched", async () => {
    const { line, sim } = board();
    const { driver, events } = agent(line);
    await until(() => driver.vendMark?.() !== null);
    sim.setFault({ kind: 'hold_motor', lane: 11 });
    const vend = driver.vend(11, 'lost');
    await until(() => sim.register().turningLane === 11);
    sim.setFault({ kind: 'silence', ms: 800 });
    assert.equal((await vend).kind, 'unverified', 'link lost while vending');
    assert.equal(driver.vendMark?.(), null, 'the board may still latch a result nobody has read');

    sim.releaseMotor();
    await until(() => driver.vendMark?.() !== null);
    assert.equal(sim.register().state, 'idle', 'the heartbeat read the late result');
    assert.deepEqual(latched(events), []);
  });

  it('no mark while a vend is queued or running', async () => {
    const { line } = board();
    const { driver } = agent(line);
    await until(() => driver.vendMark?.() !== null);
    const vend = driver.vend(11, 'queued');
    assert.equal(driver.vendMark?.(), null);
    await vend;
    assert.deepEqual(driver.vendMark?.(), LATCH_CLEAR_MARK);
  });
});
