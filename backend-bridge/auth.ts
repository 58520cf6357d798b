// Kiosk bearer-token authentication, for kiosks from the configuration file and kiosks enrolled in the
// database. Tokens are compared through their SHA-256 digests with timingSafeEqual, so neither the content
// nor the length of a token leaks through timing; the database holds digests only.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

export interface KioskCredential {
  id: string;
  token: string;
}

/** Looks up the hex SHA-256 of an enrolled, unrevoked kiosk's token (in the database: asynchronous). */
export type EnrolledDigests = (id: string) => Promise<string | undefined>;

export class KioskAuthenticator {
  readonly #configured = new Map<string, Buffer>();

  constructor(
    kiosks: readonly KioskCredential[],
    private readonly enrolled: EnrolledDigests = () => Promise.resolve(undefined),
  ) {
    for (const k of kiosks) this.#configured.set(k.id, digest(k.token));
  }

  async #expected(id: string): Promise<Buffer | undefined> {
    const configured = this.#configured.get(id);
    if (configured !== undefined) return configured;
    const hex = await this.enrolled(id);
    return hex !== undefined ? Buffer.from(hex, 'hex') : undefined;
  }

  async isKnownKiosk(id: string): Promise<boolean> {
    return (await this.#expected(id)) !== undefined;
  }

  /** True when the request carries `Authorization: Bearer <token>` matching kiosk `id`. */
  async check(id: string, headers: IncomingHttpHeaders): Promise<boolean> {
    return (await this.credential(id, headers)) !== undefined;
  }

  /**
   * The digest the request authenticated with (so a stream can later be checked against revocation and
   * rotation), or undefined when the token is missing or wrong.
   */
  async credential(id: string, headers: IncomingHttpHeaders): Promise<string | undefined> {
    const presented = bearerToken(headers.authorization);
    const expected = await this.#expected(id);
    // Always do the same amount of work, known kiosk or not.
    const given = digest(presented ?? '');
    const ok = timingSafeEqual(given, expected?.length === 32 ? expected : digest('\u0000unknown-kiosk'));
    return ok && presented !== undefined && expected !== undefined ? given.toString('hex') : undefined;
  }

  /** Whether a credential handed out earlier still admits this kiosk (not revoked, not rotated away). */
  async stillValid(id: string, credential: string): Promise<boolean> {
    const expected = await this.#expected(id);
    return expected !== undefined && expected.toString('hex') === credential;
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
