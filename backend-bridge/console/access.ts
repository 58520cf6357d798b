// Who may read the operator API under /admin/v1/ and the console under /console/: a script with the admin
// bearer token, or a browser with a console session (its cookie). One check for both, so a route added under
// /admin/v1/ (reconciliation, say) is reachable by the console's session and by nothing without a login.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { clientAddress, fromTrustedProxy, type TrustProxy } from '../http-util.ts';
import { LoginGuard } from './login-guard.ts';
import type { PasswordHash } from './password-hash.ts';
import { ConsoleSessions, sessionToken } from './sessions.ts';

export interface ConsoleSettings {
  /** The admin password's scrypt hash (parsed). */
  passwordHash: PasswordHash;
  /** The built console (index.html, console.js…); default dist/console of this checkout. */
  dir: string;
  /** How long a wrong password waits before its answer. */
  loginDelayMs: number;
}

const sha256 = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

export class OperatorAccess {
  readonly sessions: ConsoleSessions;
  readonly guard: LoginGuard;
  readonly #token: Buffer | undefined;

  constructor(
    adminToken: string | undefined,
    readonly console: ConsoleSettings | undefined,
    private readonly trustProxy: TrustProxy,
    now: () => number,
  ) {
    this.#token = adminToken === undefined ? undefined : sha256(adminToken);
    this.sessions = new ConsoleSessions(now);
    this.guard = new LoginGuard(console?.loginDelayMs ?? 1000, now);
  }

  /** True when either way in is configured; otherwise /admin/ and /console/ do not exist. */
  get enabled(): boolean {
    return this.#token !== undefined || this.console !== undefined;
  }

  hasBearer(req: IncomingMessage): boolean {
    const m = /^Bearer[ ]+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
    return this.#token !== undefined && m?.[1] !== undefined && timingSafeEqual(sha256(m[1]), this.#token);
  }

  hasSession(req: IncomingMessage): boolean {
    return this.console !== undefined && this.sessions.check(sessionToken(req.headers.cookie));
  }

  /**
   * The bearer token, or a session; a session's request that changes something must also come from the
   * console's own origin (SameSite=Strict already keeps the cookie off cross-site requests; this is the belt).
   */
  admits(req: IncomingMessage): boolean {
    if (this.hasBearer(req)) return true;
    if (!this.hasSession(req)) return false;
    return req.method === 'GET' || req.method === 'HEAD' || this.sameOrigin(req);
  }

  sameOrigin(req: IncomingMessage): boolean {
    const origin = req.headers.origin;
    if (origin === undefined) return false;
    try {
      const forwarded = fromTrustedProxy(req, this.trustProxy) ? req.headers['x-forwarded-host'] : undefined;
      return new URL(origin).host === (forwarded ?? req.headers.host);
    } catch {
      return false;
    }
  }

  /** The browser reached us over TLS (through the proxy): the cookie gets Secure. */
  overTls(req: IncomingMessage): boolean {
    return (
      fromTrustedProxy(req, this.trustProxy) &&
      String(req.headers['x-forwarded-proto'] ?? '').toLowerCase() === 'https'
    );
  }

  clientAddress(req: IncomingMessage): string {
    return clientAddress(req, this.trustProxy);
  }
}
