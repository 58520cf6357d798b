// Kiosk bearer-token authentication. Tokens are compared through their SHA-256 digests with
// timingSafeEqual, so neither the content nor the length of a configured token leaks through timing.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

export interface KioskCredential {
  id: string;
  token: string;
}

export class KioskAuthenticator {
  readonly #digests = new Map<string, Buffer>();

  constructor(kiosks: readonly KioskCredential[]) {
    for (const k of kiosks) this.#digests.set(k.id, digest(k.token));
  }

  isKnownKiosk(id: string): boolean {
    return this.#digests.has(id);
  }

  /** True when the request carries `Authorization: Bearer <token>` matching kiosk `id`. */
  check(id: string, headers: IncomingHttpHeaders): boolean {
    const presented = bearerToken(headers.authorization);
    // Always do the same amount of work, known kiosk or not.
    const expected = this.#digests.get(id) ?? digest('\u0000unknown-kiosk');
    const ok = timingSafeEqual(digest(presented ?? ''), expected);
    return ok && presented !== undefined && this.#digests.has(id);
  }
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const m = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
  return m?.[1];
}
