// Maintenance PINs are stored only as salted scrypt hashes (`scrypt$N$r$p$salt$hash`, base64 parts), so the
// configuration and its backups never hold a PIN a passer-by could read off.
import { randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';

const N = 16384;
const R = 8;
const P = 1;
const KEY_LENGTH = 32;

export const PIN_PATTERN = /^\d{4,12}$/;

export class PinFormatError extends Error {
  override readonly name = 'PinFormatError';
}

export function hashPin(pin: string): string {
  if (!PIN_PATTERN.test(pin)) throw new PinFormatError('a PIN is 4 to 12 digits');
  const salt = randomBytes(16);
  const hash = scryptSync(pin, salt, KEY_LENGTH, { N, r: R, p: P });
  return ['scrypt', N, R, P, salt.toString('base64'), hash.toString('base64')].join('$');
}

interface StoredPin {
  readonly n: number;
  readonly r: number;
  readonly p: number;
  readonly salt: Buffer;
  readonly hash: Buffer;
}

/** Parses a stored hash; throws PinFormatError for anything not made by hashPin. */
export function parsePinHash(stored: string): StoredPin {
  const parts = stored.trim().split('$');
  const [kind, n, r, p, salt, hash] = parts;
  const numbers = [n, r, p].map(Number);
  if (
    parts.length !== 6 ||
    kind !== 'scrypt' ||
    !numbers.every((x) => Number.isSafeInteger(x) && x > 0) ||
    !salt ||
    !hash ||
    Buffer.from(hash, 'base64').length < 16
  ) {
    throw new PinFormatError(
      'the stored PIN hash is not in scrypt$N$r$p$salt$hash form (make one with kiosk-agent --hash-pin)',
    );
  }
  return {
    n: numbers[0]!,
    r: numbers[1]!,
    p: numbers[2]!,
    salt: Buffer.from(salt, 'base64'),
    hash: Buffer.from(hash, 'base64'),
  };
}

export function verifyPin(pin: string, stored: string): boolean {
  const parsed = parsePinHash(stored);
  if (!PIN_PATTERN.test(pin)) return false;
  const actual = scryptSync(pin, parsed.salt, parsed.hash.length, { N: parsed.n, r: parsed.r, p: parsed.p });
  return timingSafeEqual(actual, parsed.hash);
}
