// The relay's side of the comparison, read from its database: the verified notifications it stored and the
// kiosks' `sale.settled` telemetry. Plain SQL (plain-sql.ts, no JSON operators), so one implementation serves
// both backends; the JSON columns are parsed here.
import type { PlainSql } from '../plain-sql.ts';
import type { ReconcileSources, SourceQuery } from './run-day.ts';
import type { TelemetryEvent } from './settled-sale.ts';
import type { StoredNotification } from './trade-facts.ts';

/** Placeholders per IN (…) list: well under SQLite's and PostgreSQL's parameter limits. */
const CHUNK = 500;

/**
 * Kiosks report a sale when their link allows, so its telemetry may arrive days after the sale: telemetry is
 * read from this long before the day's start to this long after its end (a kiosk offline for longer shows as
 * telemetry_missing until it reports), then kept when it names a trade of the day or was written during it.
 */
const TELEMETRY_LOOKBACK_MS = 2 * 86_400_000;
const TELEMETRY_LOOKAHEAD_MS = 7 * 86_400_000;

function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += CHUNK) out.push(items.slice(i, i + CHUNK));
  return out;
}

type NotifyRow = { id: number; params_json: string; kiosk_id: string | null; received_at: string };

function parseParams(json: string): Record<string, string> {
  const value = JSON.parse(json) as unknown;
  const params: Record<string, string> = {};
  if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) if (typeof v === 'string') params[k] = v;
  }
  return params;
}

export function relaySources(sql: PlainSql): ReconcileSources {
  return {
    async notifications(query: SourceQuery): Promise<StoredNotification[]> {
      const rows = new Map<number, NotifyRow>();
      const columns = 'id, params_json, kiosk_id, received_at';
      for (const row of await sql.all<NotifyRow>(
        `SELECT ${columns} FROM notifies WHERE received_at >= ? AND received_at < ?`,
        [query.startIso, query.endIso],
      )) {
        rows.set(row.id, row);
      }
      for (const group of chunks(query.outTradeNos)) {
        const byTrade = `SELECT ${columns} FROM notifies WHERE out_trade_no IN (${group.map(() => '?').join(', ')})`;
        for (const row of await sql.all<NotifyRow>(byTrade, group)) rows.set(row.id, row);
      }
      return [...rows.values()]
        .sort((a, b) => a.id - b.id)
        .map((r) => ({
          params: parseParams(r.params_json),
          kioskId: r.kiosk_id,
          receivedAt: r.received_at,
        }));
    },

    async settledSales(query: SourceQuery): Promise<TelemetryEvent[]> {
      const wanted = new Set(query.outTradeNos);
      const since = new Date(Date.parse(query.startIso) - TELEMETRY_LOOKBACK_MS).toISOString();
      const until = new Date(Date.parse(query.endIso) + TELEMETRY_LOOKAHEAD_MS).toISOString();
      const rows = await sql.all<{
        kiosk_id: string;
        event_id: string;
        type: string;
        at: string;
        data_json: string;
        received_at: string;
      }>(
        `SELECT kiosk_id, event_id, type, at, data_json, received_at FROM telemetry
          WHERE type = 'sale.settled' AND received_at >= ? AND received_at < ?
          ORDER BY received_at, kiosk_id, event_id`,
        [since, until],
      );
      const inDay = (iso: string): boolean => iso >= query.startIso && iso < query.endIso;
      const events: TelemetryEvent[] = [];
      for (const row of rows) {
        let data: unknown;
        try {
          data = JSON.parse(row.data_json);
        } catch {
          data = null; // the relay stored it as JSON; an unreadable row is reported by reconcile(), not dropped
        }
        const outTradeNo =
          data !== null && typeof data === 'object'
            ? (data as { outTradeNo?: unknown }).outTradeNo
            : undefined;
        const named = typeof outTradeNo === 'string' && wanted.has(outTradeNo);
        if (!named && !inDay(row.at) && !inDay(row.received_at)) continue;
        events.push({ kioskId: row.kiosk_id, eventId: row.event_id, type: row.type, at: row.at, data });
      }
      return events;
    },
  };
}
