// Allocates out_trade_no values: `<kioskId>_<yyyymmddHHMMss>_<random>`. The kiosk id prefix lets the relay route
// a notification to the kiosk that owns the trade; the time part keeps them sortable for people reading a
// ledger; the random part makes a collision after a clock jump practically impossible. At most 64 characters
// of [A-Za-z0-9_], as Alipay requires.
import { randomBytes } from 'node:crypto';

export const KIOSK_ID_PATTERN = /^[A-Za-z0-9]{1,32}$/;

export function allocateOutTradeNo(kioskId: string, now: Date): string {
  if (!KIOSK_ID_PATTERN.test(kioskId)) throw new Error(`kiosk id must match ${KIOSK_ID_PATTERN}: ${kioskId}`);
  const stamp = now.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  return `${kioskId}_${stamp}_${randomBytes(5).toString('hex')}`;
}
