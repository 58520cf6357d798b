// The board's POLL pace follows the sales, end to end over a socat PTY: the agent's wiring feeds order
// changes to the pace, the FAFB driver sends 0x16, and vmc-sim changes the interval it POLLs at.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { AgentConfig } from '../../../app/agent/agent-config.ts';
import { pacePolls } from '../../../app/agent/poll-pace-wiring.ts';
import type { OrderRow, OrderState } from '../../../app/store/index.ts';
import { nextSimEvent, startRig } from '../../helpers/fafb-rig.ts';
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
    order(outTradeNo: string, state: OrderState) {
      for (const l of listeners) l({ outTradeNo, state } as OrderRow);
    },
  };
}

const dispenserConfig = (pollPace: AgentConfig['dispenser']['pollPace']) =>
  ({ driver: 'fafb', path: '/dev/null', pollPace }) as AgentConfig['dispenser'];

describe('POLL pace over a socat PTY', { timeout: 30_000 }, () => {
  it('the board POLLs at 200 ms idle, 100 ms from the QR code to the end of the vend, then 200 ms again', async () => {
    const r = await startRig({ transport: 'socat PTY', pollIntervalMs: 500 });
    rigs.push(r);
    const sales = salesFeed();
    const idle = nextSimEvent(r.sim, 'poll_interval', (e) => e.ms === 200);
    const stop = pacePolls(
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

  it('pollPace false never sends 0x16: the board keeps its own interval', async () => {
    const r = await startRig({ transport: 'socat PTY', pollIntervalMs: 300 });
    rigs.push(r);
    const commands: number[] = [];
    r.sim.onEvent((e) => e.type === 'command' && commands.push(e.cmd));
    const sales = salesFeed();
    assert.equal(
      pacePolls(dispenserConfig(false), r.driver, sales, () => {}),
      null,
    );
    sales.order('A', 'awaiting_payment');
    // A lane check is the next command to leave: had a 0x16 been queued, it would have gone first.
    await r.driver.laneStatus(1);
    assert.equal(r.sim.stats().pollIntervalMs, 300);
    assert.ok(commands.includes(0x01) && !commands.includes(0x16), `commands: ${commands.join(', ')}`);
  });
});
