import { AlipayError } from './errors.ts';

// Alipay amounts are decimal strings with at most two decimals; inside the project money is integer fen.
// Conversion is done on digits only, never through floating point.
const YUAN_PATTERN = /^(\d+)(?:\.(\d{1,2}))?$/;

/** 1 → "0.01", 1050 → "10.50". Rejects negatives and non-safe-integers. */
export function fenToYuan(fen: number): string {
  if (!Number.isSafeInteger(fen) || fen < 0) {
    throw new AlipayError(
      'invalid_amount',
      `amount in fen must be a non-negative safe integer, got ${String(fen)}`,
    );
  }
  const digits = String(fen).padStart(3, '0');
  return `${digits.slice(0, -2)}.${digits.slice(-2)}`;
}

/** "0.01" → 1, "10.5" → 1050. Strict: digits, optional dot and one or two decimals; nothing else. */
export function yuanToFen(yuan: string): number {
  if (typeof yuan !== 'string') {
    throw new AlipayError('invalid_amount', 'amount in yuan must be a string');
  }
  const match = YUAN_PATTERN.exec(yuan);
  if (!match) {
    throw new AlipayError('invalid_amount', `not a yuan amount: ${JSON.stringify(yuan.slice(0, 40))}`);
  }
  const whole = BigInt(match[1] ?? '0');
  const cents = BigInt((match[2] ?? '').padEnd(2, '0'));
  const fen = whole * 100n + cents;
  if (fen > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new AlipayError('invalid_amount', 'amount too large');
  }
  return Number(fen);
}
