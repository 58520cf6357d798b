// The console's admin password, stored only as a salted scrypt hash in the kiosk's PIN format
// (`scrypt$N$r$p$salt$hash`, base64 parts; see app/maintenance/pin-hash.ts). The relay verifies with the
// asynchronous scrypt: a login must not stall notifies and kiosk streams on the same event loop.
import { randomBytes, scrypt, scryptSync, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';

const scryptAsync = promisify(scrypt) as (
  password: string,
  salt: Buffer,
  keylen: number,
  options: { N: number; r: number; p: number; maxmem: number },
) => Promise<Buffer>;

const COST = { N: 16384, r: 8, p: 1 };
const MAX_MEM = 64 * 1024 * 1024;
export const MIN_PASSWORD_LENGTH = 10;

export interface PasswordHash {
  readonly N: number;
  readonly r: number;
  readonly p: number;
  readonly salt: Buffer;
  readonly hash: Buffer;
}

export function hashAdminPassword(password: string): string {
  if (password.length < MIN_PASSWORD_LENGTH)
    throw new Error(`the admin password needs at least ${MIN_PASSWORD_LENGTH} characters`);
  const salt = randomBytes(16);
  const hash = scryptSync(password, salt, 32, { ...COST, maxmem: MAX_MEM });
  return ['scrypt', COST.N, COST.r, COST.p, salt.toString('base64'), hash.toString('base64')].join('$');
}

/** The stored hash's parts, or undefined when it is not one hashAdminPassword (or kiosk-agent --hash-pin) made. */
export function parsePasswordHash(stored: string): PasswordHash | undefined {
  const m = /^scrypt\$(\d{1,7})\$(\d{1,3})\$(\d{1,3})\$([A-Za-z0-9+/=]{16,})\$([A-Za-z0-9+/=]{22,})$/.exec(
    stored.trim(),
  );
  if (m === null) return undefined;
  const [N, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])];
  // N a power of two, and a cost the relay can afford per login.
  if (N < 2 || (N & (N - 1)) !== 0 || 128 * N * r > MAX_MEM / 2 || r < 1 || p < 1 || p > 16) return undefined;
  const hash = Buffer.from(m[5]!, 'base64');
  return hash.length < 16 ? undefined : { N, r, p, salt: Buffer.from(m[4]!, 'base64'), hash };
}

export async function verifyAdminPassword(password: string, stored: PasswordHash): Promise<boolean> {
  if (password.length === 0 || password.length > 1024) return false;
  const actual = await scryptAsync(password, stored.salt, stored.hash.length, {
    N: stored.N,
    r: stored.r,
    p: stored.p,
    maxmem: MAX_MEM,
  });
  return timingSafeEqual(actual, stored.hash);
}
