// The chaos harness: real processes (alipay-sim, notify-relay, vmc-sim behind a serial tap on socat PTYs,
// kiosk-agent), a seeded stream of sales with random carts and payments (on time, late, notified twice,
// never), board faults, relay restarts and kill -9 of the agent — aimed mostly at a motor the board reports
// turning, and right after a notify. Each sale is let settle before the next, everything is let settle at the
// end, and then the three ground truths are reconciled (reconcile.ts).
import Database from 'better-sqlite3';
import { waitFor } from '../helpers/agent-harness.ts';
import { connectKioskRpc, waitForBoardLink } from '../helpers/kiosk-rpc.ts';
import { pick, randomInt, seededRandom, weighted, type Random } from '../helpers/seeded-random.ts';
import { STACK_MAINTENANCE_PIN, startStack, type Stack } from '../helpers/stack.ts';
import {
  reconcile,
  type AgentOrder,
  type LedgerEntry,
  type Reconciliation,
  type SaleRecord,
} from './reconcile.ts';

export interface ChaosOptions {
  readonly sales: number;
  readonly seed: number;
  readonly log?: (line: string) => void;
}

export interface ChaosReport {
  readonly seed: number;
  readonly sales: number;
  readonly kills: Record<string, number>;
  readonly faults: Record<string, number>;
  readonly relayRestarts: number;
  /** Per agent restart: ms from starting the agent again to a sale being possible (board up, no order open). */
  readonly restartToSaleMs: readonly number[];
  /** …and of that, ms until the agent's process was up and serving (its boot on this machine). */
  readonly restartToReadyMs: readonly number[];
  /**
   * Per restart that interrupted a vend: ms from starting the agent again to every interrupted item being
   * decided (delivered, not delivered, or refunded and flagged), and how each was decided.
   */
  readonly interruptedVends: {
    readonly resolvedMs: readonly number[];
    readonly decided: Record<string, number>;
  };
  readonly reconciliation: Reconciliation;
}

type Payment = 'on_time' | 'twice_notified' | 'late' | 'never';
type Kill = 'none' | 'motor_turning' | 'after_notify' | 'random_moment';
const BOARD_FAULTS = ['jam', 'no_drop', 'motor_missing', 'motor_not_stop'] as const;
const LANES = [1, 2, 3];
/** How long one sale may take to settle (a refund retried, a board that took a lane out of service). */
const SALE_SETTLE_MS = 90_000;
/** At the end: long enough for an unconfirmed cancel to be asked again (every 30 s). */
const FINAL_SETTLE_MS = 150_000;

export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const log = options.log ?? (() => undefined);
  const r = seededRandom(options.seed);
  const stack = await startStack({ boardArgs: ['--motor-ms', '700'], serialTap: true });
  const kills: Record<string, number> = {};
  const faults: Record<string, number> = {};
  let relayRestarts = 0;
  const sales: SaleRecord[] = [];
  restartTimings.length = 0;
  restartMs.length = 0;
  readyMs.length = 0;
  resolvedMs.length = 0;
  for (const key of Object.keys(decided)) delete decided[key];
  const tally = (into: Record<string, number>, key: string) => (into[key] = (into[key] ?? 0) + 1);

  for (let n = 0; n < options.sales; n++) {
    await readyToSell(stack);
    if (r() < 0.03) {
      await stack.restartRelay();
      relayRestarts++;
    }
    if (r() < 0.15) {
      const kind = pick(r, BOARD_FAULTS);
      await boardFault(stack, { kind, lane: pick(r, LANES), times: 1 });
      tally(faults, kind);
    }
    const payment = weighted<Payment>(r, { on_time: 60, twice_notified: 15, late: 10, never: 15 });
    const kill = weighted<Kill>(r, { none: 60, motor_turning: 20, after_notify: 10, random_moment: 10 });
    const runsBefore = (await stack.motorRuns()).length;
    const reportsBefore = stack.tap!.acknowledgedReports().length;
    const outTradeNo = await sell(stack, r, payment, kill, (k) => tally(kills, k));
    if (outTradeNo === null) continue;
    await waitFor(
      () => settledEnough(stack, outTradeNo),
      `sale ${n} (${outTradeNo}) to settle`,
      () => stack.agent.log(),
      SALE_SETTLE_MS,
    );
    const runs = (await stack.motorRuns()).slice(runsBefore);
    sales.push({ outTradeNo, payment, runs, reports: stack.tap!.acknowledgedReports().slice(reportsBefore) });
    const state = readOrders(stack).get(outTradeNo)?.state;
    const seen = runs.map((run) => `${run.lane}:${run.result}${run.dropSeen ? '+drop' : ''}`).join(' ');
    const reported = sales
      .at(-1)
      ?.reports.map((x) => `${x.lane}:0x${x.code.toString(16)}`)
      .join(' ');
    log(
      `sale ${n + 1}/${options.sales} ${outTradeNo}: ${payment}, kill ${kill}, runs [${seen}], reports [${reported}], ${state}`,
    );
    if (options.log && (n + 1) % 100 === 0 && n + 1 < options.sales) {
      // A long run shows where it stands now and then (sales still settling may show as violations here).
      const ledger = await stack.simJson<{ payments: LedgerEntry[]; refunds: LedgerEntry[] }>('/sim/ledger');
      const interim = { seed: options.seed, sales: sales.length, kills, faults, relayRestarts };
      log(`interim after ${n + 1} sales:`);
      log(
        formatChaosReport({
          ...interim,
          restartToSaleMs: [...restartMs],
          restartToReadyMs: [...readyMs],
          interruptedVends: { resolvedMs: [...resolvedMs], decided: { ...decided } },
          reconciliation: reconcile(sales, ledger, readOrders(stack)),
        }),
      );
    }
  }

  await waitFor(
    () => openOrders(stack) === 0,
    'every order to settle',
    () => stack.agent.log(),
    FINAL_SETTLE_MS,
  ).catch((err: Error) => log(err.message.split('\n')[0] ?? '')); // left open: reported as a violation below
  const ledger = await stack.simJson<{ payments: LedgerEntry[]; refunds: LedgerEntry[] }>('/sim/ledger');
  return {
    seed: options.seed,
    sales: sales.length,
    kills,
    faults,
    relayRestarts,
    restartToSaleMs: (await Promise.all(restartTimings), [...restartMs]),
    restartToReadyMs: [...readyMs],
    interruptedVends: { resolvedMs: [...resolvedMs], decided: { ...decided } },
    reconciliation: reconcile(sales, ledger, readOrders(stack)),
  };
}

/** One sale from checkout to payment, with the kill planned for it. Returns its out_trade_no. */
async function sell(
  stack: Stack,
  r: Random,
  payment: Payment,
  kill: Kill,
  killed: (what: string) => void,
): Promise<string | null> {
  const lines = LANES.filter(() => r() < 0.5).map((lane) => ({ lane, quantity: 1 + randomInt(r, 2) }));
  const cart = lines.length ? lines : [{ lane: pick(r, LANES), quantity: 1 }];
  const rpc = await connectKioskRpc(stack.agentUrl());
  let sale: { outTradeNo: string };
  try {
    sale = await rpc.invoke<{ outTradeNo: string }>('sale.checkout', { items: cart });
    if (payment === 'never' || payment === 'late') {
      // A late payment: the customer walked away, the kiosk ended the order, and Alipay did not confirm the
      // cancel in time, so the buyer's payment still went through.
      if (payment === 'late')
        await stack.simJson('/sim/faults', { serviceUnavailableNext: 4, methods: ['alipay.trade.cancel'] });
      await rpc.invoke('sale.cancel', { outTradeNo: sale.outTradeNo });
    }
  } finally {
    rpc.close();
  }
  if (payment === 'never') {
    if (kill === 'random_moment') await killAgent(stack, killed, 'random moment');
    return sale.outTradeNo;
  }
  if (payment === 'twice_notified') await stack.simJson('/sim/faults', { notify: 'duplicate' });
  const items = cart.reduce((n, line) => n + line.quantity, 0);
  const motorTurning = kill === 'motor_turning' ? motorStart(stack, 1 + randomInt(r, items)) : null;
  await stack.simJson('/sim/pay', { outTradeNo: sale.outTradeNo });
  await stack.simJson('/sim/faults', { reset: true });
  if (kill === 'after_notify') await killAgent(stack, killed, 'right after a notify');
  if (kill === 'random_moment') {
    await new Promise((resolve) => setTimeout(resolve, randomInt(r, 1_500)));
    await killAgent(stack, killed, 'random moment');
  }
  if (motorTurning) {
    // The board reports the motor starting, or the sale ends without that many motor starts (a lane the
    // board refused, a payment that came late): then there is no turning motor to kill on.
    const landed = await Promise.race([
      motorTurning.started.then(() => true),
      waitFor(
        () => settledEnough(stack, sale.outTradeNo),
        'the sale',
        () => '',
        SALE_SETTLE_MS,
      ).then(() => false),
    ]);
    motorTurning.cancel();
    if (landed) await killAgent(stack, killed, 'while a motor turned');
  }
  return sale.outTradeNo;
}

/** The measurements of each restart's "first sale possible", running beside the sale that goes on. */
const restartTimings: Array<Promise<void>> = [];
const restartMs: number[] = [];
const readyMs: number[] = [];
const resolvedMs: number[] = [];
const decided: Record<string, number> = {};
/** Counts the agent's starts, so a measurement across a second kill is dropped rather than counted. */
let agentStarts = 0;

async function killAgent(stack: Stack, killed: (what: string) => void, what: string): Promise<void> {
  stack.agent.child.kill('SIGKILL');
  await stack.agent.stop();
  killed(what);
  // Read from the killed agent's database: the items its restart must decide without vending them again.
  const interrupted = vendingItems(stack);
  const startedAt = Date.now();
  const start = ++agentStarts;
  await stack.startAgent();
  const ready = Date.now() - startedAt;
  restartTimings.push(
    saleReady(stack).then(
      () => {
        restartMs.push(Date.now() - startedAt);
        readyMs.push(ready);
      },
      () => undefined, // not measured (the agent was killed again first)
    ),
  );
  if (interrupted.length)
    restartTimings.push(
      interruptedDecided(stack, interrupted, start).then(
        (states) => {
          resolvedMs.push(Date.now() - startedAt);
          for (const s of states) decided[s] = (decided[s] ?? 0) + 1;
        },
        () => undefined, // not measured (the agent was killed again first)
      ),
    );
}

interface ItemKey {
  readonly outTradeNo: string;
  readonly position: number;
}

function vendingItems(stack: Stack): ItemKey[] {
  return withDb(stack, (db) =>
    (
      db
        .prepare("SELECT out_trade_no, position FROM order_items WHERE vend_state = 'vending'")
        .all() as Array<{
        out_trade_no: string;
        position: number;
      }>
    ).map((row) => ({ outTradeNo: row.out_trade_no, position: row.position })),
  );
}

/**
 * Resolves, with each item's decided vend state, once none of `items` is still `vending` — the interrupted
 * items of a restart decided by recovery. The remaining items of their orders vend after that, as in any sale.
 */
async function interruptedDecided(stack: Stack, items: readonly ItemKey[], start: number): Promise<string[]> {
  const states = (): string[] =>
    withDb(stack, (db) => {
      const read = db.prepare('SELECT vend_state FROM order_items WHERE out_trade_no = ? AND position = ?');
      return items.map((i) => (read.get(i.outTradeNo, i.position) as { vend_state: string }).vend_state);
    });
  await waitFor(
    () => {
      if (agentStarts !== start) throw new Error('the agent was killed again');
      return states().every((s) => s !== 'vending');
    },
    'the interrupted items to be decided after the restart',
    () => '',
    SALE_SETTLE_MS,
  );
  return states();
}

/**
 * Resolves when the restarted agent could take a new sale: the board link is up and no order holds the screen
 * (an interrupted order's remaining items vend first: that customer is still being served).
 */
async function saleReady(stack: Stack): Promise<void> {
  const rpc = await connectKioskRpc(stack.agentUrl());
  try {
    await waitFor(
      async () =>
        (await rpc.invoke<{ dispenserLink: string }>('kiosk.info')).dispenserLink === 'up' &&
        busyOrders(stack) === 0,
      'a sale to be possible after the restart',
      () => '',
      SALE_SETTLE_MS,
    );
  } finally {
    rpc.close();
  }
}

function busyOrders(stack: Stack): number {
  return withDb(stack, (db) => {
    const row = db
      .prepare(
        `SELECT count(*) AS n FROM orders WHERE state IN ('created','awaiting_payment','paid','vending')`,
      )
      .get() as { n: number };
    return row.n;
  });
}

/** Resolves at the board's nth motor start from now. */
function motorStart(stack: Stack, n: number): { started: Promise<void>; cancel: () => void } {
  let off: () => void = () => undefined;
  const started = new Promise<void>((resolve) => {
    let seen = 0;
    off = stack.tap!.onMotorStart(() => {
      if (++seen < n) return;
      off();
      resolve();
    });
  });
  return { started, cancel: () => off() };
}

/** Restocks and returns lanes to service between sales, as a technician would, once the board link is up. */
async function readyToSell(stack: Stack): Promise<void> {
  const rpc = await connectKioskRpc(stack.agentUrl());
  try {
    await waitForBoardLink(rpc, () => stack.agent.log());
    const lanes = readLanes(stack);
    if (lanes.some((l) => l.stock < 4)) {
      await fetch(`${stack.boardControlUrl}/sim/fully-loaded`, { method: 'POST' });
      await waitFor(
        () => readLanes(stack).every((l) => l.stock >= 4),
        'the restock',
        () => stack.agent.log(),
      );
    }
    const disabled = lanes.filter((l) => l.enabled === 0);
    if (disabled.length) {
      const session = await rpc.invoke<{ token: string }>('maintenance.unlock', {
        pin: STACK_MAINTENANCE_PIN,
      });
      for (const l of disabled)
        await rpc.invoke('maintenance.setLaneEnabled', { token: session.token, lane: l.lane, enabled: true });
      await rpc.invoke('maintenance.lock', { token: session.token });
    }
  } finally {
    rpc.close();
  }
}

async function boardFault(stack: Stack, fault: { kind: string; lane: number; times: number }): Promise<void> {
  const res = await fetch(`${stack.boardControlUrl}/sim/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(fault),
  });
  if (res.status !== 200) throw new Error(`vmc-sim fault ${JSON.stringify(fault)}: ${await res.text()}`);
}

function withDb<T>(stack: Stack, read: (db: Database.Database) => T): T {
  const db = new Database(stack.agentDbFile, { readonly: true, fileMustExist: true });
  try {
    return read(db);
  } finally {
    db.close();
  }
}

function readLanes(stack: Stack): Array<{ lane: number; stock: number; enabled: number }> {
  return withDb(stack, (db) => db.prepare('SELECT lane, stock, enabled FROM lanes').all()) as Array<{
    lane: number;
    stock: number;
    enabled: number;
  }>;
}

/** The sale needs nothing more from the customer or the board: final, or only a refund still owed. */
function settledEnough(stack: Stack, outTradeNo: string): boolean {
  const state = withDb(stack, (db) =>
    db.prepare('SELECT state FROM orders WHERE out_trade_no = ?').get(outTradeNo),
  ) as { state: string } | undefined;
  return ['completed', 'refunded', 'expired', 'failed', 'refund_pending'].includes(state?.state ?? '');
}

function openOrders(stack: Stack): number {
  return withDb(stack, (db) => {
    const open = db
      .prepare(
        `SELECT count(*) AS n FROM orders WHERE state IN ('created','awaiting_payment','paid','vending','refund_pending')
           OR cancel_pending = 1`,
      )
      .get() as { n: number };
    return open.n;
  });
}

function readOrders(stack: Stack): Map<string, AgentOrder> {
  return withDb(stack, (db) => {
    const orders = db.prepare('SELECT out_trade_no, state FROM orders').all() as Array<{
      out_trade_no: string;
      state: string;
    }>;
    const items = db.prepare(
      'SELECT lane, price_fen, vend_state FROM order_items WHERE out_trade_no = ? ORDER BY position',
    );
    return new Map(
      orders.map((o) => [
        o.out_trade_no,
        {
          state: o.state,
          items: (
            items.all(o.out_trade_no) as Array<{ lane: number; price_fen: number; vend_state: string }>
          ).map((i) => ({ lane: i.lane, priceFen: i.price_fen, vendState: i.vend_state })),
        },
      ]),
    );
  });
}

/** The report as an operator reads it: counts first, then every violation on its own line. */
export function formatChaosReport(report: ChaosReport): string {
  const { violations, ambiguousRuns, unreportedDrops, counts } = report.reconciliation;
  const byKind: Record<string, number> = {};
  for (const v of violations) byKind[v.kind] = (byKind[v.kind] ?? 0) + 1;
  const kills = Object.values(report.kills).reduce((s, n) => s + n, 0);
  const ms = [...report.restartToSaleMs].sort((a, b) => a - b);
  const boot = [...report.restartToReadyMs].sort((a, b) => a - b);
  const resolved = [...report.interruptedVends.resolvedMs].sort((a, b) => a - b);
  const q = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.floor(p * xs.length))] ?? 0;
  const spread = (xs: number[]) => `p50 ${q(xs, 0.5)} ms, p90 ${q(xs, 0.9)} ms, max ${xs.at(-1) ?? 0} ms`;
  return [
    `chaos seed ${report.seed}: ${report.sales} sales`,
    `kills: ${kills} ${JSON.stringify(report.kills)}`,
    `board faults: ${JSON.stringify(report.faults)}; relay restarts: ${report.relayRestarts}`,
    `sales by payment and end state: ${JSON.stringify(counts)}`,
    `ambiguous motor runs (no drop seen, interrupted; shown apart): ${ambiguousRuns}`,
    `drops seen whose report reached no running agent (it was down for all of the board's resends): ${unreportedDrops}`,
    ms.length
      ? `agent restart → first sale possible (${ms.length} restarts): ${spread(ms)}; of which the agent's own boot: ${spread(boot)}`
      : 'agent restart → first sale possible: no restart measured',
    resolved.length
      ? `restarts that interrupted a vend: ${resolved.length}; restart → every interrupted item decided: ${spread(resolved)}; items decided as ${JSON.stringify(report.interruptedVends.decided)} (unknown: refunded and flagged for a technician)`
      : 'restarts that interrupted a vend: none',
    `violations: ${violations.length} ${JSON.stringify(byKind)}`,
    ...violations.map((v) => `  ${v.kind} ${v.outTradeNo}: ${v.detail}`),
  ].join('\n');
}
