// The operator's read model of the fleet: every kiosk the relay knows (configured, enrolled, or seen in the
// log) with its link, sequence, last contact, and the figures its telemetry gives (operator/figures.ts): sales
// and revenue today, refunds owed, faults, disabled lanes, low stock, outbox depth. One kiosk in detail adds
// its sales per hour and per day and its recent orders. Reads go through FleetQueries (RelayStore.fleet, on
// either backend).
import type { Calendar } from './operator/calendar.ts';
import { lastHours } from './operator/calendar.ts';
import {
  boardLink,
  failedVends,
  faults,
  salesByDay,
  salesByHour,
  settledOrders,
  statusFigures,
  type SalesBucket,
  type SettledOrder,
  type StatusFigures,
} from './operator/figures.ts';
import type { FleetQueries, KioskRegistryRow, TelemetryRow } from './operator/fleet-queries.ts';

export interface FleetKiosk {
  id: string;
  source: 'config' | 'enrolled' | 'log';
  revoked: boolean;
  connected: boolean;
  /** Now while connected; else when its link was last heard from (hello, long-poll, telemetry, close). */
  lastSeenAt: string | null;
  lastSeq: number;
  ackedSeq: number;
  today: { date: string } & SalesBucket;
  board: 'up' | 'down' | null;
  faults: string[];
  /** From the kiosk's newest `kiosk.status`; null until it sent one. */
  status: StatusFigures | null;
  /** The newest telemetry event of each type the kiosk sent. */
  latestTelemetry: Record<string, { at: string; receivedAt: string; data: unknown }>;
}

export interface KioskDetail extends FleetKiosk {
  salesByHour: Array<{ hour: string } & SalesBucket>;
  salesByDay: Array<{ date: string } & SalesBucket>;
  recentOrders: SettledOrder[];
}

export interface FleetSources {
  queries: FleetQueries;
  configured: readonly string[];
  isConnected: (id: string) => boolean;
  now: () => Date;
  calendar: Calendar;
}

const DAY_MS = 86_400_000;
const CHART_DAYS = 14;
const CHART_HOURS = 24;
const RECENT_ORDERS = 50;

export async function fleetView(sources: FleetSources): Promise<FleetKiosk[]> {
  const now = sources.now();
  const [registry, latest, settled] = await Promise.all([
    sources.queries.registry(),
    sources.queries.latestTelemetry(),
    // "Today" began less than a day ago in any zone; the calendar picks today's among these.
    sources.queries.telemetrySince(
      'sale.settled',
      new Date(now.getTime() - DAY_MS - 3_600_000).toISOString(),
    ),
  ]);
  const rows = new Map(registry.map((r) => [r.kioskId, r]));
  const ids = [...new Set([...sources.configured, ...rows.keys()])].sort();
  return ids.map((id) =>
    kioskFigures(
      id,
      rows.get(id),
      latest.filter((t) => t.kioskId === id),
      settledOrders(settled.filter((t) => t.kioskId === id)),
      sources,
      now,
    ),
  );
}

export async function kioskDetail(sources: FleetSources, id: string): Promise<KioskDetail | undefined> {
  const now = sources.now();
  const [registry, latest, settled] = await Promise.all([
    sources.queries.registry(),
    sources.queries.latestTelemetry(id),
    sources.queries.telemetrySince(
      'sale.settled',
      new Date(now.getTime() - (CHART_DAYS + 1) * DAY_MS).toISOString(),
      id,
    ),
  ]);
  const row = registry.find((r) => r.kioskId === id);
  if (row === undefined && !sources.configured.includes(id)) return undefined;
  const orders = settledOrders(settled);
  return {
    ...kioskFigures(id, row, latest, orders, sources, now),
    salesByHour: salesByHour(orders, lastHours(now, CHART_HOURS)),
    salesByDay: salesByDay(orders, sources.calendar, sources.calendar.lastDays(now, CHART_DAYS)),
    recentOrders: orders.slice(-RECENT_ORDERS).reverse(),
  };
}

function kioskFigures(
  id: string,
  row: KioskRegistryRow | undefined,
  latest: readonly TelemetryRow[],
  orders: readonly SettledOrder[],
  sources: FleetSources,
  now: Date,
): FleetKiosk {
  const byType = new Map(latest.map((t) => [t.type, t]));
  const status = statusFigures(byType.get('kiosk.status'));
  const board = boardLink(status, byType.get('board.link'));
  const date = sources.calendar.day(now);
  const todays = orders.filter((o) => sources.calendar.day(new Date(o.at)) === date);
  const [today] = salesByDay(todays, sources.calendar, [date]);
  const connected = sources.isConnected(id);
  return {
    id,
    source: sources.configured.includes(id)
      ? 'config'
      : row?.revoked !== null && row !== undefined
        ? 'enrolled'
        : 'log',
    revoked: row?.revoked === true,
    connected,
    lastSeenAt: connected ? now.toISOString() : (row?.lastSeenAt ?? null),
    lastSeq: row?.lastSeq ?? 0,
    ackedSeq: row?.ackedSeq ?? 0,
    today: today ?? { date, sales: 0, revenueFen: 0 },
    board,
    faults: faults(board, status, failedVends(todays)),
    status,
    latestTelemetry: Object.fromEntries(
      latest.map((t) => [t.type, { at: t.at, receivedAt: t.receivedAt, data: t.data }]),
    ),
  };
}
