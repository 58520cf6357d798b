// Payment confirmation as the customer feels it: from the buyer paying (alipay-sim signs and POSTs the notify
// to the relay) to (a) the vend intent committed by the agent and (c) the motor started in vmc-sim's record,
// for each way the payment can reach the kiosk — websocket push, long-poll fallback (websockets refused by a
// proxy), query fallback (relay unreachable) — and at each POLL interval the board offers. Beside them, in the
// same run, the anchor: a kiosk that polls alipay.trade.query every 3 s as the official demos do.
import { startAnchor } from '../lib/anchor.ts';
import { budget } from '../lib/budget.ts';
import type { FigureSet } from '../lib/figures.ts';
import { startNoWebsocketProxy } from '../lib/no-websocket-proxy.ts';
import { cpuShareOver, machineBusy } from '../lib/proc.ts';
import { connectInspector, INSPECT_ARG } from '../lib/inspector.ts';
import { recordProfile } from '../lib/profile-figures.ts';
import {
  laneFor,
  startSellingKiosk,
  withPollPace,
  type SaleTiming,
  type SellingKiosk,
  type SellingKioskOptions,
} from '../lib/selling-kiosk.ts';
import type { Suite, SuiteContext } from '../lib/suite.ts';
import { runCleanups } from '../../test/helpers/cleanup.ts';
import { seededRandom } from '../../test/helpers/seeded-random.ts';

interface Mode {
  readonly key: string;
  readonly label: string;
  /** The POLL interval the vend waits on (the target is read against it); the board starts at 200 ms. */
  readonly pollMs: number;
  readonly agentConfig: NonNullable<SellingKioskOptions['agentConfig']>;
  /** Sales in a quick run; in a full run, the share of the 1,000 and the seconds allowed for them. */
  readonly sales: { quick: number; full: number; fullSeconds: number };
  readonly relay?: SellingKioskOptions['agentRelayUrl'];
  /** Targets apply to the fast path only; the fallbacks are there to be correct, not fast. */
  readonly targets: boolean;
  /** Run the anchor beside this mode. */
  readonly anchor: boolean;
  /** After the measured sales, profile the agent over a few more (not counted in the figures). */
  readonly profile?: boolean;
}

/**
 * In every mode the buyer pays this long after the QR code is shown. A real one takes seconds to scan and
 * confirm; the agent uses them to check the order's lanes with the board (two POLLs), so that the vend
 * leaves at the first POLL after the payment. A payment quicker than that check (no human's) would wait for
 * it: about three POLLs, not one.
 */
const SCAN_MS = 500;
/**
 * ... plus up to this much more, at random (seeded): the board POLLs on its own clock, and a payment lands
 * anywhere between two POLLs. Without it each sale would start in step with the last one's final POLL and the
 * wait for the next POLL would be the same every time.
 */
const SCAN_JITTER_MS = 400;
const SCAN_SEED = 20261129;

/** The count of confirmation sales over the five modes (each mode's `full` is its share). */
const TOTAL_SALES = 1_000;

const FIXED_AT_BOARD = withPollPace(false);

const MODES: readonly Mode[] = [
  {
    key: 'websocket.poll200',
    label: "websocket push, POLL 200 ms (the board's default, never changed)",
    pollMs: 200,
    sales: { quick: 5, full: 300, fullSeconds: 60 },
    agentConfig: FIXED_AT_BOARD,
    targets: true,
    anchor: true,
  },
  {
    key: 'websocket.poll100',
    label: 'websocket push, POLL 100 ms (set by the driver with 0x16 at start)',
    pollMs: 100,
    sales: { quick: 5, full: 300, fullSeconds: 60 },
    agentConfig: withPollPace({ openMs: 100, idleMs: 100 }),
    targets: true,
    anchor: true,
    profile: true,
  },
  {
    // The default behaviour: 200 ms while idle, 100 ms from the QR code to the end of the vend. Back to idle
    // at once after each sale (idleAfterMs 0), so every sale pays for the switch both ways.
    key: 'websocket.paced',
    label: 'websocket push, POLL paced 200 ms idle → 100 ms while an order is open',
    pollMs: 100,
    sales: { quick: 5, full: 200, fullSeconds: 60 },
    agentConfig: withPollPace({ openMs: 100, idleMs: 200, idleAfterMs: 0 }),
    targets: true,
    anchor: false,
  },
  {
    key: 'long_poll.poll200',
    label: 'long-poll fallback, POLL 200 ms',
    pollMs: 200,
    sales: { quick: 3, full: 150, fullSeconds: 40 },
    agentConfig: FIXED_AT_BOARD,
    relay: (url) => startNoWebsocketProxy(url),
    targets: false,
    anchor: false,
  },
  {
    key: 'query.poll200',
    label: 'query fallback (relay unreachable), POLL 200 ms',
    pollMs: 200,
    sales: { quick: 1, full: 50, fullSeconds: 40 },
    agentConfig: FIXED_AT_BOARD,
    relay: () => 'http://127.0.0.1:9',
    targets: false,
    anchor: false,
  },
];

function record(figures: FigureSet, mode: Mode, sales: readonly SaleTiming[]): { motorP50: number } {
  const t = mode.targets;
  // The merchant's side starts when Alipay's notify POST leaves (the t0); what comes before it —
  // the buyer's tap reaching alipay-sim, its signing — is Alipay's, reported apart as pay_to_notify_ms.
  figures.samples(
    `${mode.key}.pay_to_notify_ms`,
    `${mode.label}: buyer pays → alipay-sim's notify POST leaves (Alipay's share)`,
    'ms',
    sales.map((s) => s.notifySentAt - s.paidAt),
  );
  figures.samples(
    `${mode.key}.paid_ms`,
    `${mode.label}: notify POSTed → paid committed`,
    'ms',
    sales.map((s) => s.paidCommittedAt - s.notifySentAt),
  );
  figures.samples(
    `${mode.key}.intent_ms`,
    `${mode.label}: (a) notify POSTed → vend intent committed (our share)`,
    'ms',
    sales.map((s) => s.intentAt - s.notifySentAt),
    t ? { target: { op: '<', value: 25 }, targetOn: 'p99' } : {},
  );
  figures.samples(
    `${mode.key}.motor_ms`,
    `${mode.label}: (b, c) notify POSTed → vend frame / motor start`,
    'ms',
    sales.map((s) => s.motorAt - s.notifySentAt),
    t ? { target: { op: '<=', value: mode.pollMs + 5 }, targetOn: 'p99' } : {},
  );
  // Beside the anchor (which starts when the buyer pays), ours starts there too.
  const motor = figures.samples(
    `${mode.key}.pay_to_motor_ms`,
    `${mode.label}: buyer pays → motor start (read against the anchor)`,
    'ms',
    sales.map((s) => s.motorAt - s.paidAt),
  );
  figures.samples(
    `${mode.key}.poll_wait_ms`,
    `${mode.label}: vend intent → motor start (the board's POLL)`,
    'ms',
    sales.map((s) => s.motorAt - s.intentAt),
  );
  figures.samples(
    `${mode.key}.checkout_ms`,
    `${mode.label}: checkout rpc (with precreate)`,
    'ms',
    sales.map((s) => s.checkoutMs),
  );
  return { motorP50: motor.p50 };
}

/** The board link's cost at the mode's idle POLL interval: frames on the line and the agent's CPU. */
async function recordIdleCost(ctx: SuiteContext, mode: Mode, kiosk: SellingKiosk): Promise<void> {
  await kiosk.resetBoardStats();
  const t0 = performance.now();
  const cpu = await cpuShareOver(kiosk.stack.agent.child.pid!, ctx.quick ? 1000 : 5000);
  const board = await kiosk.boardStats();
  const seconds = (performance.now() - t0) / 1000;
  ctx.figures.value(`${mode.key}.idle_agent_cpu_pct`, `${mode.label}: agent CPU while idle`, '% core', cpu);
  ctx.figures.value(
    `${mode.key}.idle_link_frames_per_s`,
    `${mode.label}: frames on the line while idle (both ways; board at ${board.pollIntervalMs} ms)`,
    'frames/s',
    (board.framesSent + board.framesReceived) / seconds,
  );
}

/**
 * Kiosks selling at once in a mode, each a whole stack of its own (alipay-sim, relay, vmc-sim on its own PTY,
 * agent): one kiosk sells about one sale a second (the buyer's scan, the board's POLLs), so the 1,000
 * sales fit the run only side by side. They share this machine's two cores — each sale's own work is a few
 * milliseconds, so they seldom meet; docs/performance.md gives the CPU they take together.
 */
const KIOSKS = { quick: 2, full: 8 };
const START_AT_ONCE = 2;

/** `count` results of `start(k)`, at most `atOnce` of them under way at a time, in the order of k. */
async function inBatches<T>(count: number, atOnce: number, start: (k: number) => Promise<T>): Promise<T[]> {
  const all: T[] = [];
  for (let k = 0; k < count; k += atOnce)
    all.push(
      ...(await Promise.all(Array.from({ length: Math.min(atOnce, count - k) }, (_, i) => start(k + i)))),
    );
  return all;
}

async function runMode(
  ctx: SuiteContext,
  mode: Mode,
  anchorSamples: number[],
): Promise<{ motorP50: number }> {
  // BENCH_CONFIRMATION_SALES sets the total over the five modes (default the 1,000), shared as below.
  const total = ctx.quick ? TOTAL_SALES : Number(process.env['BENCH_CONFIRMATION_SALES'] || TOTAL_SALES);
  const limit = budget(
    {
      quick: mode.sales.quick,
      full: Math.max(1, Math.round((mode.sales.full * total) / TOTAL_SALES)),
      fullSeconds: mode.sales.fullSeconds,
    },
    ctx.quick,
  );
  const profiled = mode.profile ? (ctx.quick ? 3 : 20) : 0;
  const count = Math.min(ctx.quick ? KIOSKS.quick : KIOSKS.full, limit.count);
  // Every kiosk is stocked for the whole mode (a fast one may sell more than its share). Two start at a time:
  // forty programs loading their code at once on two cores would wait past their own start-up timeouts.
  const kiosks = await inBatches(count, START_AT_ONCE, (k) => {
    const random = seededRandom(SCAN_SEED + k);
    return startSellingKiosk({
      sales: limit.count + (k === 0 ? profiled : 0),
      // The first kiosk is the one profiled (and the one whose idle cost is read).
      ...(mode.profile && k === 0 ? { agentLaunch: { nodeArgs: [INSPECT_ARG] } } : {}),
      pollMs: 200,
      agentConfig: mode.agentConfig,
      scanMs: () => SCAN_MS + random() * SCAN_JITTER_MS,
      ...(mode.relay ? { agentRelayUrl: mode.relay } : {}),
    });
  });
  const first = kiosks[0]!;
  try {
    if (mode.targets) await recordIdleCost(ctx, mode, first);
    const anchor = mode.anchor ? startAnchor(first.stack, ctx.quick ? 1 : 8, ctx.quick ? 1 : Infinity) : null;
    const sales: SaleTiming[] = [];
    let started = 0;
    limit.begin();
    const busy = machineBusy();
    await Promise.all(
      kiosks.map(async (kiosk) => {
        for (let own = 0; started < limit.count && !limit.expired(); own++) {
          started++;
          sales.push(await kiosk.sell(laneFor(kiosk, own)));
        }
      }),
    );
    const n = sales.length;
    const busyPct = busy.stop();
    anchorSamples.push(...((await anchor?.stop()) ?? []));
    ctx.progress(`${mode.label}: ${n} sales on ${count} kiosks in ${limit.elapsed().toFixed(0)} s`);
    ctx.figures.value(`${mode.key}.kiosks`, `${mode.label}: kiosks selling at once`, 'kiosks', count);
    ctx.figures.value(
      `${mode.key}.machine_busy_pct`,
      `${mode.label}: the machine's CPU busy while they sold (all cores, everything on it)`,
      '%',
      busyPct,
    );
    if (profiled) {
      // Where the agent's time goes per sale (push received → intent → vend → settle), profiled apart from
      // the measured sales (the others idle) so the profiler's own cost does not colour them.
      const inspector = await connectInspector(first.stack.agent.log);
      await inspector.startProfile();
      for (let i = 0; i < profiled; i++) await first.sell(laneFor(first, n + i));
      recordProfile(
        ctx.figures,
        `${mode.key}.agent_profile`,
        `${mode.label}: agent CPU per sale`,
        await inspector.stopProfile(),
        { unit: 'sale', count: profiled },
      );
      inspector.close();
    }
    // In the order they were paid, so a figure's spread is not grouped by kiosk.
    return record(
      ctx.figures,
      mode,
      sales.sort((a, b) => a.paidAt - b.paidAt),
    );
  } finally {
    await runCleanups();
  }
}

export const confirmationSuite: Suite = {
  name: 'confirmation',
  title: 'payment → vend intent → motor start, websocket / long-poll / query, beside the 3 s query anchor',
  async run(ctx) {
    const anchor: number[] = [];
    const motorP50: Record<string, number> = {};
    // BENCH_CONFIRMATION_MODES=websocket.paced,… runs only those modes (a quick look at one change).
    const only = process.env['BENCH_CONFIRMATION_MODES']?.split(',');
    for (const mode of MODES.filter((m) => !only || only.includes(m.key)))
      motorP50[mode.key] = (await runMode(ctx, mode, anchor)).motorP50;
    if (anchor.length === 0) return;
    const a = ctx.figures.samples(
      'anchor.query_3s_ms',
      'anchor: pay → paid seen by a kiosk querying every 3 s',
      'ms',
      anchor,
    );
    for (const key of ['poll200', 'poll100', 'paced']) {
      const ours = motorP50[`websocket.${key}`];
      if (ours === undefined) continue;
      ctx.figures.value(
        `anchor_over_ours.${key}`,
        `anchor p50 (paid seen) / ours p50 (motor started), POLL ${key}`,
        'x',
        a.p50 / ours,
        key === 'poll200' ? {} : { target: { op: '>=', value: 25 } },
      );
    }
  },
};
