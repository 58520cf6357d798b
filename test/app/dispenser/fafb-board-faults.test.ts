// What real 0xFA 0xFB boards do, over a real socat PTY, judged by vmc-sim's own motor-run record (issue 8):
// quick resets at every point of a vend, boards that do not announce their restarts, replies that answer
// another command, and an agent that restarts while the board does not. The rules: at most one motor run per
// vend; delivered only with the board's success; not_delivered only when no motor ran.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { VendOutcome } from '../../../app/dispenser/index.ts';
import type { RebootPoint, VmcSimEvent } from '../../../sim/vmc/index.ts';
import { BOARD_PACE_TIMING, nextSimEvent, startRig, untilLinkUp } from '../../helpers/fafb-rig.ts';
import type { Rig, RigOptions } from '../../helpers/fafb-rig.ts';

const rigs: Rig[] = [];
after(async () => {
  for (const r of rigs) await r.stop();
});

async function rig(opts: Omit<RigOptions, 'transport'> = {}): Promise<Rig> {
  const r = await startRig({ transport: 'socat PTY', lanes: [{ lane: 1, stock: 20 }], ...opts });
  rigs.push(r);
  return r;
}

/** Vends and judges by the ground truth; returns the outcome. */
async function vendJudged(r: Rig, lane: number, txn: string): Promise<VendOutcome> {
  const outcome = await r.driver.vend(lane, txn);
  assert.deepEqual(r.truth.violations(new Map([[txn, outcome]])), []);
  return outcome;
}

// Results that would only come from a timeout this test would outlive: an outcome must come from the
// restart itself. The link-down timer is out of reach too, so "link never seen down" holds by construction.
const NO_TIMEOUT_RESCUE = { vendResultTimeoutMs: 60_000, linkDownAfterMs: 5000 };

describe('FAFB board faults over a socat PTY', { concurrency: true, timeout: 30_000 }, () => {
  for (const downMs of [200, 1000]) {
    it(`a ${downMs} ms reset before the board ACKs the vend: unverified at its 0x31, the motor ran once, never resent`, async () => {
      const r = await rig({
        faults: [{ kind: 'reboot_mid_vend', lane: 1, downMs, at: 'before_ack' }],
        timing: NO_TIMEOUT_RESCUE,
      });
      const resentAfterReboot: number[] = [];
      r.sim.onEvent((e) => e.type === 'command' && e.cmd === 0x06 && resentAfterReboot.push(e.packNo));
      const rebooted = nextSimEvent(r.sim, 'reboot');
      const outcome = await vendJudged(r, 1, 'Q1');
      await rebooted;
      assert.equal(outcome.kind, 'unverified');
      assert.match('reason' in outcome ? outcome.reason : '', /board restarted/);
      assert.deepEqual(
        r.sim.motorRuns().map((x) => x.result),
        ['interrupted'],
      );
      // The board is served again, and the next vend is the only other command that ran a motor.
      assert.deepEqual(await vendJudged(r, 1, 'Q2'), { kind: 'delivered', dropConfirmed: true });
      assert.equal(
        resentAfterReboot.length,
        2,
        `0x06 PackNOs the board read: ${resentAfterReboot.join(', ')}`,
      );
      assert.notEqual(resentAfterReboot[0], resentAfterReboot[1]);
    });
  }

  for (const at of ['after_ack', 'motor', 'before_result'] as const satisfies readonly RebootPoint[]) {
    it(`a reset ${at.replace('_', ' ')} ends the vend unverified at once (no 60 s wait), within the rules`, async () => {
      const r = await rig({
        faults: [{ kind: 'reboot_mid_vend', lane: 1, downMs: 300, at }],
        motorMs: 200,
        timing: NO_TIMEOUT_RESCUE,
      });
      const outcome = await vendJudged(r, 1, `P-${at}`);
      assert.equal(outcome.kind, 'unverified');
      assert.match('reason' in outcome ? outcome.reason : '', /board restarted/);
      assert.equal(r.sim.motorRuns().length, at === 'after_ack' ? 0 : 1);
      assert.deepEqual(await vendJudged(r, 1, `P-${at}-next`), { kind: 'delivered', dropConfirmed: true });
    });
  }

  it('a board that does not announce its reset: the silence before the next POLL stops the resend', async () => {
    const r = await rig({
      announceRestart: false,
      faults: [{ kind: 'reboot_mid_vend', lane: 1, downMs: 1000, at: 'before_ack' }],
      timing: { ...NO_TIMEOUT_RESCUE, restartGapMs: 600 },
    });
    const drives: number[] = [];
    r.sim.onEvent((e) => e.type === 'command' && e.cmd === 0x06 && drives.push(e.packNo));
    const outcome = await vendJudged(r, 1, 'G1');
    assert.equal(outcome.kind, 'unverified');
    assert.deepEqual(
      r.sim.motorRuns().map((x) => x.result),
      ['interrupted'],
    );
    assert.equal(drives.length, 1, 'the vend was not sent to the rebooted board again');
  });

  it('a board that does not announce its reset: its PackNO going back is read as a restart', async () => {
    const r = await rig({ announceRestart: false });
    // Twenty answers move the board's numbering well past the first few numbers.
    for (let i = 0; i < 20; i++) assert.equal((await r.driver.laneStatus(1)).state, 'ok');
    const up = nextSimEvent(r.sim, 'power_up');
    r.sim.reboot(200);
    await up;
    assert.equal((await r.driver.laneStatus(1)).state, 'ok');
    assert.equal(r.driver.stats().boardRestarts, 1, 'read from the PackNO alone (this board sends no 0x31)');
  });

  it('a late 0x02 answering a timed-out lane query does not end the vend running meanwhile', async () => {
    const r = await rig({ motorMs: 300 });
    // The board holds its "out of stock" answer to this query until the next vend command arrives.
    r.sim.setFault({ kind: 'late_selection_status', status: 0x02 });
    assert.equal((await r.driver.laneStatus(1)).state, 'unknown');
    const stale = nextSimEvent(r.sim, 'stale_reply', (e) => e.cmd === 0x02);
    const outcome = await vendJudged(r, 1, 'L1');
    await stale;
    assert.deepEqual(outcome, { kind: 'delivered', dropConfirmed: true });
    assert.equal(r.sim.motorRuns().length, 1);
  });

  it("a stale final 0x04 of an earlier vend, re-sent before this vend's ACK, is not taken as its result", async () => {
    const r = await rig({ faults: [{ kind: 'jam', lane: 1 }] });
    const first = await vendJudged(r, 1, 'S1');
    assert.equal(first.kind, 'unverified', 'the jam: the motor turned, the board says jammed');
    r.sim.setFault({ kind: 'repeat_old_status' });
    const stale = nextSimEvent(r.sim, 'stale_reply', (e) => e.cmd === 0x04);
    const second = await vendJudged(r, 1, 'S2');
    await stale;
    assert.deepEqual(second, { kind: 'delivered', dropConfirmed: true });
    assert.deepEqual(
      r.sim.motorRuns().map((x) => x.result),
      ['jammed', 'dispensed'],
    );
  });

  it('a restarted agent is not mistaken for a retransmission: its first vend runs', async () => {
    const r = await rig();
    // The first agent lives only long enough for its start-up sync (PackNO 1) to reach the board.
    await nextSimEvent(r.sim, 'command', (e) => e.cmd === 0x31 && !e.duplicate);
    const commands: VmcSimEvent[] = [];
    r.sim.onEvent((e) => e.type === 'command' && commands.push(e));
    await r.restartDriver();
    const outcome = await vendJudged(r, 1, 'R1');
    assert.deepEqual(outcome, { kind: 'delivered', dropConfirmed: true });
    assert.equal(r.sim.motorRuns().length, 1);
    // The new agent's first command, its sync, repeated the old agent's last PackNO and was the one the board
    // dropped as a retransmission; the vend after it carried a new number and ran.
    assert.deepEqual(commands[0], { type: 'command', cmd: 0x31, packNo: 1, duplicate: true });
  });

  it("the driver answers the board's power-up 0x31 with ACK and syncs with its own 0x31 first", async () => {
    const r = await rig();
    await untilLinkUp(r.driver);
    const first = await nextSimEvent(r.sim, 'command');
    assert.equal(first.cmd, 0x31);
    assert.equal(r.driver.stats().boardRestarts >= 1, true, "the board's power-up sync was read");
  });
  it('0x16 from the driver changes the POLL interval the board runs at, and is set again after a board restart', async () => {
    const r = await rig({ pollIntervalMs: 200, timing: BOARD_PACE_TIMING });
    const shortened = nextSimEvent(r.sim, 'poll_interval', (e) => e.ms === 100);
    assert.equal(await r.driver.setPollInterval(100), true);
    await shortened;
    assert.equal(r.sim.stats().pollIntervalMs, 100);
    // The board restarts and comes back at its power-on 200 ms; the driver reads its 0x31 and sets 100 again.
    const forgotten = nextSimEvent(r.sim, 'poll_interval', (e) => e.ms === 200);
    const setAgain = forgotten.then(() => nextSimEvent(r.sim, 'poll_interval', (e) => e.ms === 100));
    r.sim.reboot(300);
    await setAgain;
    assert.equal(r.sim.stats().pollIntervalMs, 100);
    await assert.rejects(r.driver.setPollInterval(150), { name: 'FafbDispenserError' });
    assert.deepEqual(await vendJudged(r, 1, 'P1'), { kind: 'delivered', dropConfirmed: true });
  });
});
