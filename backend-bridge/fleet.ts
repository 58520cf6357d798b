// The operator's read model of the fleet: every kiosk the relay knows (configured, enrolled, or seen in the
// log) with its link state, sequence, last contact and latest telemetry of each type. A plain query over
// the relay database plus the live connection set, so the console of a later issue (and reconciliation) can
// grow it field by field without touching the HTTP layer.
import type { RelayDb } from './db.ts';

export interface FleetKiosk {
  id: string;
  source: 'config' | 'enrolled' | 'log';
  revoked: boolean;
  connected: boolean;
  lastSeenAt: string | null;
  lastSeq: number;
  ackedSeq: number;
  /** The newest telemetry event of each type the kiosk sent (sales, faults, lanes, outbox depth…). */
  latestTelemetry: Record<string, { at: string; receivedAt: string; data: unknown }>;
}

export interface FleetSources {
  configured: readonly string[];
  isConnected: (id: string) => boolean;
}

export function fleetView(db: RelayDb, sources: FleetSources, onlyId?: string): FleetKiosk[] {
  const enrolled = new Map(
    (
      db.prepare('SELECT kiosk_id, revoked_at FROM enrolled_kiosks').all() as Array<{
        kiosk_id: string;
        revoked_at: string | null;
      }>
    ).map((r) => [r.kiosk_id, r.revoked_at !== null]),
  );
  const cursors = new Map(
    (
      db.prepare('SELECT kiosk_id, last_seq, acked_seq FROM kiosk_cursors').all() as Array<{
        kiosk_id: string;
        last_seq: number;
        acked_seq: number;
      }>
    ).map((r) => [r.kiosk_id, r]),
  );
  const seen = new Map(
    (
      db.prepare('SELECT kiosk_id, last_seen_at FROM kiosk_presence').all() as Array<{
        kiosk_id: string;
        last_seen_at: string;
      }>
    ).map((r) => [r.kiosk_id, r.last_seen_at]),
  );
  const ids = [...new Set([...sources.configured, ...enrolled.keys(), ...cursors.keys()])]
    .filter((id) => onlyId === undefined || id === onlyId)
    .sort();
  const latest = db.prepare(
    `SELECT type, at, received_at, data_json FROM telemetry t
      WHERE kiosk_id = ? AND received_at = (
        SELECT MAX(received_at) FROM telemetry u WHERE u.kiosk_id = t.kiosk_id AND u.type = t.type)`,
  );
  return ids.map((id) => {
    const telemetry: FleetKiosk['latestTelemetry'] = {};
    for (const row of latest.all(id) as Array<{
      type: string;
      at: string;
      received_at: string;
      data_json: string;
    }>) {
      telemetry[row.type] = { at: row.at, receivedAt: row.received_at, data: JSON.parse(row.data_json) };
    }
    const cursor = cursors.get(id);
    return {
      id,
      source: sources.configured.includes(id) ? 'config' : enrolled.has(id) ? 'enrolled' : 'log',
      revoked: enrolled.get(id) === true,
      connected: sources.isConnected(id),
      lastSeenAt: seen.get(id) ?? null,
      lastSeq: cursor?.last_seq ?? 0,
      ackedSeq: cursor?.acked_seq ?? 0,
      latestTelemetry: telemetry,
    };
  });
}
