// Calendar days and hours in the operator's time zone (default Asia/Shanghai, where Alipay's bill days are
// drawn), for "sales today" and the charts. Intl does the zone arithmetic; no day is assumed to last 24 hours.
export const DEFAULT_TIME_ZONE = 'Asia/Shanghai';

/** Whether Intl knows the zone (an IANA name such as Asia/Shanghai or UTC). */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

export class Calendar {
  readonly #day: Intl.DateTimeFormat;

  constructor(readonly timeZone: string = DEFAULT_TIME_ZONE) {
    this.#day = new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
    });
  }

  /** `YYYY-MM-DD` of the instant in this zone. */
  day(at: Date): string {
    return this.#day.format(at);
  }

  /** The last `count` calendar days up to and including today, oldest first. */
  lastDays(now: Date, count: number): string[] {
    const days: string[] = [];
    // Half-day steps cannot jump over a day, whatever the zone's daylight-saving rules.
    for (let t = now.getTime(); days.length < count; t -= 12 * 3_600_000) {
      const day = this.day(new Date(t));
      if (days[0] !== day) days.unshift(day);
    }
    return days;
  }
}

/** The start of each of the last `count` whole hours, the current one last (hours are the same in every zone
 * this product runs in: whole-hour offsets). */
export function lastHours(now: Date, count: number): Date[] {
  const current = Math.floor(now.getTime() / 3_600_000) * 3_600_000;
  return Array.from({ length: count }, (_, i) => new Date(current - (count - 1 - i) * 3_600_000));
}
