// The figures an operator reads off a kiosk, computed from the telemetry it already sends: its settled sales
// (`sale.settled`, one per order and final state) and its status (`kiosk.status`: lanes, board link, refunds
// owed, outbox depth). Telemetry is outside input: whatever does not fit the expected shape is left out of the
// figures, never guessed at. Money in integer fen.
import { z } from 'zod';
import type { Calendar } from './calendar.ts';
import type { TelemetryRow } from './fleet-queries.ts';

const Fen = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
const Count = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

const Settled = z.object({
  outTradeNo: z.string().min(1).max(64),
  state: z.enum(['completed', 'refunded', 'expired', 'failed']),
  totalFen: Fen,
  deliveredFen: Fen,
  items: z
    .array(
      z.object({
        lane: z.number().int().optional(),
        productId: z.string().max(64).optional(),
        priceFen: Fen.optional(),
        vendState: z.string().max(32),
        detail: z.string().max(500).nullable().optional(),
      }),
    )
    .max(1000)
    .default([]),
});

const Status = z.object({
  lanes: z
    .array(
      z.object({
        lane: z.number().int(),
        productId: z.string().max(64),
        stock: Count,
        capacity: Count,
        enabled: z.boolean(),
      }),
    )
    .max(1000),
  board: z.enum(['up', 'down']),
  refundsPending: z.object({ count: Count, fen: Fen }),
  refundsFailed: z.object({ count: Count, fen: Fen }),
  outboxDepth: Count,
});

const BoardLink = z.object({ state: z.enum(['up', 'down']) });

export interface SettledOrder {
  outTradeNo: string;
  state: 'completed' | 'refunded' | 'expired' | 'failed';
  at: string;
  totalFen: number;
  /** What the customer kept (paid for and received): the sale's revenue. */
  deliveredFen: number;
  items: Array<{
    lane?: number;
    productId?: string;
    priceFen?: number;
    vendState: string;
    detail?: string | null;
  }>;
}

/** One order per out_trade_no, its final word (an expired order later refunded is the refund). */
export function settledOrders(rows: readonly TelemetryRow[]): SettledOrder[] {
  const byOrder = new Map<string, SettledOrder>();
  for (const row of rows) {
    const parsed = Settled.safeParse(row.data);
    if (!parsed.success || parsed.data.deliveredFen > parsed.data.totalFen) continue;
    const order: SettledOrder = { ...parsed.data, at: row.at };
    const previous = byOrder.get(order.outTradeNo);
    if (previous === undefined || previous.at <= order.at) byOrder.set(order.outTradeNo, order);
  }
  return [...byOrder.values()].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
}

export interface SalesBucket {
  sales: number;
  revenueFen: number;
}

/** A sale is an order the customer kept something of; its revenue is what was delivered. */
export function addSale(bucket: SalesBucket, order: SettledOrder): void {
  if (order.deliveredFen === 0) return;
  bucket.sales += 1;
  bucket.revenueFen += order.deliveredFen;
}

const FAILED_VEND = new Set(['not_delivered', 'unknown']);

export function failedVends(orders: readonly SettledOrder[]): number {
  return orders.reduce((n, o) => n + o.items.filter((i) => FAILED_VEND.has(i.vendState)).length, 0);
}

/** Low: in service and at or below a fifth of the lane's capacity (an empty lane included). */
export function isLowStock(lane: { stock: number; capacity: number; enabled: boolean }): boolean {
  return lane.enabled && lane.stock <= Math.max(1, Math.floor(lane.capacity / 5));
}

export interface StatusFigures {
  /** When the kiosk recorded the status these figures come from. */
  at: string;
  board: 'up' | 'down';
  disabledLanes: number[];
  lowStock: Array<{ lane: number; productId: string; stock: number; capacity: number }>;
  refundsOwed: { count: number; fen: number };
  refundsFailed: { count: number; fen: number };
  outboxDepth: number;
}

export function statusFigures(row: TelemetryRow | undefined): StatusFigures | null {
  const parsed = row === undefined ? undefined : Status.safeParse(row.data);
  if (row === undefined || !parsed?.success) return null;
  const s = parsed.data;
  return {
    at: row.at,
    board: s.board,
    disabledLanes: s.lanes.filter((l) => !l.enabled).map((l) => l.lane),
    lowStock: s.lanes
      .filter(isLowStock)
      .map(({ lane, productId, stock, capacity }) => ({ lane, productId, stock, capacity })),
    refundsOwed: {
      count: s.refundsPending.count + s.refundsFailed.count,
      fen: s.refundsPending.fen + s.refundsFailed.fen,
    },
    refundsFailed: s.refundsFailed,
    outboxDepth: s.outboxDepth,
  };
}

/** The board link's newest known state: a `board.link` change or the status, whichever the kiosk recorded last. */
export function boardLink(
  status: StatusFigures | null,
  linkEvent: TelemetryRow | undefined,
): 'up' | 'down' | null {
  const link = linkEvent === undefined ? undefined : BoardLink.safeParse(linkEvent.data);
  if (link?.success && linkEvent !== undefined && (status === null || linkEvent.at > status.at))
    return link.data.state;
  return status?.board ?? null;
}

/** What needs a person, in words an operator reads at a glance. */
export function faults(
  board: 'up' | 'down' | null,
  status: StatusFigures | null,
  vendsFailedToday: number,
): string[] {
  const list: string[] = [];
  if (board === 'down') list.push('dispenser board not answering');
  if (vendsFailedToday > 0)
    list.push(`${vendsFailedToday} vend${vendsFailedToday === 1 ? '' : 's'} failed today`);
  const refused = status?.refundsFailed.count ?? 0;
  if (refused > 0) list.push(`${refused} refund${refused === 1 ? '' : 's'} refused by Alipay`);
  return list;
}

/** Sales per calendar day (in the calendar's zone) for the given days. */
export function salesByDay(
  orders: readonly SettledOrder[],
  calendar: Calendar,
  days: readonly string[],
): Array<{ date: string } & SalesBucket> {
  const buckets = new Map(days.map((date) => [date, { sales: 0, revenueFen: 0 }]));
  for (const order of orders) {
    const bucket = buckets.get(calendar.day(new Date(order.at)));
    if (bucket !== undefined) addSale(bucket, order);
  }
  return [...buckets].map(([date, b]) => ({ date, ...b }));
}

/** Sales per hour for the given hour starts. */
export function salesByHour(
  orders: readonly SettledOrder[],
  hours: readonly Date[],
): Array<{ hour: string } & SalesBucket> {
  const buckets = new Map(hours.map((h) => [h.getTime(), { sales: 0, revenueFen: 0 }]));
  for (const order of orders) {
    const t = Date.parse(order.at);
    const bucket = Number.isFinite(t) ? buckets.get(Math.floor(t / 3_600_000) * 3_600_000) : undefined;
    if (bucket !== undefined) addSale(bucket, order);
  }
  return [...buckets].map(([t, b]) => ({ hour: new Date(t).toISOString(), ...b }));
}
