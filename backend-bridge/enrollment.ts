// Fleet enrollment in the database: `notify-relay kiosk add|list|revoke|rotate`. A new token is random,
// printed once, and only its SHA-256 is stored; a revoked kiosk is refused and its open stream closed by the
// running relay (it watches the database for changes, see KioskHub.revalidate).
import { createHash, randomBytes } from 'node:crypto';
import { RelayConfigError } from './errors.ts';
import { isValidKioskId } from './routing.ts';
import type { EnrollmentStore } from './store.ts';

export type { EnrolledKiosk } from './store.ts';

export function tokenDigest(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Enrolls a kiosk; returns its token (shown once). Refuses an id already enrolled and not revoked. */
export async function addKiosk(db: EnrollmentStore, id: string, nowIso: string): Promise<string> {
  if (!isValidKioskId(id))
    throw new RelayConfigError(`kiosk id ${JSON.stringify(id)} is not [A-Za-z0-9]{1,32}`);
  const token = newToken();
  if (!(await db.enroll(id, tokenDigest(token), nowIso)))
    throw new RelayConfigError(`kiosk ${id} is already enrolled (rotate its token instead)`);
  return token;
}

/** A new token for an enrolled kiosk; the old one stops working (and its stream closes) at once. */
export async function rotateKiosk(db: EnrollmentStore, id: string, nowIso: string): Promise<string> {
  const token = newToken();
  if (!(await db.rotate(id, tokenDigest(token), nowIso)))
    throw new RelayConfigError(`kiosk ${id} is not enrolled (or revoked)`);
  return token;
}

export async function revokeKiosk(db: EnrollmentStore, id: string, nowIso: string): Promise<void> {
  if (!(await db.revoke(id, nowIso)))
    throw new RelayConfigError(`kiosk ${id} is not enrolled (or already revoked)`);
}
