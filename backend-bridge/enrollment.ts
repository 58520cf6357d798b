// Fleet enrollment in the database: `notify-relay kiosk add|list|revoke|rotate`. A new token is random,
// printed once, and only its SHA-256 is stored; a revoked kiosk is refused and its open stream closed by the
// running relay (it watches the database for changes, see KioskHub.revalidate).
import { createHash, randomBytes } from 'node:crypto';
import type { RelayDb } from './db.ts';
import { RelayConfigError } from './errors.ts';
import { isValidKioskId } from './routing.ts';

export interface EnrolledKiosk {
  id: string;
  createdAt: string;
  rotatedAt: string | null;
  revokedAt: string | null;
}

export function tokenDigest(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Enrolls a kiosk; returns its token (shown once). Refuses an id already enrolled and not revoked. */
export function addKiosk(db: RelayDb, id: string, nowIso: string): string {
  if (!isValidKioskId(id))
    throw new RelayConfigError(`kiosk id ${JSON.stringify(id)} is not [A-Za-z0-9]{1,32}`);
  const token = newToken();
  const inserted = db
    .prepare(
      `INSERT INTO enrolled_kiosks (kiosk_id, token_sha256, created_at) VALUES (?, ?, ?)
       ON CONFLICT (kiosk_id) DO UPDATE SET token_sha256 = excluded.token_sha256, created_at = excluded.created_at,
         rotated_at = NULL, revoked_at = NULL
       WHERE enrolled_kiosks.revoked_at IS NOT NULL`,
    )
    .run(id, tokenDigest(token), nowIso);
  if (inserted.changes === 0)
    throw new RelayConfigError(`kiosk ${id} is already enrolled (rotate its token instead)`);
  return token;
}

/** A new token for an enrolled kiosk; the old one stops working (and its stream closes) at once. */
export function rotateKiosk(db: RelayDb, id: string, nowIso: string): string {
  const token = newToken();
  const changed = db
    .prepare(
      'UPDATE enrolled_kiosks SET token_sha256 = ?, rotated_at = ? WHERE kiosk_id = ? AND revoked_at IS NULL',
    )
    .run(tokenDigest(token), nowIso, id).changes;
  if (changed === 0) throw new RelayConfigError(`kiosk ${id} is not enrolled (or revoked)`);
  return token;
}

export function revokeKiosk(db: RelayDb, id: string, nowIso: string): void {
  const changed = db
    .prepare('UPDATE enrolled_kiosks SET revoked_at = ? WHERE kiosk_id = ? AND revoked_at IS NULL')
    .run(nowIso, id).changes;
  if (changed === 0) throw new RelayConfigError(`kiosk ${id} is not enrolled (or already revoked)`);
}

export function listKiosks(db: RelayDb): EnrolledKiosk[] {
  return (
    db
      .prepare('SELECT kiosk_id, created_at, rotated_at, revoked_at FROM enrolled_kiosks ORDER BY kiosk_id')
      .all() as Array<{
      kiosk_id: string;
      created_at: string;
      rotated_at: string | null;
      revoked_at: string | null;
    }>
  ).map((r) => ({
    id: r.kiosk_id,
    createdAt: r.created_at,
    rotatedAt: r.rotated_at,
    revokedAt: r.revoked_at,
  }));
}

/** The token digest an enrolled, unrevoked kiosk authenticates with, or undefined. */
export function enrolledDigest(db: RelayDb, id: string): string | undefined {
  const row = db
    .prepare('SELECT token_sha256 FROM enrolled_kiosks WHERE kiosk_id = ? AND revoked_at IS NULL')
    .get(id) as { token_sha256: string } | undefined;
  return row?.token_sha256;
}
