// Console sessions: a random token in an HttpOnly, SameSite=Strict cookie, known only to this relay process
// (a restart logs operators out). Idle sessions end after 30 minutes, every session after 12 hours.
import { createHash, randomBytes } from 'node:crypto';

export const SESSION_COOKIE = 'relay_console';
const IDLE_MS = 30 * 60_000;
const ABSOLUTE_MS = 12 * 3_600_000;
const MAX_SESSIONS = 1000;

interface Session {
  createdAt: number;
  usedAt: number;
}

export class ConsoleSessions {
  // Keyed by the token's digest, so a heap dump holds nothing a browser could replay.
  readonly #sessions = new Map<string, Session>();

  constructor(private readonly now: () => number = Date.now) {}

  create(): string {
    this.#sweep();
    if (this.#sessions.size >= MAX_SESSIONS) {
      const oldest = this.#sessions.keys().next().value;
      if (oldest !== undefined) this.#sessions.delete(oldest);
    }
    const token = randomBytes(32).toString('base64url');
    const at = this.now();
    this.#sessions.set(digest(token), { createdAt: at, usedAt: at });
    return token;
  }

  /** Whether the token names a live session; using it keeps it alive. */
  check(token: string | undefined): boolean {
    if (token === undefined || !/^[A-Za-z0-9_-]{43}$/.test(token)) return false;
    const key = digest(token);
    const session = this.#sessions.get(key);
    const at = this.now();
    if (session === undefined) return false;
    if (at - session.usedAt > IDLE_MS || at - session.createdAt > ABSOLUTE_MS) {
      this.#sessions.delete(key);
      return false;
    }
    session.usedAt = at;
    return true;
  }

  destroy(token: string | undefined): void {
    if (token !== undefined) this.#sessions.delete(digest(token));
  }

  #sweep(): void {
    const at = this.now();
    for (const [key, s] of this.#sessions)
      if (at - s.usedAt > IDLE_MS || at - s.createdAt > ABSOLUTE_MS) this.#sessions.delete(key);
  }
}

function digest(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** The session token from a Cookie header, if one is there. */
export function sessionToken(cookieHeader: string | undefined): string | undefined {
  for (const part of (cookieHeader ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === SESSION_COOKIE) return part.slice(eq + 1).trim();
  }
  return undefined;
}

export function sessionCookie(token: string, secure: boolean): string {
  return `${SESSION_COOKIE}=${token}; Path=/; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;
}

export function clearedSessionCookie(secure: boolean): string {
  return `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0${secure ? '; Secure' : ''}`;
}
