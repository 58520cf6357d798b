// Which screen a sale puts the customer on, and which pushed sale updates may replace the one on screen.
import type { SaleState, SaleView } from '../app/rpc/contract.ts';

export type ScreenName =
  | 'loading'
  | 'locked'
  | 'idle'
  | 'attract'
  | 'out-of-service'
  | 'pin'
  | 'maintenance'
  | 'payment'
  | 'dispensing'
  | 'done'
  | 'refund'
  | 'expired'
  | 'error';

export function screenForSaleState(state: SaleState): ScreenName {
  switch (state) {
    case 'created':
    case 'awaiting_payment':
      return 'payment';
    case 'paid':
    case 'vending':
      return 'dispensing';
    case 'completed':
      return 'done';
    case 'refund_pending':
    case 'refunded':
      return 'refund';
    case 'expired':
      return 'expired';
    case 'failed':
      return 'error';
  }
}

/** How far along a sale is; a sale never moves backwards, so a late, older update is ignored. */
const PROGRESS: Record<SaleState, number> = {
  created: 0,
  awaiting_payment: 1,
  paid: 2,
  vending: 3,
  completed: 4,
  expired: 4,
  failed: 4,
  refund_pending: 5,
  refunded: 6,
};

/** States in which the customer at the screen still waits on this sale. */
export function isActiveSale(sale: SaleView): boolean {
  return PROGRESS[sale.state] <= PROGRESS.vending;
}

/**
 * Whether `incoming` should replace `current` on screen. `dismissed` maps each sale whose closing screen was
 * left to the state it was left in.
 * - a sale already dismissed never comes back, except a late payment: a sale left as expired or failed (so
 *   the customer was told "not charged") that turns out paid and is being refunded — that the customer
 *   must see;
 * - the same sale moves only forwards (pushes and call responses can cross);
 * - a different sale may not take over the screen from a customer whose sale is still active
 *   (e.g. a late refund of the previous customer's order).
 */
export function shouldShowSale(
  current: SaleView | null,
  incoming: SaleView,
  dismissed: ReadonlyMap<string, SaleState>,
): boolean {
  const left = dismissed.get(incoming.outTradeNo);
  if (left !== undefined) {
    const latePayment =
      (left === 'expired' || left === 'failed') &&
      (incoming.state === 'refund_pending' || incoming.state === 'refunded');
    if (!latePayment) return false;
  }
  if (current === null) return true;
  if (current.outTradeNo === incoming.outTradeNo) return PROGRESS[incoming.state] >= PROGRESS[current.state];
  return !isActiveSale(current);
}

/** How long a closing screen stays before the kiosk returns to the product grid. */
export const CLOSING_SCREEN_MS: Partial<Record<ScreenName, number>> = {
  done: 8_000,
  expired: 5_000,
  error: 10_000,
  refund: 15_000,
};
