// Alipay validates `timestamp` as Beijing time. Most SDKs format local time, which is 8 h off on a UTC
// kiosk (research/alipay.md §1.2), so the zone is fixed here and the host TZ never matters.
const SHANGHAI = new Intl.DateTimeFormat('en-US', {
  timeZone: 'Asia/Shanghai',
  hourCycle: 'h23',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});

/** `yyyy-MM-dd HH:mm:ss` in Asia/Shanghai. */
export function alipayTimestamp(date: Date): string {
  const parts: Record<string, string> = {};
  for (const part of SHANGHAI.formatToParts(date)) parts[part.type] = part.value;
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}:${parts.second}`;
}

const TIMESTAMP_PATTERN = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/;

/** Inverse of alipayTimestamp (Shanghai has no DST: fixed +08:00). Returns null when malformed. */
export function parseAlipayTimestamp(text: string): Date | null {
  const m = TIMESTAMP_PATTERN.exec(text);
  if (!m) return null;
  const date = new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}+08:00`);
  return Number.isNaN(date.getTime()) ? null : date;
}
