// A kiosk selling for real, driven from outside: the four programs started by the tests' stack (alipay-sim,
// notify-relay, vmc-sim on a socat PTY, kiosk-agent's browser host), a screen connected over the rpc
// contract, and a sale timed from the buyer's payment to the vend intent committed and the motor started.
import type { KioskInfo, SaleView } from '../../app/rpc/contract.ts';
import { connectKioskRpc, type KioskRpc } from '../../test/helpers/kiosk-rpc.ts';
import type { ProgramLaunch } from '../../test/helpers/processes.ts';
import { startStack, type Stack, type StackOptions } from '../../test/helpers/stack.ts';
import { nowMs } from './figures.ts';

export interface SellingKioskOptions {
  /** How many sales the board and the agent must be stocked for. */
  readonly sales: number;
  /** The board's POLL interval (vmc-sim --poll-ms). */
  readonly pollMs?: number;
  /** How long a motor turns: short, so that sales follow each other quickly. */
  readonly motorMs?: number;
  readonly agentRelayUrl?: StackOptions['agentRelayUrl'];
  /** Changes the agent's configuration (e.g. its dispenser.pollPace). */
  readonly agentConfig?: StackOptions['agentConfig'];
  /** The buyer pays this long after the QR code is shown (the time to scan and confirm), ms. Default 0. */
  readonly scanMs?: number | (() => number);
  readonly deferAgent?: boolean;
  /** How the agent is started (node flags such as --inspect). */
  readonly agentLaunch?: ProgramLaunch;
}

/** One sale, in epoch ms: t0 is when the buyer pays (alipay-sim then signs and POSTs the notify). */
export interface SaleTiming {
  readonly outTradeNo: string;
  readonly checkoutMs: number;
  readonly paidAt: number;
  /** alipay-sim's notify POST to the relay left (its own clock, sub-millisecond): the merchant's t0. */
  readonly notifySentAt: number;
  /** The agent committed `paid` (its sale.updated push reached the screen). */
  readonly paidCommittedAt: number;
  /** The agent committed the vend intent of the first item (item state `vending` reached the screen). */
  readonly intentAt: number;
  /** vmc-sim started the motor (its record, millisecond resolution). */
  readonly motorAt: number;
  readonly completedAt: number;
}

export interface SellingKiosk {
  readonly stack: Stack;
  rpc: KioskRpc;
  readonly lanes: number;
  /** Connects (again) to the running agent's screen channel. */
  connect(): Promise<void>;
  sell(lane: number): Promise<SaleTiming>;
  /**
   * A sale as fast as it goes, untimed (no scan, nothing asked of the simulators per sale): a long run checks
   * the board's record in bulk with `checkMotorRuns`.
   */
  sellUntimed(lane: number): Promise<void>;
  /** Throws unless the board ran exactly one motor, dispensed, for each sale since the last check. */
  checkMotorRuns(sales: number): Promise<void>;
  boardStats(): Promise<BoardStats>;
  resetBoardStats(): Promise<void>;
}

export interface BoardStats {
  polls: number;
  /** Frames the board sent and valid frames it read: the link's load. */
  framesSent: number;
  framesReceived: number;
  /** The interval the board POLLs at now. */
  pollIntervalMs: number;
  lateAnswers: number;
  unanswered: number;
  answerLatencyMs: { n: number; p50: number; p99: number; max: number };
}

const STOCK_PER_LANE = 250;

/**
 * The agent's dispenser.pollPace (docs/dispenser.md, "POLL pace"). `false`: the agent never sends 0x16, so
 * the board keeps the interval it was started with (`pollMs`).
 */
export const withPollPace =
  (pollPace: false | { openMs: number; idleMs: number; idleAfterMs?: number }) =>
  (config: Record<string, unknown>): Record<string, unknown> => ({
    ...config,
    dispenser: { ...(config.dispenser as object), pollPace },
  });
const SETTLED = new Set(['completed', 'refunded', 'failed', 'expired']);

export async function startSellingKiosk(options: SellingKioskOptions): Promise<SellingKiosk> {
  const lanes = Math.max(2, Math.ceil(options.sales / STOCK_PER_LANE) + 1);
  const stack = await startStack({
    boardArgs: [
      '--lanes',
      `1-${lanes}`,
      '--stock',
      String(STOCK_PER_LANE),
      '--capacity',
      '255',
      '--poll-ms',
      String(options.pollMs ?? 200),
      '--motor-ms',
      String(options.motorMs ?? 20),
    ],
    planogram: Array.from({ length: lanes }, (_, i) => ({
      lane: i + 1,
      productId: `P${i + 1}`,
      name: `Product ${i + 1}`,
      priceFen: 100 + i,
      stock: STOCK_PER_LANE,
      capacity: 255,
    })),
    ...(options.agentRelayUrl ? { agentRelayUrl: options.agentRelayUrl } : {}),
    ...(options.agentConfig ? { agentConfig: options.agentConfig } : {}),
    deferAgent: true,
  });

  // The latest view of every sale and who waits for what, fed by the agent's sale.updated pushes.
  const waiters: Array<{ no: string; test: (v: SaleView) => boolean; resolve: (at: number) => void }> = [];
  const onSale = (view: SaleView, at: number) => {
    for (const w of [...waiters])
      if (w.no === view.outTradeNo && w.test(view)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(at);
      }
  };
  // Motor runs the board has recorded so far (every one of them started by a sale of this kiosk).
  let runsSeen = 0;
  /** The runs since the last call: the whole record grows with every sale (a megabyte at 10,000). */
  const newRuns = async () => {
    const runs = await stack.motorRuns(runsSeen);
    runsSeen += runs.length;
    return runs;
  };
  /** One item of `lane` checked out; throws unless the QR code is shown. */
  const checkout = async (lane: number): Promise<SaleView> => {
    const view = await kiosk.rpc.invoke<SaleView>('sale.checkout', { items: [{ lane, quantity: 1 }] });
    if (view.state !== 'awaiting_payment' || !view.qrCode)
      throw new Error(`checkout gave ${view.state} without a QR code: ${view.message ?? ''}`);
    return view;
  };
  const until = (no: string, test: (v: SaleView) => boolean) =>
    new Promise<number>((resolve) => waiters.push({ no, test, resolve }));

  const kiosk: SellingKiosk = {
    stack,
    rpc: undefined as unknown as KioskRpc,
    lanes,
    connect: async () => {
      kiosk.rpc = await connectKioskRpc(stack.agentUrl());
      let linkUp: (() => void) | null = null;
      const boardLinkUp = new Promise<void>((resolve) => (linkUp = resolve));
      kiosk.rpc.onEvent((event, payload) => {
        if (event === 'sale.updated') onSale(payload as SaleView, nowMs());
        if (event === 'kiosk.updated' && (payload as KioskInfo).dispenserLink === 'up') linkUp?.();
      });
      // The ready line comes before the board's first POLL: nothing sells until the link is up.
      if ((await kiosk.rpc.invoke<KioskInfo>('kiosk.info')).dispenserLink === 'up') linkUp!();
      await boardLinkUp;
    },
    sellUntimed: async (lane) => {
      const view = await checkout(lane);
      const settled = until(view.outTradeNo, (v) => SETTLED.has(v.state));
      await stack.simJson('/sim/pay', { outTradeNo: view.outTradeNo });
      await settled;
    },
    checkMotorRuns: async (sales) => {
      const runs = await newRuns();
      if (runs.length !== sales || runs.some((r) => r.result !== 'dispensed'))
        throw new Error(
          `expected ${sales} dispensed motor runs, board recorded ${runs.length}: ` +
            JSON.stringify(runs.filter((r) => r.result !== 'dispensed').slice(0, 5)),
        );
    },
    sell: async (lane) => {
      const c0 = nowMs();
      const view = await checkout(lane);
      const checkoutMs = nowMs() - c0;
      const no = view.outTradeNo;
      const paidCommitted = until(no, (v) => v.state !== 'awaiting_payment' && v.state !== 'created');
      const intent = until(no, (v) => v.items.some((i) => i.state !== 'pending') || SETTLED.has(v.state));
      const settled = until(no, (v) => SETTLED.has(v.state));
      const scanMs = typeof options.scanMs === 'function' ? options.scanMs() : (options.scanMs ?? 0);
      if (scanMs > 0) await new Promise((r) => setTimeout(r, scanMs));
      const paidAt = nowMs();
      await stack.simJson('/sim/pay', { outTradeNo: no });
      const [paidCommittedAt, intentAt, completedAt] = await Promise.all([paidCommitted, intent, settled]);
      const [notify] = await stack.simJson<Array<{ firstSentAt: number | null }>>(
        `/sim/notifies?outTradeNo=${encodeURIComponent(no)}`,
      );
      if (!notify?.firstSentAt) throw new Error(`sale ${no}: alipay-sim sent no notify`);
      const runs = await newRuns();
      const [run] = runs;
      if (!run || runs.length !== 1 || run.result !== 'dispensed')
        throw new Error(
          `sale ${no}: expected one dispensed motor run, board recorded ${JSON.stringify(runs)}`,
        );
      return {
        outTradeNo: no,
        checkoutMs,
        paidAt,
        notifySentAt: notify.firstSentAt,
        paidCommittedAt,
        intentAt,
        motorAt: Date.parse(run.at),
        completedAt,
      };
    },
    boardStats: async () => (await (await fetch(`${stack.boardControlUrl}/sim/stats`)).json()) as BoardStats,
    resetBoardStats: async () => {
      await fetch(`${stack.boardControlUrl}/sim/stats/reset`, { method: 'POST' });
    },
  };
  if (!options.deferAgent) {
    await stack.startAgent(options.agentLaunch);
    await kiosk.connect();
  }
  return kiosk;
}

/** Lanes in turn, so no lane runs dry before the stock planned for the run. */
export const laneFor = (kiosk: SellingKiosk, i: number) => 1 + (i % kiosk.lanes);
