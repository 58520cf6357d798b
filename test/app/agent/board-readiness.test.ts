// While a customer pays, the board gets ready for the vend, end to end over a socat PTY: the agent's wiring
// feeds order changes to the POLL pace (the FAFB driver sends 0x16, vmc-sim changes the interval it POLLs
// at) and checks the order's lanes when the QR code is shown, so the vend after the payment needs no check.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { AgentConfig } from '../../../app/agent/agent-config.ts';
import { readyBoardWhilePaying } from '../../../app/agent/board-readiness.ts';
import type { OrderRow, OrderState } from '../../../app/store/index.ts';
import { BOARD_PACE_TIMING, nextSimEvent, startRig } from '../../helpers/fafb-rig.ts';
import type { Rig } from '../../helpers/fafb-rig.ts';

const rigs: Rig[] = [];
after(async () => {
  for (const r of rigs) await r.stop();
});

/** The sale service as the wiring sees it: order changes, pushed. */
function salesFeed() {
  const listeners = new Set<(order: OrderRow) => void>();
  return {
    onChange(listener: (order: OrderRow) => void) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    order(outTradeNo: string, state: OrderState, lanes: number[] = [1]) {
      const items = lanes.map((lane) => ({ lane }));
      for (const l of listeners) l({ outTradeNo, state, items } as unknown as OrderRow);
    },
  };
}

const dispenserConfig = (pollPace: AgentConfig['dispenser']['pollPace']) =>
  ({ driver: 'fafb', path: '/dev/null', pollPace }) as AgentConfig['dispenser'];

/** The commands the board received, by command byte, in order. */
function commandsOf(r: Rig): number[] {
  const commands: number[] = [];
  r.sim.onEvent((e) => e.type === 'command' && !e.duplicate && commands.push(e.cmd));
  return commands;
}

describe('the board made ready while the customer pays, over a socat PTY', { timeout: 30_000 }, () => {
  it('the board POLLs at 200 ms idle, 100 ms from the QR code to the end of the vend, then 200 ms again', async () => {
    const r = await startRig({ transport: 'socat PTY', pollIntervalMs: 500, timing: BOARD_PACE_TIMING });
    rigs.push(r);
    const sales = salesFeed();
    const idle = nextSimEvent(r.sim, 'poll_interval', (e) => e.ms === 200);
    const stop = readyBoardWhilePaying(
      dispenserConfig({ openMs: 100, idleMs: 200, idleAfterMs: 0 }),
      r.driver,
      sales,
      () => {},
    );
    assert.ok(stop);
    await idle; // set at start: a board keeps what an earlier agent set
    const fast = nextSimEvent(r.sim, 'poll_interval', (e) => e.ms === 100);
    sales.order('A', 'awaiting_payment');
    await fast;
    assert.equal(r.sim.stats().pollIntervalMs, 100);
    for (const state of ['paid', 'vending'] as const) sales.order('A', state);
    const slow = nextSimEvent(r.sim, 'poll_interval', (e) => e.ms === 200);
    sales.order('A', 'completed');
    await slow;
    assert.equal(r.sim.stats().pollIntervalMs, 200);
    stop();
  });

  it("the order's lanes are checked while the customer pays; the vend then goes out without its own check", async () => {
    const r = await startRig({ transport: 'socat PTY', lanes: [{ lane: 1, stock: 5 }] });
    rigs.push(r);
    const commands = commandsOf(r);
    const sales = salesFeed();
    const lines: string[] = [];
    let heard = (): void => {};
    const stop = readyBoardWhilePaying(dispenserConfig(false), r.driver, sales, (line) => {
      lines.push(line);
      heard();
    });
    const checked = new Promise<void>((resolve) => (heard = () => lines.length > 0 && resolve()));
    sales.order('A', 'awaiting_payment', [1, 1]);
    await checked;
    assert.deepEqual(lines, ['lane 1 checked while the customer pays: ok'], 'one check per lane');
    commands.length = 0;
    assert.deepEqual(await r.driver.vend(1, 'A1'), { kind: 'delivered', dropConfirmed: true });
    assert.deepEqual(commands, [0x06], 'no lane check of its own: the one made while paying was fresh');
    // Used once: the lane's stock changed with the vend, so the next vend on it asks the board again.
    assert.deepEqual(await r.driver.vend(1, 'A2'), { kind: 'delivered', dropConfirmed: true });
    assert.deepEqual(commands, [0x06, 0x01, 0x06]);
    assert.equal(r.sim.motorRuns().length, 2);
    stop?.();
  });

  it('a board restart after the check makes the vend check again; pollPace false sends no 0x16', async () => {
    const r = await startRig({ transport: 'socat PTY', pollIntervalMs: 300, timing: BOARD_PACE_TIMING });
    rigs.push(r);
    const commands = commandsOf(r);
    const stop = readyBoardWhilePaying(dispenserConfig(false), r.driver, salesFeed(), () => {});
    await r.driver.laneStatus(1);
    const restartSeen = new Promise<void>((resolve) =>
      r.driver.onEvent((e) => e.type === 'fault' && e.detail.startsWith('board restarted') && resolve()),
    );
    r.sim.reboot(200);
    await restartSeen;
    commands.length = 0;
    assert.deepEqual(await r.driver.vend(1, 'B1'), { kind: 'delivered', dropConfirmed: true });
    assert.equal(commands.filter((c) => c === 0x01).length, 1, 'checked again after the restart');
    assert.equal(r.sim.stats().pollIntervalMs, 300);
    assert.ok(!commands.includes(0x16));
    stop?.();
  });
});
