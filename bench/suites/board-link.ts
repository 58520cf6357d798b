// POLL answer latency while the agent sells at full speed: the board (vmc-sim, POLL every 100 ms over a socat
// PTY) times every answer of the agent (kiosk-agent process), first idle, then while sales follow one another
// through the rpc contract — checkout, precreate, notify pushed by the relay, vend, settle. The protocol allows
// 100 ms; the target is p99 < 20 ms.
import { laneFor, startSellingKiosk, withPollPace, type BoardStats } from '../lib/selling-kiosk.ts';
import type { Suite } from '../lib/suite.ts';
import type { FigureSet } from '../lib/figures.ts';

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
  return l.p99;
}

export const boardLinkSuite: Suite = {
  name: 'board-link',
  title: 'POLL answer latency, agent idle and selling at full speed (vmc-sim POLLs every 100 ms)',
  async run({ quick, figures, progress }) {
    const seconds = quick ? 2 : 30;
    const kiosk = await startSellingKiosk({
      sales: seconds * 10,
      pollMs: 100,
      agentConfig: withPollPace(false), // the board's own 100 ms throughout, idle and selling alike
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
  },
};
