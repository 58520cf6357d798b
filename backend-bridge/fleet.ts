// The operator's read model of the fleet: every kiosk the relay knows (configured, enrolled, or seen in the
// log) with its link state, sequence, last contact and latest telemetry of each type. The store's facts
// (store.fleetFacts, either backend) plus the live connection set, so the console of a later issue (and reconciliation) can
// grow it field by field without touching the HTTP layer.
import type { RelayStore } from './store.ts';

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

export async function fleetView(
  store: RelayStore,
  sources: FleetSources,
  onlyId?: string,
): Promise<FleetKiosk[]> {
  const facts = await store.fleetFacts();
  const ids = [...new Set([...sources.configured, ...facts.enrolled.keys(), ...facts.cursors.keys()])]
    .filter((id) => onlyId === undefined || id === onlyId)
    .sort();
  return ids.map((id) => {
    const telemetry: FleetKiosk['latestTelemetry'] = {};
    for (const t of facts.latestTelemetry.get(id) ?? []) {
      telemetry[t.type] = { at: t.at, receivedAt: t.receivedAt, data: t.data };
    }
    const cursor = facts.cursors.get(id);
    return {
      id,
      source: sources.configured.includes(id) ? 'config' : facts.enrolled.has(id) ? 'enrolled' : 'log',
      revoked: facts.enrolled.get(id) === true,
      connected: sources.isConnected(id),
      lastSeenAt: facts.lastSeen.get(id) ?? null,
      lastSeq: cursor?.lastSeq ?? 0,
      ackedSeq: cursor?.ackedSeq ?? 0,
      latestTelemetry: telemetry,
    };
  });
}
