// Per-IP limit on REJECTED notifications. A genuine Alipay sender never trips it (its notifies verify);
// a client spraying forged notifies is cut off before we spend an RSA verification on each one.
// Fixed one-minute windows: simple, bounded memory (entries expire with their window).

export class BadNotifyLimiter {
  readonly #counts = new Map<string, { windowStart: number; count: number }>();

  constructor(
    private readonly maxPerWindow: number,
    private readonly windowMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** True when this address has used up its allowance of rejected notifies in the current window. */
  isLimited(ip: string): boolean {
    const entry = this.#counts.get(ip);
    if (entry === undefined) return false;
    if (this.now() - entry.windowStart >= this.windowMs) {
      this.#counts.delete(ip);
      return false;
    }
    return entry.count >= this.maxPerWindow;
  }

  recordRejection(ip: string): void {
    const t = this.now();
    const entry = this.#counts.get(ip);
    if (entry === undefined || t - entry.windowStart >= this.windowMs) {
      this.#sweep(t);
      this.#counts.set(ip, { windowStart: t, count: 1 });
    } else {
      entry.count++;
    }
  }

  #sweep(t: number): void {
    if (this.#counts.size < 10_000) return;
    for (const [ip, e] of this.#counts) if (t - e.windowStart >= this.windowMs) this.#counts.delete(ip);
  }
}
