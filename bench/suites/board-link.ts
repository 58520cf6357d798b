// POLL answer latency while the agent sells at full speed: the board (vmc-sim, POLL every 100 ms over a socat
// PTY) times every answer of the agent (kiosk-agent process), first idle, then while sales follow one another
// through the rpc contract — checkout, precreate, notify pushed by the relay, vend, settle. The protocol allows
// 100 ms; the target is p99 < 20 ms. Then a few more sales under the V8 profiler: the main thread answers a
// POLL only between two pieces of synchronous work, so the busy stretches and what fills the long ones say
// where a late answer's time goes.
import os from 'node:os';
import { busyStretches } from '../lib/busy-stretches.ts';
import { connectInspector, INSPECT_ARG } from '../lib/inspector.ts';
import { laneFor, startSellingKiosk, withPollPace, type BoardStats } from '../lib/selling-kiosk.ts';
import type { Suite } from '../lib/suite.ts';
import type { FigureSet } from '../lib/figures.ts';
import { repoRoot } from '../../test/helpers/processes.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function record(figures: FigureSet, phase: string, s: BoardStats): number {
  const l = s.answerLatencyMs;
  const target = phase === 'selling' ? { target: { op: '<' as const, value: 20 } } : {};
  figures.value(`${phase}.answer_p50_ms`, `POLL answer p50, agent ${phase} (${l.n} POLLs)`, 'ms', l.p50);
  figures.value(`${phase}.answer_p99_ms`, `POLL answer p99, agent ${phase}`, 'ms', l.p99, target);
  figures.value(`${phase}.answer_max_ms`, `POLL answer max, agent ${phase}`, 'ms', l.max);
  figures.value(
    `${phase}.late_or_unanswered`,
    `POLLs answered late (>100 ms) or not, agent ${phase}`,
    'POLLs',
    s.lateAnswers + s.unanswered,
    { target: { op: '<=', value: 0 } },
  );
  figures.value(
    `${phase}.load_average_1m`,
    `machine load average (1 min) after ${phase}`,
    'load',
    os.loadavg()[0]!,
  );
  return l.p99;
}

export const boardLinkSuite: Suite = {
  name: 'board-link',
  title: 'POLL answer latency, agent idle and selling at full speed (vmc-sim POLLs every 100 ms)',
  async run({ quick, figures, progress }) {
    const seconds = quick ? 2 : 30;
    const profiled = quick ? 3 : 20;
    const kiosk = await startSellingKiosk({
      sales: seconds * 10 + profiled,
      pollMs: 100,
      agentConfig: withPollPace(false), // the board's own 100 ms throughout, idle and selling alike
      agentLaunch: { nodeArgs: [INSPECT_ARG] },
    });
    await kiosk.resetBoardStats();
    await sleep(quick ? 1000 : 5000);
    const idle = record(figures, 'idle', await kiosk.boardStats());
    await kiosk.resetBoardStats();
    const end = Date.now() + seconds * 1000;
    let sales = 0;
    while (Date.now() < end) await kiosk.sell(laneFor(kiosk, sales++));
    const busy = record(figures, 'selling', await kiosk.boardStats());
    figures.value(
      'selling.sales_per_s',
      'sales completed per second while measured',
      'sales/s',
      sales / seconds,
    );
    figures.value('selling_over_idle_p99', 'POLL answer p99 selling / idle', 'x', busy / Math.max(idle, 0.1));
    progress(`${sales} sales in ${seconds} s`);

    const inspector = await connectInspector(kiosk.stack.agent.log);
    await inspector.startProfile();
    for (let i = 0; i < profiled; i++) await kiosk.sell(laneFor(kiosk, sales + i));
    const stretches = busyStretches(await inspector.stopProfile(), repoRoot);
    inspector.close();
    figures.samples(
      'profile.busy_stretch_ms',
      `agent main thread: busy stretches while selling (${profiled} sales, profiled)`,
      'ms',
      stretches.lengthsMs,
    );
    const long = stretches.lengthsMs.filter((ms) => ms >= stretches.longMs);
    figures.value(
      'profile.long_stretches_per_sale',
      `busy stretches ≥ ${stretches.longMs} ms per sale (a POLL arriving in one waits for its end)`,
      'stretches/sale',
      long.length / profiled,
    );
    for (const [where, ms] of stretches.longByFunction.slice(0, 8))
      figures.value(
        `profile.long_in.${where.replace(/[^A-Za-z0-9_:./-]/g, '_')}_ms`,
        `time per sale inside stretches ≥ ${stretches.longMs} ms with ${where} on the stack`,
        'ms/sale',
        ms / profiled,
      );
  },
};
