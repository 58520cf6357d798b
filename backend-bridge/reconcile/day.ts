// Alipay's bill days are Beijing-time days (UTC+8, no daylight saving), whatever zone the relay runs in. The
// relay stores its times as UTC ISO strings; these turn one into the other.
import { alipayTimestamp } from '../../app/alipay/index.ts';

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const BEIJING_OFFSET_MS = 8 * 3600_000;

/** The Beijing-time day (`yyyy-MM-dd`) an instant falls on. */
export function beijingDay(at: Date): string {
  return alipayTimestamp(at).slice(0, 10);
}

/** [start, end) of a Beijing-time day as UTC ISO strings, for selecting stored notifications and telemetry. */
export function dayWindow(day: string): { startIso: string; endIso: string } {
  const start = Date.parse(`${day}T00:00:00Z`) - BEIJING_OFFSET_MS;
  if (
    !DAY.test(day) ||
    Number.isNaN(start) ||
    new Date(start + BEIJING_OFFSET_MS).toISOString().slice(0, 10) !== day
  ) {
    throw new Error(`not a day: ${JSON.stringify(day)} (want yyyy-MM-dd)`);
  }
  return { startIso: new Date(start).toISOString(), endIso: new Date(start + 86_400_000).toISOString() };
}

/** The day a daily run at `now` reconciles: yesterday in Beijing (today's bill does not exist yet). */
export function dayToReconcile(now: Date): string {
  return beijingDay(new Date(now.getTime() - 86_400_000));
}
