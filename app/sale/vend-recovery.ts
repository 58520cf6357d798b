// Resolves a vend that the agent's own restart interrupted, from the evidence the board still offers, never
// by sending the vend again. The 0xFA 0xFB board resends an unacknowledged report up to 5 times (the vendor
// document), and a motor or lift still running when the agent comes back reports its result after the
// restart: a final 0x04 for the lane in flight, numbered after the board's PackNO recorded with the vend
// intent, decides the item exactly as it would have decided the live vend. A report for another lane, or one
// numbered at or before the mark (a leftover of an earlier vend) or too far after it, is not evidence. When
// nothing decides within a bounded window, the item is `unknown` and refunded, as before, and flagged for a
// technician (maintenance log `check_interrupted_vend`, shown on the maintenance screen).
import type { Dispenser, UnclaimedReport, VendOutcome } from '../dispenser/dispenser.ts';
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
}

/** True when `report` can be this item's result: its lane, and numbered just after the intent's mark. */
export function reportMatches(item: InterruptedItem, report: UnclaimedReport): boolean {
  if (report.lane !== item.lane || item.boardSeq === null) return false;
  const distance = (report.boardSeq - item.boardSeq + 255) % 255;
  return distance >= 1 && distance <= MAX_REPORT_DISTANCE;
}

/**
 * Listens to the board from the very start of recovery (before the port has delivered a byte), so that a
 * report resent in the first POLLs after the restart is not missed.
 */
export class EvidenceWatch {
  private readonly reports: UnclaimedReport[] = [];
  private readonly waiters = new Set<() => void>();
  private readonly off: () => void;

  constructor(dispenser: Dispenser) {
    this.off = dispenser.onEvent((event) => {
      if (event.type !== 'unclaimed_report') return;
      this.reports.push(event);
      for (const w of [...this.waiters]) w();
    });
  }

  /** The first final report that matches `item`, or null when none came within `windowMs`. */
  waitFor(item: InterruptedItem, windowMs: number): Promise<UnclaimedReport | null> {
    // Without a mark no report can be tied to this vend: nothing to wait for (e.g. boards without numbering).
    if (item.boardSeq === null) return Promise.resolve(null);
    const found = (): UnclaimedReport | null =>
      this.reports.find((r) => r.outcome !== 'in_progress' && reportMatches(item, r)) ?? null;
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
  /** Evidence window after the board link is up (ms). */
  readonly evidenceMs?: number;
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
  const interrupted = order.items.filter((i) => i.vendState === 'vending');
  if (interrupted.length) {
    await boardOnline(ctx, BOARD_WAIT_MS);
    const windowMs = options.evidenceMs ?? RECOVERY_EVIDENCE_MS;
    for (const item of interrupted) {
      const intent = ctx.store.orders.vendIntent(outTradeNo, item.position);
      const candidate: InterruptedItem = {
        outTradeNo,
        position: item.position,
        lane: item.lane,
        boardSeq: intent?.boardSeq ?? null,
        startedAt: intent?.startedAt ?? null,
      };
      const report = await watch.waitFor(candidate, windowMs);
      resolveItem(ctx, candidate, report, windowMs);
    }
  }
  await continueVending(ctx, outTradeNo);
}

function resolveItem(
  ctx: SaleContext,
  item: InterruptedItem,
  report: UnclaimedReport | null,
  windowMs: number,
): void {
  if (report && report.outcome !== 'in_progress') {
    const outcome: VendOutcome =
      report.outcome.kind === 'delivered'
        ? report.outcome
        : { ...report.outcome, reason: `${report.outcome.reason} (reported after the agent restarted)` };
    ctx.log(
      `recovery: ${item.outTradeNo}#${item.position} lane ${item.lane} resolved from the board's report ` +
        `0x${report.code.toString(16).padStart(2, '0')} (board PackNO ${report.boardSeq}, intent mark ${item.boardSeq})`,
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
