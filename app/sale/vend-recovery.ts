// Resolves a vend that the agent's own restart interrupted, from the evidence the board still offers, never
// by sending the vend again. The 0xFA 0xFB board resends an unacknowledged report up to 5 times (the vendor
// document), and a motor or lift still running when the agent comes back reports its result after the
// restart: a final 0x04 for the lane in flight, numbered after the board's PackNO recorded with the vend
// intent, decides the item exactly as it would have decided the live vend. A report for another lane, or one
// numbered at or before the mark (a leftover of an earlier vend) or too far after it, is not evidence. When
// nothing decides within a bounded window, the item is `unknown` and refunded, as before, and flagged for a
// technician (maintenance log `check_interrupted_vend`, shown on the maintenance screen).
//
// A board that latches its last vend's result until it is read (ZDM8) offers that result instead, as a
// `latched_result` found before the new process sent any vend command. It names no lane and no number, so it
// decides an item only when that item's intent was marked (the board then held no unread result and no other
// vend was queued) and no other vend was in flight or ended after that intent: the board's last command was
// then this item's, and the result it kept is this item's.
import type { Dispenser, LatchedResult, UnclaimedReport, VendOutcome } from '../dispenser/dispenser.ts';
import { CHECK_INTERRUPTED_VEND } from '../store/index.ts';
import type { SaleContext } from './sale-context.ts';
import { BOARD_WAIT_MS, boardOnline, commitVendOutcome, continueVending } from './vending.ts';

/** How long after the board link is up recovery waits for its report (the board resends every POLL). */
export const RECOVERY_EVIDENCE_MS = 3000;

/**
 * How many board packets may lie between the mark and the vend's final report: the lane check's 0x02, the
 * "01 dispensing", the final itself, and answers to the start-up sync (one 0x11 per lane) of the new process.
 */
export const MAX_REPORT_DISTANCE = 32;

export interface InterruptedItem {
  readonly outTradeNo: string;
  readonly position: number;
  readonly lane: number;
  /** The board's PackNO when the intent was committed; null: no report can be tied to this vend. */
  readonly boardSeq: number | null;
  readonly startedAt: number | null;
  /**
   * No other item's vend was in flight or ended after this item's intent: a result that names no lane can
   * only be this item's.
   */
  readonly alone: boolean;
}

/** What the board offered after the restart that decides an item. */
export type Evidence = UnclaimedReport | LatchedResult;

/** True when `report` can be this item's result: its lane, and numbered just after the intent's mark. */
export function reportMatches(item: InterruptedItem, report: UnclaimedReport): boolean {
  if (report.lane !== item.lane || item.boardSeq === null) return false;
  const distance = (report.boardSeq - item.boardSeq + 255) % 255;
  return distance >= 1 && distance <= MAX_REPORT_DISTANCE;
}

/** True when a latched result (it names no lane) can be this item's: a marked intent, and no other vend. */
export function latchedMatches(item: InterruptedItem): boolean {
  return item.boardSeq !== null && item.alone;
}

/**
 * Listens to the board from the very start of recovery (before the port has delivered a byte), so that a
 * report resent in the first POLLs after the restart, or a latched result read at once, is not missed.
 */
export class EvidenceWatch {
  private readonly reports: UnclaimedReport[] = [];
  private latched: LatchedResult | null = null;
  private readonly waiters = new Set<() => void>();
  private readonly off: () => void;

  constructor(dispenser: Dispenser) {
    this.off = dispenser.onEvent((event) => {
      if (event.type === 'unclaimed_report') this.reports.push(event);
      else if (event.type === 'latched_result') this.latched = event;
      else return;
      for (const w of [...this.waiters]) w();
    });
  }

  /** The first final report or latched result that matches `item`, or null when none came within `windowMs`. */
  waitFor(item: InterruptedItem, windowMs: number): Promise<Evidence | null> {
    // Without a mark no report can be tied to this vend: nothing to wait for (e.g. boards without numbering).
    if (item.boardSeq === null) return Promise.resolve(null);
    const found = (): Evidence | null =>
      this.reports.find((r) => r.outcome !== 'in_progress' && reportMatches(item, r)) ??
      (this.latched && latchedMatches(item) ? this.latched : null);
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve(found());
      };
      const check = (): void => {
        if (found()) done();
      };
      const timer = setTimeout(done, windowMs);
      this.waiters.add(check);
      check();
    });
  }

  close(): void {
    this.off();
    this.waiters.clear();
  }
}

export interface RecoveryOptions {
  /** Evidence window after the board link is up (ms; undefined: RECOVERY_EVIDENCE_MS). */
  readonly evidenceMs?: number | undefined;
}

/**
 * Resolves the interrupted items of one order (normally one), then vends the order's remaining items and
 * settles it. Runs in the background: the rest of the agent (screen, relay, other orders) does not wait.
 */
export async function recoverInterruptedOrder(
  ctx: SaleContext,
  watch: EvidenceWatch,
  outTradeNo: string,
  options: RecoveryOptions = {},
): Promise<void> {
  const order = ctx.store.orders.mustGet(outTradeNo);
  // Read before anything of this process can vend: whether another vend followed an item's intent.
  const interrupted = order.items
    .filter((i) => i.vendState === 'vending')
    .map((item): InterruptedItem => {
      const intent = ctx.store.orders.vendIntent(outTradeNo, item.position);
      const startedAt = intent?.startedAt ?? null;
      return {
        outTradeNo,
        position: item.position,
        lane: item.lane,
        boardSeq: intent?.boardSeq ?? null,
        startedAt,
        alone:
          startedAt !== null && ctx.store.orders.otherVendsSince(outTradeNo, item.position, startedAt) === 0,
      };
    });
  if (interrupted.length) {
    await boardOnline(ctx, BOARD_WAIT_MS);
    const windowMs = options.evidenceMs ?? RECOVERY_EVIDENCE_MS;
    for (const candidate of interrupted) {
      const evidence = await watch.waitFor(candidate, windowMs);
      resolveItem(ctx, candidate, evidence, windowMs);
    }
  }
  await continueVending(ctx, outTradeNo);
}

function resolveItem(
  ctx: SaleContext,
  item: InterruptedItem,
  evidence: Evidence | null,
  windowMs: number,
): void {
  if (evidence && evidence.outcome !== 'in_progress') {
    const outcome: VendOutcome =
      evidence.outcome.kind === 'delivered'
        ? evidence.outcome
        : { ...evidence.outcome, reason: `${evidence.outcome.reason} (reported after the agent restarted)` };
    ctx.log(
      `recovery: ${item.outTradeNo}#${item.position} lane ${item.lane} resolved from ${source(evidence, item)}`,
    );
    commitVendOutcome(ctx, item.outTradeNo, item, outcome);
    return;
  }
  const started = item.startedAt === null ? 'at an unknown time' : new Date(item.startedAt).toISOString();
  const reason =
    item.boardSeq === null
      ? 'agent restarted while this item was vending; the board gives no result to tie to it; not retried'
      : `agent restarted while this item was vending; the board offered no result for it within ${windowMs} ms; not retried`;
  // The flag first: a crash between the two leaves the item `vending`, and the next start flags it again.
  ctx.store.maintenanceLog.record(
    CHECK_INTERRUPTED_VEND,
    item.lane,
    `order ${item.outTradeNo} item ${item.position}, vend started ${started}: refunded without the ` +
      `board's result; check whether the item came out`,
  );
  commitVendOutcome(ctx, item.outTradeNo, item, { kind: 'unverified', reason });
}

function source(evidence: Evidence, item: InterruptedItem): string {
  if (evidence.type === 'latched_result')
    return `the result the board kept for its last vend command (0x${evidence.code.toString(16).padStart(4, '0')})`;
  const code = evidence.code.toString(16).padStart(2, '0');
  return `the board's report 0x${code} (board PackNO ${evidence.boardSeq}, intent mark ${item.boardSeq})`;
}
