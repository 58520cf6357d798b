// How the agent holds up over months, compressed: sales driven one after another through the rpc contract
// (checkout, pay, vend, settle) while the agent's RSS (/proc), V8 heap after a full GC (inspector protocol)
// and SQLite size (database + WAL) are sampled; the slope per 1,000 sales is a least-squares fit over the
// samples after warm-up. Target: a flat heap, and a database bounded by the retention policy.
import { connectInspector, INSPECT_ARG } from '../lib/inspector.ts';
import type { FigureSet } from '../lib/figures.ts';
import { rssMiB, sqliteBytes } from '../lib/proc.ts';
import { budget } from '../lib/budget.ts';
import { laneFor, startSellingKiosk, withPollPace } from '../lib/selling-kiosk.ts';
import type { Suite } from '../lib/suite.ts';

/** Least-squares slope of y over x. */
function slope(points: ReadonlyArray<readonly [number, number]>): number {
  const n = points.length;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  const sxy = points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0);
  const sxx = points.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  return sxx === 0 ? 0 : sxy / sxx;
}

function series(
  figures: FigureSet,
  key: string,
  label: string,
  unit: string,
  points: Array<[number, number]>,
): void {
  const last = points[points.length - 1]!;
  figures.value(`${key}_at_end`, `${label} after ${last[0]} sales`, unit, last[1]);
  // Warm-up (first sample) excluded: caches, JIT and the first WAL checkpoint are not growth.
  figures.value(
    `${key}_per_1000_sales`,
    `${label}: slope per 1,000 sales`,
    `${unit}/1000 sales`,
    slope(points.slice(1)) * 1000,
  );
}

export const footprintSuite: Suite = {
  name: 'footprint',
  title: "the agent's RSS, heap and SQLite size across many sales through the rpc contract",
  async run({ quick, figures, progress }) {
    // The 10,000 sales, or as many as fit the time allowed (reported as footprint.sales).
    const limit = budget({ env: 'BENCH_FOOTPRINT_SALES', quick: 10, full: 10_000, fullSeconds: 360 }, quick);
    // Eight samples after the first, at every eighth of the count or of the time, whichever comes first.
    const every = Math.max(10, Math.floor(limit.count / 8));
    const kiosk = await startSellingKiosk({
      sales: limit.count,
      // Time-scaled board: POLL every 5 ms (vmc-sim's shortest) and 5 ms motor runs, so that sales follow
      // each other quickly; memory and disk grow per sale, not per second.
      pollMs: 5,
      agentConfig: withPollPace(false), // keep the board's 5 ms (faster than 0x16 could set), to sell quickly
      motorMs: 5,
      agentLaunch: { nodeArgs: [INSPECT_ARG] },
    });
    const heap = await connectInspector(kiosk.stack.agent.log);
    const pid = kiosk.stack.agent.child.pid!;
    const rss: Array<[number, number]> = [];
    const used: Array<[number, number]> = [];
    const db: Array<[number, number]> = [];
    const sample = async (done: number) => {
      used.push([done, await heap.usedHeapAfterGcMiB()]);
      rss.push([done, rssMiB(pid)]);
      db.push([done, sqliteBytes(kiosk.stack.agentDbFile) / 2 ** 20]);
    };
    try {
      await sample(0);
      limit.begin();
      let sold = 0;
      let nextSampleAt = limit.seconds / 8;
      let checked = 0;
      while (sold < limit.count && !limit.expired()) {
        await kiosk.sellUntimed(laneFor(kiosk, sold));
        sold++;
        if (sold % every === 0 || limit.elapsed() >= nextSampleAt || limit.expired()) {
          // One dispensed motor run per sale, checked in bulk at each sample.
          await kiosk.checkMotorRuns(sold - checked);
          checked = sold;
          await sample(sold);
          nextSampleAt = limit.elapsed() + limit.seconds / 8;
          progress(`${sold} sales`);
        }
      }
      if (used[used.length - 1]![0] !== sold) {
        await kiosk.checkMotorRuns(sold - checked);
        await sample(sold);
      }
      figures.value('sales', 'sales driven through the rpc contract', 'sales', sold, {
        target: { op: '>=', value: 10_000 },
      });
    } finally {
      heap.close();
    }
    series(figures, 'heap_mib', 'agent V8 heap after GC', 'MiB', used);
    series(figures, 'rss_mib', 'agent RSS', 'MiB', rss);
    series(figures, 'sqlite_mib', 'agent SQLite (db + WAL)', 'MiB', db);
  },
};
