// Vends the items of a paid order, one at a time: commit the intent, send the command, commit the board's
// result. An item whose intent is on disk is never sent again (DESIGN.md, Invariants): after a crash it is
// resolved from the board's evidence (vend-recovery.ts), never retried.
import type { VendOutcome } from '../dispenser/dispenser.ts';
import { vendOutcomeDetail } from '../dispenser/vend-outcome.ts';
import type { SaleContext } from './sale-context.ts';
import { settleUndelivered } from './refunds.ts';

/** Starts vending a freshly paid order. Safe to call from racing paths: only one wins the paid → vending step. */
export async function startVending(ctx: SaleContext, outTradeNo: string): Promise<void> {
  const claimed = ctx.store.db.transaction(() => beginVending(ctx, outTradeNo))();
  if (claimed === false) return;
  ctx.changed(outTradeNo);
  await continueVending(ctx, outTradeNo, claimed);
}

/**
 * Moves a paid order to vending and records the first pending item's vend intent, in the caller's
 * transaction (so the intent shares the commit of `paid` when a payment is confirmed). Returns the position
 * claimed (null when no item is pending), or false when another path already started vending this order.
 */
export function beginVending(ctx: SaleContext, outTradeNo: string): number | null | false {
  if (!ctx.store.orders.transition(outTradeNo, ['paid'], 'vending')) return false;
  const first = ctx.store.orders.mustGet(outTradeNo).items.find((i) => i.vendState === 'pending');
  if (!first) return null;
  return markVending(ctx, outTradeNo, first.position) ? first.position : null;
}

/**
 * Commits an item's vend intent with the board's packet number of the moment: after a restart, only a final
 * report numbered just after it can decide the interrupted item (recovery's evidence rule).
 */
function markVending(ctx: SaleContext, outTradeNo: string, position: number): boolean {
  const mark = ctx.dispenser.vendMark?.() ?? null;
  return ctx.store.orders.markVending(outTradeNo, position, mark?.boardSeq ?? null);
}

/**
 * Vends every item still pending, then settles the order. Used by startVending and by recovery. `claimed` is
 * the item whose intent the caller committed (beginVending) and which this call alone may now send; any other
 * item already in `vending` was claimed by a run that is gone, and is never sent again.
 */
export async function continueVending(
  ctx: SaleContext,
  outTradeNo: string,
  claimed: number | null = null,
): Promise<void> {
  const order = ctx.store.orders.mustGet(outTradeNo);
  for (const item of order.items) {
    const ours = item.position === claimed && item.vendState === 'vending';
    if (!ours) {
      if (item.vendState !== 'pending') continue;
      if (!markVending(ctx, outTradeNo, item.position)) continue;
      ctx.changed(outTradeNo);
    }
    const outcome: VendOutcome =
      ctx.store.lanes.get(item.lane)?.enabled === false
        ? { kind: 'not_delivered', reason: 'lane taken out of service; not tried' }
        : await vendSafely(ctx, item.lane, `${outTradeNo}#${item.position}`);
    commitVendOutcome(ctx, outTradeNo, item, outcome);
  }
  await settleUndelivered(ctx, outTradeNo);
}

/**
 * Commits what became of one item whose intent was on disk: its state, the stock, and the lane taken out of
 * service when the board reported a fault. Used by a live vend and by recovery after a restart alike.
 */
export function commitVendOutcome(
  ctx: SaleContext,
  outTradeNo: string,
  item: { readonly position: number; readonly lane: number },
  outcome: VendOutcome,
): void {
  const { state, detail } = describe(outcome);
  ctx.store.db.transaction(() => {
    ctx.store.orders.finishVend(outTradeNo, item.position, state, detail);
    // Stock follows what may physically have left the lane: a motor that ran without a confirmed drop still
    // probably emptied a slot.
    if (state !== 'not_delivered') ctx.store.lanes.decrementStock(item.lane);
    // A lane the board reports faulty is taken out of service until a technician has looked, whether the
    // motor cannot have run (motor missing, empty) or may have (jammed, ran without a drop): selling from it
    // again would only mean more refunds. Without a board code (no answer, link lost) the lane is not to blame.
    if (outcome.kind !== 'delivered' && outcome.code !== undefined) {
      ctx.store.lanes.setEnabled(item.lane, false);
      ctx.store.maintenanceLog.record('lane_disabled', item.lane, `after: ${detail}`);
    }
  })();
  ctx.log(`vend ${outTradeNo}#${item.position} lane ${item.lane}: ${state} (${detail})`);
  ctx.changed(outTradeNo);
}

/** How long a paid vend waits for an offline board (just restarted, replugged) before giving up on it. */
export const BOARD_WAIT_MS = 10_000;

async function vendSafely(ctx: SaleContext, lane: number, txn: string): Promise<VendOutcome> {
  await boardOnline(ctx, BOARD_WAIT_MS);
  try {
    return await ctx.dispenser.vend(lane, txn);
  } catch (err) {
    // The driver promises not to reject on board faults; if it does anyway, the motor may have run.
    return { kind: 'unverified', reason: `driver error: ${(err as Error).message}` };
  }
}

function describe(outcome: VendOutcome): {
  state: 'delivered' | 'not_delivered' | 'unknown';
  detail: string;
} {
  const state = outcome.kind === 'unverified' ? 'unknown' : outcome.kind;
  return { state, detail: vendOutcomeDetail(outcome) };
}

/** Resolves when the board link is up, or after `ms` (the driver then reports the vend as not sent). */
export function boardOnline(ctx: SaleContext, ms: number): Promise<void> {
  if (ctx.dispenser.linkState === 'up') return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      off();
      resolve();
    };
    const timer = setTimeout(done, ms);
    const off = ctx.dispenser.onEvent((event) => {
      if (event.type === 'link' && event.state === 'up') done();
    });
  });
}
