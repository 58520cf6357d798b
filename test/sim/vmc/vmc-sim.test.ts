// The simulated board on its own, driven byte by byte: it must behave like the protocol document says,
// because the driver's tests are only as good as the board they run against.
import assert from 'node:assert/strict';
import type { Duplex } from 'node:stream';
import { after, describe, it } from 'node:test';
import { ACK_FRAME, FafbDecoder, encodeFrame } from '../../../app/dispenser/index.ts';
import type { FafbFrame } from '../../../app/dispenser/index.ts';
import { createMemoryLine, parseFaultSpec, startVmcSim } from '../../../sim/vmc/index.ts';
import type { VmcSim } from '../../../sim/vmc/index.ts';

const sims: VmcSim[] = [];
after(async () => {
  for (const s of sims) await s.close();
});

/** A hand-driven upper computer: records every frame the board sends. */
async function harness(answer: (f: FafbFrame, host: Duplex) => void) {
  const line = createMemoryLine();
  const sim = startVmcSim({
    stream: line.board,
    lanes: [{ lane: 5, stock: 1 }],
    pollIntervalMs: 15,
    motorMs: 30,
  });
  sims.push(sim);
  const host = await line.openHost();
  const frames: FafbFrame[] = [];
  const decoder = new FafbDecoder();
  host.on('data', (c: Buffer) => {
    for (const f of decoder.push(c)) {
      frames.push(f);
      answer(f, host);
    }
  });
  const until = async (pred: () => boolean) => {
    const deadline = Date.now() + 10_000;
    while (!pred()) {
      if (Date.now() > deadline) throw new Error('condition not reached in 10 s');
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  return { sim, host, frames, until };
}

const vend = (packNo: number, lane: number) =>
  encodeFrame(0x06, packNo, Buffer.from([1, 0, lane >> 8, lane & 0xff]));

/** An upper computer that answers the first POLL with one vend on lane 5 and ACKs everything after. */
function vendOnceThenAck(): (f: FafbFrame, host: Duplex) => void {
  let sent = false;
  return (f, host) => {
    if (f.cmd === 0x41) {
      host.write(sent ? ACK_FRAME : vend(9, 5));
      sent = true;
    } else if (f.packNo !== null) host.write(ACK_FRAME);
  };
}

describe('VMC simulator protocol', { timeout: 20_000 }, () => {
  it('POLLs, takes a vend in answer to a POLL, ACKs it, and reports dispensing then success', async () => {
    const h = await harness(vendOnceThenAck());
    await h.until(() => h.frames.filter((f) => f.cmd === 0x04).length >= 2);
    const statuses = h.frames.filter((f) => f.cmd === 0x04).map((f) => [...f.text]);
    assert.deepEqual(statuses, [
      [0x01, 0, 5],
      [0x02, 0, 5],
    ]);
    assert.ok(
      h.frames.some((f) => f.cmd === 0x42),
      'the vend was ACKed',
    );
    assert.equal(h.sim.motorRuns().length, 1);
  });

  it('a repeated host PackNO is ACKed again but never runs the motor twice', async () => {
    let polls = 0;
    const h = await harness((f, host) => {
      if (f.cmd === 0x41) host.write(polls++ < 3 ? vend(4, 5) : ACK_FRAME);
      else if (f.packNo !== null) host.write(ACK_FRAME);
    });
    await h.until(() => h.frames.filter((f) => f.cmd === 0x04).length >= 2 && polls > 3);
    assert.equal(h.frames.filter((f) => f.cmd === 0x42).length, 3);
    assert.equal(h.sim.motorRuns().length, 1);
    assert.equal(h.sim.stats().duplicateCommands, 2);
  });

  it('an unacknowledged data packet is resent with the same PackNO 5 times, then dropped', async () => {
    let sent = false;
    const h = await harness((f, host) => {
      if (f.cmd === 0x41) {
        host.write(sent ? ACK_FRAME : encodeFrame(0x01, 1, Buffer.from([0, 5])));
        sent = true;
      } else if (f.cmd === 0x31) host.write(ACK_FRAME); // only the power-up sync is ACKed
    });
    await h.until(() => h.sim.stats().droppedPackets === 1);
    const reports = h.frames.filter((f) => f.cmd === 0x02);
    assert.equal(reports.length, 6);
    assert.equal(new Set(reports.map((f) => f.packNo)).size, 1);
    assert.deepEqual([...(reports[0]?.text ?? [])], [0x01, 0, 5]);
  });

  it('hold_motor keeps the motor turning until released: "01 dispensing" first, the run and its report after', async () => {
    const h = await harness(vendOnceThenAck());
    h.sim.setFault({ kind: 'hold_motor', lane: 5 });
    const held = new Promise<void>((resolve) => {
      const off = h.sim.onEvent((e) => {
        if (e.type !== 'motor_held') return;
        off();
        resolve();
      });
    });
    await held;
    await h.until(() => h.frames.some((f) => f.cmd === 0x04 && f.text[0] === 0x01));
    assert.equal(h.sim.motorRuns().length, 0, 'still turning');
    assert.equal(h.sim.releaseMotor(), true);
    assert.equal(h.sim.releaseMotor(), false, 'nothing left to release');
    await h.until(() => h.frames.some((f) => f.cmd === 0x04 && f.text[0] === 0x02));
    assert.deepEqual(
      h.sim.motorRuns().map((r) => [r.lane, r.result, r.dropSeen]),
      [[5, 'dispensed', true]],
    );
  });

  it('a direct drive of an empty or unknown lane ends the purchase (0x04 FF) and runs no motor', async () => {
    const script = [vend(1, 5)];
    const h = await harness((f, host) => {
      if (f.cmd === 0x41) host.write(script.shift() ?? ACK_FRAME);
      else if (f.packNo !== null) host.write(ACK_FRAME);
    });
    await h.until(() => h.frames.some((f) => f.cmd === 0x04 && f.text[0] === 0x02));
    script.push(vend(2, 5), vend(3, 77)); // lane 5 is now empty; lane 77 does not exist
    await h.until(() => h.frames.filter((f) => f.cmd === 0x04 && f.text[0] === 0xff).length >= 2);
    assert.deepEqual(
      h.frames.filter((f) => f.cmd === 0x04 && f.text[0] === 0xff).map((f) => [...f.text]),
      [
        [0xff, 0, 5],
        [0xff, 0, 77],
      ],
    );
    assert.equal(h.sim.motorRuns().length, 1, 'only the first vend (stock 1) ran');
  });

  it('announces power-up with 0x31, resent past 5 times until ACKed, and again after every reboot', async () => {
    let ackSyncs = false;
    const h = await harness((f, host) => {
      if (f.cmd === 0x41) host.write(ACK_FRAME);
      else if (f.cmd === 0x31 && ackSyncs) host.write(ACK_FRAME);
    });
    await h.until(() => h.frames.filter((f) => f.cmd === 0x31).length >= 8);
    assert.equal(h.frames[0]?.cmd, 0x31, 'the first thing a board says is its sync');
    assert.ok(!h.frames.some((f) => f.cmd === 0x41), 'no POLL before the sync is ACKed');
    ackSyncs = true;
    await h.until(() => h.frames.some((f) => f.cmd === 0x41));
    const before = h.frames.length;
    const up = new Promise<void>((resolve) => h.sim.onEvent((e) => e.type === 'power_up' && resolve()));
    h.sim.reboot(200);
    await up;
    await h.until(() => h.frames.slice(before).some((f) => f.cmd === 0x31));
    const after = h.frames.slice(before).filter((f) => f.cmd === 0x31 || f.cmd === 0x41);
    assert.equal(after.find((f) => f.cmd === 0x31)?.packNo, 1, 'a rebooted board numbers from 1 again');
  });

  it('0x03 "select to buy" dispenses and reports with 0x04, like the document says', async () => {
    let sent = false;
    const h = await harness((f, host) => {
      if (f.cmd === 0x41) {
        host.write(sent ? ACK_FRAME : encodeFrame(0x03, 7, Buffer.from([0, 5])));
        sent = true;
      } else if (f.packNo !== null) host.write(ACK_FRAME);
    });
    await h.until(() => h.frames.some((f) => f.cmd === 0x04 && f.text[0] === 0x02));
    assert.deepEqual(
      h.frames.filter((f) => f.cmd === 0x04).map((f) => [...f.text]),
      [
        [0x01, 0, 5],
        [0x02, 0, 5],
      ],
    );
    assert.ok(!h.frames.some((f) => f.cmd === 0x02), 'no selection status in answer to a purchase');
    assert.deepEqual(
      h.sim.motorRuns().map((r) => [r.lane, r.result, r.hostPackNo]),
      [[5, 'dispensed', 7]],
    );
  });

  for (const [at, runs] of [
    ['before_ack', ['interrupted']],
    ['after_ack', []],
    ['motor', ['interrupted']],
    ['before_result', ['dispensed']],
  ] as const) {
    it(`reboot_mid_vend at ${at}: motor record ${JSON.stringify(runs)}, no final status, 0x31 after`, async () => {
      let sent = false;
      const h = await harness((f, host) => {
        if (f.cmd === 0x41) {
          host.write(sent ? ACK_FRAME : vend(3, 5));
          sent = true;
        } else if (f.packNo !== null) host.write(ACK_FRAME);
      });
      h.sim.setFault({ kind: 'reboot_mid_vend', lane: 5, downMs: 200, at });
      const up = new Promise<void>((resolve) => h.sim.onEvent((e) => e.type === 'power_up' && resolve()));
      await up;
      await h.until(() => h.frames.filter((f) => f.cmd === 0x31).length >= 2);
      assert.deepEqual(
        h.sim.motorRuns().map((r) => r.result),
        runs,
      );
      assert.ok(
        !h.frames.some((f) => f.cmd === 0x04 && f.text[0] !== 0x01),
        'no final status left the board',
      );
      const acked = h.frames.some((f) => f.cmd === 0x42);
      assert.equal(acked, at !== 'before_ack', 'the vend was ACKed unless the board died first');
    });
  }

  it('fault specs from the command line are validated with clear errors', () => {
    assert.deepEqual(parseFaultSpec('jam:3:2'), { kind: 'jam', lane: 3, times: 2 });
    assert.deepEqual(parseFaultSpec('random:0.1:42'), { kind: 'random', rate: 0.1, seed: 42 });
    assert.throws(() => parseFaultSpec('jam:x'), { name: 'SimFaultError', message: /lane must be a number/ });
    assert.throws(() => parseFaultSpec('random:7'), { name: 'SimFaultError' });
    assert.throws(() => parseFaultSpec('meteor'), { name: 'SimFaultError', message: /unknown fault/ });
    assert.deepEqual(parseFaultSpec('reboot_mid_vend:2:1:300:before_ack'), {
      kind: 'reboot_mid_vend',
      lane: 2,
      times: 1,
      downMs: 300,
      at: 'before_ack',
    });
    assert.throws(() => parseFaultSpec('reboot_mid_vend:2:1:300:lunch'), { message: /at must be one of/ });
    assert.deepEqual(parseFaultSpec('late_selection_status:2'), { kind: 'late_selection_status', status: 2 });
  });
  it('0x16 sets the POLL interval in units of 100 ms within 100 ms – 2 s, ACKed; other values are kept out; a restart forgets it', async () => {
    const asked = [0, 21, 1, 3];
    const h = await harness((f, host) => {
      const units = asked[0];
      if (f.cmd === 0x41 && units !== undefined) {
        host.write(encodeFrame(0x16, 10 + asked.length, Buffer.from([units])));
      } else if (f.cmd === 0x42) {
        asked.shift();
      } else if (f.packNo !== null) host.write(ACK_FRAME);
    });
    const changes: number[] = [];
    h.sim.onEvent((e) => e.type === 'poll_interval' && changes.push(e.ms));
    await h.until(() => asked.length === 0);
    // 0 and 21 are outside the document's range: ACKed, not applied.
    assert.deepEqual(changes, [100, 300]);
    assert.equal(h.sim.stats().pollIntervalMs, 300);
    h.sim.reboot(50);
    assert.equal(h.sim.stats().pollIntervalMs, 15, 'back to its power-on interval');
  });
});
