// Driver ↔ simulated board, over an in-memory line and over a real socat PTY pair: the vend outcomes a
// customer's money depends on, for every fault the board can show.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { DispenserEvent, FafbDispenser, FafbTiming } from '../../../app/dispenser/index.ts';
import type { SimFault, SimLaneConfig, VmcSim } from '../../../sim/vmc/index.ts';
import { TRANSPORTS, startRig, untilLinkUp } from '../../helpers/fafb-rig.ts';
import type { Transport } from '../../helpers/fafb-rig.ts';

interface Rig {
  driver: FafbDispenser;
  sim: VmcSim;
  events: DispenserEvent[];
  stop(): Promise<void>;
}

const rigs: Rig[] = [];
after(async () => {
  for (const r of rigs) await r.stop();
});

async function rig(opts: {
  transport: Transport;
  lanes?: SimLaneConfig[];
  dropSensor?: boolean;
  lift?: boolean;
  faults?: SimFault[];
  timing?: Partial<FafbTiming>;
  motorMs?: number;
  reportDispensing?: boolean;
}): Promise<Rig> {
  const r = await startRig(opts);
  rigs.push(r);
  return r;
}

for (const transport of TRANSPORTS) {
  describe(
    `FAFB driver against the simulated board (${transport})`,
    { concurrency: true, timeout: 20_000 },
    () => {
      it('vends one item: delivered with the drop confirmed, exactly one motor run, stock decremented', async () => {
        const { driver, sim } = await rig({ transport });
        const outcome = await driver.vend(1, 'T1');
        assert.deepEqual(outcome, { kind: 'delivered', dropConfirmed: true });
        assert.equal(sim.motorRuns().length, 1);
        assert.equal(sim.motorRuns()[0]?.result, 'dispensed');
        assert.equal(sim.lanes().find((l) => l.lane === 1)?.stock, 2);
      });

      it('without a drop sensor a success only means the motor turned (dropConfirmed false)', async () => {
        const { driver } = await rig({ transport, dropSensor: false });
        assert.deepEqual(await driver.vend(1, 'T2'), { kind: 'delivered', dropConfirmed: false });
      });

      it('a jam (the motor turned, then stalled) is unverified, never a refund, and the lane reads jammed', async () => {
        const { driver, sim, events } = await rig({ transport, faults: [{ kind: 'jam', lane: 1 }] });
        const outcome = await driver.vend(1, 'T3');
        assert.equal(outcome.kind, 'unverified');
        assert.match(outcome.kind === 'unverified' ? outcome.reason : '', /jammed \(0x03\)/);
        assert.equal(sim.motorRuns()[0]?.result, 'jammed');
        assert.equal(sim.lanes().find((l) => l.lane === 1)?.stock, 3);
        assert.ok(events.some((e) => e.type === 'fault' && e.lane === 1));
        assert.equal((await driver.laneStatus(1)).state, 'jammed');
      });

      for (const [kind, expected, pattern, runs] of [
        ['motor_not_stop', 'unverified', /motor doesn't stop normally \(0x04\)/, 1],
        ['motor_missing', 'not_delivered', /motor doesn't exist \(0x06\)/, 0],
        ['elevator_error', 'unverified', /elevator error \(0x07\)/, 1],
      ] as const) {
        it(`${kind} → ${expected} (${runs} motor runs)`, async () => {
          const { driver, sim } = await rig({ transport, faults: [{ kind, lane: 1 }] });
          const outcome = await driver.vend(1, `T-${kind}`);
          assert.equal(outcome.kind, expected);
          assert.match('reason' in outcome ? outcome.reason : '', pattern);
          assert.equal(sim.motorRuns().length, runs);
        });
      }

      it('motor ran but the drop sensor saw nothing → unverified, never delivered', async () => {
        const { driver, sim } = await rig({ transport, faults: [{ kind: 'no_drop', lane: 1 }] });
        const outcome = await driver.vend(1, 'T4');
        assert.equal(outcome.kind, 'unverified');
        assert.equal(sim.motorRuns().length, 1);
        assert.equal(sim.motorRuns()[0]?.dropSeen, false);
      });

      it('an empty lane is refused by the board: not_delivered, and no motor runs', async () => {
        const { driver, sim } = await rig({ transport });
        const outcome = await driver.vend(2, 'T5');
        assert.equal(outcome.kind, 'not_delivered');
        assert.match(outcome.kind === 'not_delivered' ? outcome.reason : '', /out of stock/);
        assert.equal(sim.motorRuns().length, 0);
      });

      it('board goes silent mid-vend → unverified (never success), link reported down', async () => {
        const { driver, sim, events } = await rig({
          transport,
          faults: [{ kind: 'reboot_mid_vend', lane: 1, downMs: 800 }],
        });
        const outcome = await driver.vend(1, 'T6');
        assert.equal(outcome.kind, 'unverified');
        assert.equal(sim.motorRuns().length, 1);
        assert.ok(events.some((e) => e.type === 'link' && e.state === 'down'));
        await untilLinkUp(driver);
        // After the reboot the board is served again.
        assert.deepEqual(await driver.vend(1, 'T6b'), { kind: 'delivered', dropConfirmed: true });
      });

      it('a lost ACK makes the driver resend the vend with the same PackNO, and the motor runs once', async () => {
        // A board that reports only the final status: the POLLs in between trigger the retransmissions.
        // The motor outlasts the resends: a final status that came before the ACK could not be attributed.
        const { driver, sim } = await rig({ transport, motorMs: 1000, reportDispensing: false });
        // The vend's ACKs, not those of the selection check before it: armed when the board reads the check.
        const off = sim.onEvent((e) => {
          if (e.type === 'command' && e.cmd === 0x01) {
            off();
            sim.setFault({ kind: 'drop_ack', times: 2 });
          }
        });
        const outcome = await driver.vend(1, 'T7');
        assert.deepEqual(outcome, { kind: 'delivered', dropConfirmed: true });
        assert.equal(sim.motorRuns().length, 1);
        // Two ACKs were lost, so at least two resends; a slow line may add more. Every resend reached the
        // board as a duplicate of the same PackNO, never as a new command.
        assert.ok(driver.stats().retransmits >= 2, `retransmits: ${driver.stats().retransmits}`);
        assert.equal(sim.stats().duplicateCommands, driver.stats().retransmits);
      });

      it('board retransmissions and duplicate PackNOs are ACKed but acted on once', async () => {
        const { driver, sim } = await rig({
          transport,
          faults: [
            { kind: 'lose_host_ack', times: 3 },
            { kind: 'duplicate_packno', times: 4 },
          ],
        });
        assert.deepEqual(await driver.vend(1, 'T8'), { kind: 'delivered', dropConfirmed: true });
        assert.deepEqual(await driver.vend(1, 'T9'), { kind: 'delivered', dropConfirmed: true });
        assert.equal(sim.motorRuns().length, 2);
        assert.ok(driver.stats().duplicatesIgnored >= 3);
      });

      it('corrupted frames are dropped by the XOR check and the vend still completes once', async () => {
        const { driver, sim } = await rig({ transport, faults: [{ kind: 'corrupt_xor', times: 6 }] });
        assert.deepEqual(await driver.vend(1, 'T10'), { kind: 'delivered', dropConfirmed: true });
        assert.equal(sim.motorRuns().length, 1);
        assert.ok(driver.stats().badXor >= 1);
      });

      it('lane status maps the board answer; machine status reads door and temperature', async () => {
        const { driver, sim } = await rig({
          transport,
          lift: true,
          faults: [{ kind: 'door_open', open: true }],
        });
        assert.deepEqual(await driver.laneStatus(1), { lane: 1, state: 'ok', detail: 'normal (0x01)' });
        assert.equal((await driver.laneStatus(2)).state, 'empty');
        assert.equal((await driver.laneStatus(9)).state, 'missing');
        const m = await driver.machineStatus();
        assert.equal(m.doorOpen, true);
        assert.equal(m.temperatureC, 4);
        assert.equal(m.lift, 'door_open');
        sim.clearFaults();
        assert.equal((await driver.machineStatus()).doorOpen, false);
      });

      it('slow board replies (150 ms per frame) still give one delivered vend', async () => {
        const { driver, sim } = await rig({ transport, faults: [{ kind: 'slow_replies', delayMs: 150 }] });
        assert.deepEqual(await driver.vend(1, 'T11'), { kind: 'delivered', dropConfirmed: true });
        assert.equal(sim.motorRuns().length, 1);
      });

      it("a board silent past the vend's deadline never gets the vend: not_delivered, and no motor runs", async () => {
        // The lane check ends unanswered after statusTimeoutMs (1 s), past the 0.5 s allowed to ask again.
        const { driver, sim } = await rig({ transport, timing: { laneCheckWithinMs: 500 } });
        sim.setFault({ kind: 'silence', ms: 4000 });
        // Once the driver has seen the silence, no POLL is left in flight on the line to carry the command.
        await new Promise<void>((resolve) => {
          const off = driver.onEvent((e) => e.type === 'link' && e.state === 'down' && (off(), resolve()));
        });
        const outcome = await driver.vend(1, 'T12');
        assert.equal(outcome.kind, 'not_delivered');
        assert.match(outcome.kind === 'not_delivered' ? outcome.reason : '', /the vend was not sent/);
        assert.equal(sim.motorRuns().length, 0);
        assert.equal(sim.stats().commandsReceived, 0);
      });

      it('a vend asked while the board is silent waits for it: delivered once it POLLs again, one motor run', async () => {
        const { driver, sim } = await rig({ transport });
        sim.setFault({ kind: 'silence', ms: 1500 });
        await new Promise<void>((resolve) => {
          const off = driver.onEvent((e) => e.type === 'link' && e.state === 'down' && (off(), resolve()));
        });
        assert.deepEqual(await driver.vend(1, 'T12b'), { kind: 'delivered', dropConfirmed: true });
        assert.equal(sim.motorRuns().length, 1);
      });

      it('a board reset while the lane check is out: the check is asked again and the sale goes through', async () => {
        const { driver, sim } = await rig({ transport });
        let resets = 0;
        sim.onEvent((e) => {
          // The board restarts as it reads the first lane check, before it can answer it.
          if (e.type === 'command' && e.cmd === 0x01 && resets++ === 0) sim.reboot(300);
        });
        assert.deepEqual(await driver.vend(1, 'T12c'), { kind: 'delivered', dropConfirmed: true });
        assert.equal(resets, 2, 'the lane was checked again after the reset');
        assert.equal(sim.motorRuns().length, 1);
      });

      it("a vend right after start-up, behind the board's 0x11 answers for 60 lanes, is delivered", async () => {
        const lanes = Array.from({ length: 60 }, (_, i) => ({ lane: i + 1, stock: 2 }));
        const { driver, sim } = await rig({ transport, lanes });
        assert.deepEqual(await driver.vend(60, 'T12d'), { kind: 'delivered', dropConfirmed: true });
        assert.equal(sim.motorRuns().length, 1);
      });

      it("a quick reboot mid-vend (link never seen down) ends unverified at the board's 0x31, never resent", async () => {
        const { driver, sim, events } = await rig({
          transport,
          faults: [{ kind: 'reboot_mid_vend', lane: 1, downMs: 150 }],
          // A result timeout this test would outlive: the outcome has to come from the restart itself.
          timing: { vendResultTimeoutMs: 60_000, linkDownAfterMs: 5000 },
        });
        const rebooted = new Promise<void>((resolve) => sim.onEvent((e) => e.type === 'reboot' && resolve()));
        const outcome = await driver.vend(1, 'T13');
        await rebooted;
        assert.equal(outcome.kind, 'unverified');
        assert.match(outcome.kind === 'unverified' ? outcome.reason : '', /board restarted/);
        assert.ok(
          !events.some((e) => e.type === 'link' && e.state === 'down'),
          'the link was never seen down',
        );
        assert.deepEqual(
          sim.motorRuns().map((r) => r.result),
          ['interrupted'],
          'the rebooted board was never sent the vend again',
        );
      });

      it('under random transport faults no vend runs the motor twice and no failed run is called delivered', async () => {
        const { driver, sim } = await rig({
          transport,
          lanes: [{ lane: 1, stock: 50 }],
          faults: [{ kind: 'random', rate: 0.15, seed: 7 }],
        });
        const outcomes = [];
        for (let i = 0; i < 15; i++) outcomes.push(await driver.vend(1, `R${i}`));
        const runs = sim.motorRuns();
        assert.ok(runs.length <= outcomes.length, `${runs.length} motor runs for ${outcomes.length} vends`);
        const delivered = outcomes.filter((o) => o.kind === 'delivered').length;
        assert.ok(delivered >= 10, `most vends get through (${delivered}/15)`);
        assert.ok(delivered <= runs.filter((r) => r.result === 'dispensed').length);
        assert.equal(sim.lanes()[0]?.stock, 50 - runs.length);
        for (const o of outcomes) assert.ok(o.kind !== 'not_delivered' || !/jam/.test(o.reason));
      });

      it('maintenance: set stock and capacity, read lane info back, change the poll interval', async () => {
        const { driver, sim } = await rig({ transport });
        assert.equal(await driver.setStock(2, 7), true);
        assert.equal(await driver.setCapacity(2, 9), true);
        assert.deepEqual(
          sim.lanes().find((l) => l.lane === 2),
          { lane: 2, stock: 7, capacity: 9, dropSensor: true, paused: false },
        );
        const info = await driver.readLaneInfo(2);
        assert.equal(info?.stock, 7);
        assert.equal(info?.capacity, 9);
        assert.equal(await driver.setPollInterval(100), true);
        assert.deepEqual(await driver.vend(2, 'T14'), { kind: 'delivered', dropConfirmed: true });
        await assert.rejects(driver.setStock(2, 300), { name: 'FafbDispenserError' });
        await assert.rejects(driver.setPollInterval(50), { name: 'FafbDispenserError' });
      });

      it('the technician\'s "fully loaded" button reaches the agent as an event', async () => {
        const { driver, sim } = await rig({ transport });
        const seen = new Promise<void>((resolve) =>
          driver.onEvent((e) => e.type === 'fully_loaded' && resolve()),
        );
        sim.pressFullyLoaded();
        await seen;
        assert.equal((await driver.laneStatus(2)).state, 'ok');
      });

      it('a bad lane number is a programming error: rejected before anything is sent', async () => {
        const { driver, sim } = await rig({ transport });
        await assert.rejects(driver.vend(0, 'bad'), { name: 'FafbDispenserError' });
        await assert.rejects(driver.vend(1.5, 'bad'), { name: 'FafbDispenserError' });
        assert.equal(sim.stats().commandsReceived, 0);
      });
    },
  );
}
