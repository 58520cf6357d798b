// What to do when the kiosk window's renderer dies ("white screen after hours"): reload it, but if it keeps
// dying, a reload will not help — restart the whole app (and let the supervisor take over if that fails too).
export interface CrashPolicy {
  readonly windowMs: number;
  readonly maxReloads: number;
}

export const DEFAULT_CRASH_POLICY: CrashPolicy = { windowMs: 5 * 60_000, maxReloads: 3 };

export class RendererCrashPolicy {
  private readonly crashes: number[] = [];

  constructor(private readonly policy: CrashPolicy = DEFAULT_CRASH_POLICY) {}

  /** Records a crash at `now` and says whether to reload the window or relaunch the app. */
  onCrash(now: number): 'reload' | 'relaunch' {
    this.crashes.push(now);
    while (this.crashes.length > 0 && now - (this.crashes[0] ?? now) > this.policy.windowMs)
      this.crashes.shift();
    return this.crashes.length > this.policy.maxReloads ? 'relaunch' : 'reload';
  }
}
