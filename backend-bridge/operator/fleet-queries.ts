// The operator console's reads of the relay database (fleet figures, kiosk detail, charts, recent orders), in
// one place: RelayStore.fleet on either backend, one implementation over plain portable SQL (plain-sql.ts).
import type { PlainSql } from '../plain-sql.ts';

export interface KioskRegistryRow {
  kioskId: string;
  revoked: boolean | null; // null: not enrolled
  lastSeq: number | null;
  ackedSeq: number | null;
  lastSeenAt: string | null;
}

export interface TelemetryRow {
  kioskId: string;
  eventId: string;
  type: string;
  at: string;
  receivedAt: string;
  data: unknown;
}

export interface FleetQueries {
  /** Every kiosk enrolled, with a cursor, or heard from; with what the relay knows of its link. */
  registry(): Promise<KioskRegistryRow[]>;
  /** The newest event of each telemetry type per kiosk (one kiosk, or all). */
  latestTelemetry(kioskId?: string): Promise<TelemetryRow[]>;
  /** Telemetry of one type that happened at or after `sinceIso` (one kiosk, or all). */
  telemetrySince(type: string, sinceIso: string, kioskId?: string): Promise<TelemetryRow[]>;
}

interface RawTelemetry {
  kiosk_id: string;
  event_id: string;
  type: string;
  at: string;
  received_at: string;
  data_json: string;
}

const toTelemetry = (r: RawTelemetry): TelemetryRow => ({
  kioskId: r.kiosk_id,
  eventId: r.event_id,
  type: r.type,
  at: r.at,
  receivedAt: r.received_at,
  data: parseJson(r.data_json),
});

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}

/** ` AND <column> = ?` and its parameter when the read is for one kiosk. */
function oneKiosk(column: string, kioskId: string | undefined): { sql: string; params: string[] } {
  return kioskId === undefined ? { sql: '', params: [] } : { sql: ` AND ${column} = ?`, params: [kioskId] };
}

export function fleetQueries(sql: PlainSql): FleetQueries {
  return {
    registry: async () => {
      const rows = await sql.all<{
        kiosk_id: string;
        revoked_at: string | null;
        enrolled: string | null;
        last_seq: number | null;
        acked_seq: number | null;
        last_seen_at: string | null;
      }>(
        `WITH ids AS (SELECT kiosk_id FROM enrolled_kiosks UNION SELECT kiosk_id FROM kiosk_cursors
                      UNION SELECT kiosk_id FROM kiosk_presence)
         SELECT ids.kiosk_id, e.revoked_at, e.kiosk_id AS enrolled, c.last_seq, c.acked_seq, p.last_seen_at
           FROM ids LEFT JOIN enrolled_kiosks e ON e.kiosk_id = ids.kiosk_id
                    LEFT JOIN kiosk_cursors c ON c.kiosk_id = ids.kiosk_id
                    LEFT JOIN kiosk_presence p ON p.kiosk_id = ids.kiosk_id`,
      );
      return rows.map((r) => ({
        kioskId: r.kiosk_id,
        revoked: r.enrolled === null ? null : r.revoked_at !== null,
        lastSeq: r.last_seq,
        ackedSeq: r.acked_seq,
        lastSeenAt: r.last_seen_at,
      }));
    },
    latestTelemetry: async (kioskId) => {
      // Newest by the kiosk's own time, then by arrival: a status recorded offline and uploaded late is older.
      const only = oneKiosk('kiosk_id', kioskId);
      const rows = await sql.all<RawTelemetry>(
        `SELECT t.kiosk_id, t.event_id, t.type, t.at, t.received_at, t.data_json
           FROM (SELECT DISTINCT kiosk_id, type FROM telemetry WHERE 1 = 1${only.sql}) p
           JOIN telemetry t ON t.kiosk_id = p.kiosk_id AND t.event_id = (
                SELECT u.event_id FROM telemetry u WHERE u.kiosk_id = p.kiosk_id AND u.type = p.type
                 ORDER BY u.at DESC, u.received_at DESC LIMIT 1)`,
        only.params,
      );
      return rows.map(toTelemetry);
    },
    telemetrySince: async (type, sinceIso, kioskId) => {
      const only = oneKiosk('kiosk_id', kioskId);
      const rows = await sql.all<RawTelemetry>(
        `SELECT kiosk_id, event_id, type, at, received_at, data_json FROM telemetry
          WHERE type = ? AND at >= ?${only.sql}
          ORDER BY at, received_at`,
        [type, sinceIso, ...only.params],
      );
      return rows.map(toTelemetry);
    },
  };
}
