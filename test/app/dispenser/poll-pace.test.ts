// The board's POLL pace follows the open orders: short from the QR code to the end of the vend, back to the
// idle pace once no order is open, without toggling between sales in a row.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PollPace } from '../../../app/dispenser/index.ts';

/** A pace whose board records each interval asked and acknowledges it (or not). */
function paced(opts: { idleAfterMs?: number; acks?: boolean } = {}) {
  const asked: number[] = [];
  const waiting: Array<{ n: number; resolve: () => void }> = [];
  const pace = new PollPace({
    openMs: 100,
    idleMs: 200,
    idleAfterMs: opts.idleAfterMs ?? 0,
    log: () => {},
    set: (ms) => {
      asked.push(ms);
      for (const w of [...waiting]) if (asked.length >= w.n) w.resolve();
      return Promise.resolve(opts.acks ?? true);
    },
  });
  /** Resolves once `n` intervals have been asked in all. */
  const untilAsked = (n: number) =>
    new Promise<void>((resolve) => (asked.length >= n ? resolve() : waiting.push({ n, resolve })));
  return { pace, asked, untilAsked };
}

describe('POLL pace', () => {
  it('sets the idle pace at start, the short one while an order is open, and the idle one after', async () => {
    const { pace, asked, untilAsked } = paced();
    assert.deepEqual(asked, [200]);
    pace.order('A', true);
    pace.order('A', true); // every change of an open order: asked once
    assert.deepEqual(asked, [200, 100]);
    pace.order('A', false);
    await untilAsked(3);
    assert.deepEqual(asked, [200, 100, 200]);
    pace.close();
  });

  it('stays short while any order is open, and a new sale before the slow-down keeps it short', async () => {
    const { pace, asked, untilAsked } = paced({ idleAfterMs: 60_000 });
    pace.order('A', true);
    pace.order('B', true);
    pace.order('A', false);
    pace.order('B', false); // the slow-down is 60 s away …
    pace.order('C', true); // … and a new customer cancels it
    assert.deepEqual(asked, [200, 100]);
    pace.order('unknown order', false); // an order never seen open changes nothing
    pace.close();
    pace.order('D', true); // closed: nothing more is sent
    assert.deepEqual(asked, [200, 100]);
    await untilAsked(2);
  });

  it('an interval the board did not acknowledge is asked again at the next change', async () => {
    const { pace, asked, untilAsked } = paced({ acks: false });
    await untilAsked(1);
    await Promise.resolve();
    pace.order('A', true);
    pace.order('A', false);
    await untilAsked(3);
    assert.deepEqual(asked, [200, 100, 200]);
    pace.close();
  });
});
