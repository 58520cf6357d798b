// The console's reads of the operator API (/admin/v1/), with the session cookie the login set. A 401 means the
// session ended: back to the login page.
import type { FleetKiosk } from '../../fleet.ts';

export class NotAvailable extends Error {}

export async function getJson<T>(path: string): Promise<T> {
  const res = await fetch(path, { credentials: 'same-origin', headers: { accept: 'application/json' } });
  if (res.status === 401) {
    location.assign('/console/login');
    throw new Error('signed out');
  }
  if (res.status === 404) throw new NotAvailable(path);
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
  return (await res.json()) as T;
}

/** The answer, or undefined when there is none (404: no such kiosk, day not reconciled, API not set up). */
export async function findJson<T>(path: string): Promise<T | undefined> {
  try {
    return await getJson<T>(path);
  } catch (err) {
    if (err instanceof NotAvailable) return undefined;
    throw err;
  }
}

// The answers' shapes are the server's own types (type-only imports: nothing of the server enters the bundle).
export type { FleetKiosk, KioskDetail } from '../../fleet.ts';
export type { DayDetail as ReconDay, DaySummary as ReconDaySummary } from '../../reconcile/store.ts';

export interface Fleet {
  timeZone: string;
  kiosks: FleetKiosk[];
}
