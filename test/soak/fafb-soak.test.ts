// A seeded randomized soak of the 0xFA 0xFB driver against vmc-sim (issue 8): vends under random board
// resets at random points, lost / duplicated / corrupted frames, stale replies and replugs, judged by
// vmc-sim's motor-run record. Zero violations of the three rules is the only pass.
//
//   npm test                  a short run (60 vends, resets 0.2–0.8 s), a new seed each time
//   npm run soak              the long run: 2,000 vends, resets 0.2–3 s
//   FAFB_SOAK_SEED=123 npm run soak    replays one run (the seed is printed first)
//   FAFB_SOAK_VENDS, FAFB_SOAK_BOARDS, FAFB_SOAK_MAX_RESET_MS   size it
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { VendOutcome } from '../../app/dispenser/index.ts';
import { seededRandom } from '../../sim/vmc/index.ts';
import type { RebootPoint, SimFault } from '../../sim/vmc/index.ts';
import { startRig } from '../helpers/fafb-rig.ts';
import type { Rig } from '../helpers/fafb-rig.ts';

const env = (name: string, fallback: number): number => {
  const v = Number(process.env[name]);
  return Number.isInteger(v) && v > 0 ? v : fallback;
};
const SEED = env('FAFB_SOAK_SEED', Math.floor(Math.random() * 2 ** 31));
const VENDS = env('FAFB_SOAK_VENDS', 60);
const BOARDS = env('FAFB_SOAK_BOARDS', 4);
const MAX_RESET_MS = env('FAFB_SOAK_MAX_RESET_MS', 800);
const LANES = 8;

const POINTS: readonly RebootPoint[] = ['before_ack', 'after_ack', 'motor', 'before_result'];

interface Tally {
  vends: number;
  delivered: number;
  notDelivered: number;
  unverified: number;
  resets: number;
  replugs: number;
  staleReplies: number;
  /** Why vends ended other than delivered, counted (the reason without its numbers). */
  reasons: Record<string, number>;
}

/** One board's share of the soak: vends one after another, with faults drawn from the seeded generator. */
async function soakBoard(board: number, vends: number, tally: Tally): Promise<string[]> {
  const random = seededRandom(SEED + board * 7919);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;
  const between = (lo: number, hi: number): number => Math.floor(lo + random() * (hi - lo));
  const r: Rig = await startRig({
    transport: 'in-memory line',
    lanes: Array.from({ length: LANES }, (_, i) => ({ lane: i + 1, stock: 250 })),
    motorMs: 60,
    timing: { reopenAfterSilenceMs: 700 },
    faults: [{ kind: 'random', rate: 0.02, seed: SEED + board }],
  });
  rigs.push(r);
  const outcomes = new Map<string, VendOutcome>();
  const pending = new Set<NodeJS.Timeout>();
  const at = (ms: number, fn: () => void): void => {
    const t = setTimeout(() => {
      pending.delete(t);
      fn();
    }, ms);
    pending.add(t);
  };
  r.sim.onEvent((e) => e.type === 'reboot' && tally.resets++);
  r.sim.onEvent((e) => e.type === 'stale_reply' && tally.staleReplies++);
  for (let i = 0; i < vends; i++) {
    const lane = between(1, LANES + 1);
    const txn = `B${board}-V${i}`;
    const roll = random();
    const faults: SimFault[] = [];
    if (roll < 0.12) {
      faults.push({
        kind: 'reboot_mid_vend',
        lane,
        at: pick(POINTS),
        downMs: between(200, MAX_RESET_MS),
      });
    } else if (roll < 0.2) {
      faults.push({
        kind: pick(['jam', 'no_drop', 'motor_not_stop', 'motor_missing', 'elevator_error']),
        lane,
      });
    } else if (roll < 0.25) {
      faults.push({ kind: 'repeat_old_status' });
    } else if (roll < 0.3) {
      faults.push({ kind: 'duplicate_packno', times: between(1, 4) });
    } else if (roll < 0.36) {
      // A reset at a random moment, whatever the board is doing.
      const downMs = between(200, MAX_RESET_MS);
      at(between(0, 250), () => r.sim.reboot(downMs));
    } else if (roll < 0.4) {
      // Unplugged for a while: the driver sees silence, closes and reopens the port.
      const line = r.cable.line;
      if (line) {
        at(between(0, 200), () => {
          line.unplug();
          tally.replugs++;
          at(between(100, 1500), () => line.plug());
        });
      }
    }
    if (faults.length > 0) r.sim.setFault(faults);
    if (random() < 0.05) {
      // A lane query the board answers late (only when the next vend arrives): the stale-0x02 case.
      r.sim.setFault({ kind: 'late_selection_status', status: pick([0x01, 0x02, 0x04]) });
      await r.driver.laneStatus(lane);
    }
    const outcome = await r.driver.vend(lane, txn);
    outcomes.set(txn, outcome);
    tally.vends++;
    if (outcome.kind === 'delivered') tally.delivered++;
    else if (outcome.kind === 'not_delivered') tally.notDelivered++;
    else tally.unverified++;
    if (outcome.kind !== 'delivered') {
      const why = `${outcome.kind}: ${outcome.reason.replace(/\(.*$/, '').replace(/\d+/g, 'N').trim()}`;
      tally.reasons[why] = (tally.reasons[why] ?? 0) + 1;
    }
  }
  // The board must come back to plain service: a clean vend, which also outlasts any motor still turning.
  for (const t of pending) clearTimeout(t);
  r.cable.line?.plug();
  r.sim.clearFaults();
  let last: VendOutcome = { kind: 'unverified', reason: 'not tried' };
  for (let attempt = 0; attempt < 3 && last.kind !== 'delivered'; attempt++) {
    last = await r.driver.vend(1, `B${board}-final${attempt}`);
    outcomes.set(`B${board}-final${attempt}`, last);
  }
  assert.equal(last.kind, 'delivered', `board ${board} (seed ${SEED}) serves again after the soak`);
  return r.truth.violations(outcomes).map((v) => `board ${board}: ${v}`);
}

const rigs: Rig[] = [];
after(async () => {
  for (const r of rigs) await r.stop();
});

describe('FAFB soak', () => {
  it(`${VENDS} vends on ${BOARDS} boards under random faults: zero rule violations (seed ${SEED})`, async () => {
    console.log(
      `fafb soak: seed ${SEED}, ${VENDS} vends on ${BOARDS} boards, resets 200–${MAX_RESET_MS} ms ` +
        `(replay: FAFB_SOAK_SEED=${SEED} FAFB_SOAK_VENDS=${VENDS} FAFB_SOAK_BOARDS=${BOARDS} FAFB_SOAK_MAX_RESET_MS=${MAX_RESET_MS})`,
    );
    const tally: Tally = {
      vends: 0,
      delivered: 0,
      notDelivered: 0,
      unverified: 0,
      resets: 0,
      replugs: 0,
      staleReplies: 0,
      reasons: {},
    };
    const per = Math.ceil(VENDS / BOARDS);
    const results = await Promise.all(
      Array.from({ length: BOARDS }, (_, b) => soakBoard(b, Math.min(per, VENDS - b * per), tally)),
    );
    console.log(`fafb soak: ${JSON.stringify(tally)}`);
    assert.deepEqual(results.flat(), [], `violations (seed ${SEED})`);
    assert.ok(tally.delivered > tally.vends / 3, `most vends still get through: ${JSON.stringify(tally)}`);
  });
});
