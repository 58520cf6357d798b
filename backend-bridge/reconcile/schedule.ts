// The daily run inside the relay: at a Beijing wall-clock time (Alipay builds day D's bill by about 09:00 on
// D+1), reconcile yesterday, then the day before again (its next day's bill now exists, so a refund made after
// its midnight is seen). A day whose bill was not there yet is tried again every half hour, a few times.
import { dayToReconcile } from './day.ts';

const BEIJING_OFFSET_MS = 8 * 3600_000;
const DAY_MS = 86_400_000;
const HHMM = /^([01]\d|2[0-3]):([0-5]\d)$/;

export function isDailyTime(at: string): boolean {
  return HHMM.test(at);
}

/** Milliseconds from `now` to the next `HH:MM` in Beijing time (a full day when it is that minute now). */
export function msUntilNext(now: Date, at: string): number {
  const m = HHMM.exec(at);
  if (!m) throw new Error(`not a time of day: ${JSON.stringify(at)} (want HH:MM)`);
  const minuteOfDay = Number(m[1]) * 60 + Number(m[2]);
  const beijing = now.getTime() + BEIJING_OFFSET_MS;
  const target = Math.floor(beijing / DAY_MS) * DAY_MS + minuteOfDay * 60_000;
  const wait = target - beijing;
  return wait > 0 ? wait : wait + DAY_MS;
}

export type ScheduleDeps = {
  at: string;
  now: () => Date;
  /** Runs one day; resolves to whether a bill was there (false: try again later). */
  runDay: (day: string) => Promise<boolean>;
  onError: (err: unknown) => void;
  retryMs?: number;
  retries?: number;
  setTimer?: (fn: () => void, ms: number) => { unref?: () => void };
  clearTimer?: (timer: unknown) => void;
};

function shiftDay(day: string, days: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

export function startDailySchedule(deps: ScheduleDeps): { stop(): void } {
  const setTimer = deps.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
  const clearTimer = deps.clearTimer ?? ((t) => clearTimeout(t as NodeJS.Timeout));
  const retryMs = deps.retryMs ?? 30 * 60_000;
  const retries = deps.retries ?? 6;
  let timer: unknown;
  let stopped = false;

  const arm = (ms: number, fn: () => void): void => {
    if (stopped) return;
    const t = setTimer(fn, ms);
    t.unref?.();
    timer = t;
  };
  const attempt = (day: string, left: number): void => {
    const work = async (): Promise<void> => {
      const ready = await deps.runDay(day);
      if (ready) await deps.runDay(shiftDay(day, -1));
      else if (left > 0) arm(retryMs, () => attempt(day, left - 1));
      if (ready || left === 0) armDaily();
    };
    work().catch((err: unknown) => {
      deps.onError(err);
      armDaily();
    });
  };
  const armDaily = (): void => {
    arm(msUntilNext(deps.now(), deps.at), () => attempt(dayToReconcile(deps.now()), retries));
  };
  armDaily();
  return {
    stop: () => {
      stopped = true;
      clearTimer(timer);
    },
  };
}
