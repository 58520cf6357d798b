// Who may use the maintenance screen right now. A correct PIN opens a session (a random token, valid while
// used within the idle timeout); wrong PINs count against a lockout, since a 4-digit PIN falls to anyone
// who may try without limit.
import { randomBytes, timingSafeEqual } from 'node:crypto';

export interface MaintenanceSessionPolicy {
  readonly idleTimeoutMs: number;
  readonly maxFailures: number;
  readonly lockoutMs: number;
}

export const DEFAULT_SESSION_POLICY: MaintenanceSessionPolicy = {
  idleTimeoutMs: 5 * 60_000,
  maxFailures: 5,
  lockoutMs: 5 * 60_000,
};

export type UnlockResult =
  | { readonly ok: true; readonly token: string; readonly expiresAt: number }
  | { readonly ok: false; readonly reason: 'wrong_pin' | 'locked_out'; readonly retryAt?: number };

export class MaintenanceSessions {
  private session: { token: string; lastUsed: number } | null = null;
  private failures = 0;
  private lockedUntil = 0;

  constructor(
    private readonly checkPin: (pin: string) => boolean,
    private readonly now: () => number,
    private readonly policy: MaintenanceSessionPolicy = DEFAULT_SESSION_POLICY,
  ) {}

  unlock(pin: string): UnlockResult {
    const now = this.now();
    if (now < this.lockedUntil) return { ok: false, reason: 'locked_out', retryAt: this.lockedUntil };
    if (!this.checkPin(pin)) {
      this.failures++;
      if (this.failures >= this.policy.maxFailures) {
        this.failures = 0;
        this.lockedUntil = now + this.policy.lockoutMs;
        return { ok: false, reason: 'locked_out', retryAt: this.lockedUntil };
      }
      return { ok: false, reason: 'wrong_pin' };
    }
    this.failures = 0;
    // One technician at a time: a new unlock ends any earlier session.
    this.session = { token: randomBytes(32).toString('hex'), lastUsed: now };
    return { ok: true, token: this.session.token, expiresAt: now + this.policy.idleTimeoutMs };
  }

  /** True when the token is the live session's; using it extends the session. */
  touch(token: string): boolean {
    const now = this.now();
    const s = this.session;
    if (!s || now - s.lastUsed > this.policy.idleTimeoutMs) {
      this.session = null;
      return false;
    }
    const a = Buffer.from(token);
    const b = Buffer.from(s.token);
    if (a.length !== b.length || !timingSafeEqual(a, b)) return false;
    s.lastUsed = now;
    return true;
  }

  lock(): void {
    this.session = null;
  }
}
