// Fuzzing the 0xFA 0xFB layer: line noise into the decoder and into a live driver. Seeded, so a failure
// replays; FAFB_FUZZ_ROUNDS raises the effort for a long run.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ACK_FRAME,
  FafbDecoder,
  POLL_FRAME,
  createFafbDispenser,
  decodeFrames,
  encodeFrame,
} from '../../app/dispenser/index.ts';
import { createMemoryLine } from '../../sim/vmc/index.ts';

const ROUNDS = Number(process.env.FAFB_FUZZ_ROUNDS ?? 400);

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Noise biased toward what confuses a framer: STX bytes, plausible LENs, real frames with a flipped bit. */
function noise(r: () => number, n: number): Buffer {
  const out: number[] = [];
  while (out.length < n) {
    const pick = r();
    if (pick < 0.2) out.push(0xfa, 0xfb);
    else if (pick < 0.3) {
      const f = Buffer.from(
        r() < 0.5 ? POLL_FRAME : encodeFrame(0x04, Math.floor(r() * 256), Buffer.from([2, 0, 1])),
      );
      const at = Math.floor(r() * f.length);
      f[at] = (f[at] ?? 0) ^ (1 << Math.floor(r() * 8));
      out.push(...f);
    } else out.push(Math.floor(r() * 256));
  }
  return Buffer.from(out);
}

describe('FAFB fuzz', () => {
  it(`decoder: ${ROUNDS} rounds of noise never throw and only yield frames that are really in the input`, () => {
    const r = rng(2024);
    for (let round = 0; round < ROUNDS; round++) {
      const input = noise(r, 50 + Math.floor(r() * 400));
      const d = new FafbDecoder();
      for (let at = 0; at < input.length;) {
        const n = 1 + Math.floor(r() * 32);
        for (const f of d.push(input.subarray(at, at + n))) {
          const bytes = f.packNo === null ? encodeFrame(f.cmd) : encodeFrame(f.cmd, f.packNo, f.text);
          assert.ok(input.includes(bytes), `round ${round}: decoded a frame absent from the input`);
        }
        at += n;
      }
    }
  });

  it('driver: line noise never crashes it, and everything it writes is a well-formed frame', async () => {
    const line = createMemoryLine();
    const written: Buffer[] = [];
    line.board.on('data', (c: Buffer) => written.push(c));
    const driver = createFafbDispenser({
      openPort: () => line.openHost(),
      dropSensor: true,
      timing: {
        reopenAfterSilenceMs: 0,
        commandSendTimeoutMs: 200,
        vendResultTimeoutMs: 300,
        statusTimeoutMs: 200,
      },
    });
    const r = rng(7);
    const vend = driver.vend(1, 'FUZZ');
    for (let i = 0; i < Math.min(ROUNDS, 200); i++) {
      line.board.write(noise(r, 64));
      if (i % 10 === 0) line.board.write(POLL_FRAME);
      await new Promise((res) => setImmediate(res));
    }
    const outcome = await vend;
    // Noise may happen to carry a valid frame, but never a success for a vend nobody ran.
    assert.notEqual(outcome.kind, 'delivered');
    await driver.close();
    const all = Buffer.concat(written);
    const d = new FafbDecoder();
    const frames = d.push(all);
    assert.equal(d.stats.garbageBytes + d.stats.badXor, 0, 'the driver wrote a malformed byte');
    assert.ok(frames.length > 0);
    assert.ok(
      // ACKs, the start-up sync, and the selection check before the vend (noise may answer it, then the vend).
      frames.every((f) => [0x42, 0x31, 0x01, 0x06].includes(f.cmd)),
      'only ACKs, the sync, the lane check and the vend command',
    );
    assert.deepEqual(decodeFrames(ACK_FRAME)[0]?.cmd, 0x42);
  });

  it('driver: well-formed frames of any command, PackNO and text (restarts, stale replies) never crash it', async () => {
    const line = createMemoryLine();
    const written: Buffer[] = [];
    line.board.on('data', (c: Buffer) => written.push(c));
    const driver = createFafbDispenser({
      openPort: () => line.openHost(),
      dropSensor: true,
      timing: {
        reopenAfterSilenceMs: 0,
        commandSendTimeoutMs: 200,
        vendResultTimeoutMs: 300,
        statusTimeoutMs: 200,
      },
    });
    const r = rng(11);
    const cmds = [0x02, 0x04, 0x11, 0x17, 0x31, 0x52, 0x54, 0x21, 0x71, 0x99];
    const outcomes = [
      driver.vend(1, 'F1'),
      driver.vend(2, 'F2'),
      driver.laneStatus(1),
      driver.readLaneInfo(1),
    ];
    for (let i = 0; i < Math.min(ROUNDS, 300); i++) {
      const cmd = cmds[Math.floor(r() * cmds.length)] ?? 0x04;
      const text = Array.from({ length: Math.floor(r() * 6) }, () => Math.floor(r() * 256));
      if (r() < 0.5) text.splice(1, 2, 0, 1 + Math.floor(r() * 2)); // often about lane 1 or 2
      line.board.write(encodeFrame(cmd, Math.floor(r() * 256), Buffer.from(text)));
      line.board.write(r() < 0.5 ? POLL_FRAME : ACK_FRAME);
      await new Promise((res) => setImmediate(res));
    }
    await Promise.all(outcomes);
    await driver.close();
    const d = new FafbDecoder();
    d.push(Buffer.concat(written));
    assert.equal(d.stats.garbageBytes + d.stats.badXor, 0, 'the driver wrote a malformed byte');
  });
});
