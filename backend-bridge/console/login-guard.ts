// Slows password guessing: every wrong password is answered only after a delay, and an address that keeps
// failing is locked out for a time that doubles with each further failure (1 minute after the 5th, up to an
// hour). A correct password from a locked-out address is refused too: the lockout is checked first.
const FREE_FAILURES = 5;
const FIRST_LOCKOUT_MS = 60_000;
const MAX_LOCKOUT_MS = 3_600_000;
const FORGET_AFTER_MS = 24 * 3_600_000;
const MAX_TRACKED = 10_000;

interface Failures {
  count: number;
  lockedUntil: number;
  lastAt: number;
}

export class LoginGuard {
  readonly #byAddress = new Map<string, Failures>();

  constructor(
    readonly failureDelayMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Milliseconds this address must still wait before a password is even looked at; 0 when it may try. */
  lockedFor(address: string): number {
    const f = this.#byAddress.get(address);
    return f === undefined ? 0 : Math.max(0, f.lockedUntil - this.now());
  }

  failed(address: string): void {
    const at = this.now();
    if (this.#byAddress.size >= MAX_TRACKED) this.#forgetOld(at);
    const f = this.#byAddress.get(address) ?? { count: 0, lockedUntil: 0, lastAt: at };
    f.count++;
    f.lastAt = at;
    if (f.count >= FREE_FAILURES)
      f.lockedUntil = at + Math.min(MAX_LOCKOUT_MS, FIRST_LOCKOUT_MS * 2 ** (f.count - FREE_FAILURES));
    this.#byAddress.set(address, f);
  }

  succeeded(address: string): void {
    this.#byAddress.delete(address);
  }

  #forgetOld(at: number): void {
    for (const [address, f] of this.#byAddress)
      if (at - f.lastAt > FORGET_AFTER_MS || this.#byAddress.size >= MAX_TRACKED)
        this.#byAddress.delete(address);
  }
}
