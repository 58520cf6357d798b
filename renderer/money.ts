// Money on screen. Amounts are integer fen; they are turned into yuan text with string operations only,
// never by dividing (a float would show 0.1 + 0.2 style errors on a price tag).

/** `1234` → `¥12.34`, `5` → `¥0.05`. Anything that is not a safe non-negative integer shows as `¥—`. */
export function formatFen(fen: number): string {
  if (!Number.isSafeInteger(fen) || fen < 0) return '¥—';
  const digits = String(fen).padStart(3, '0');
  return `¥${digits.slice(0, -2)}.${digits.slice(-2)}`;
}
