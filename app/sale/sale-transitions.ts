// The order lifecycle as a table. Every transition the agent makes is one of these; the store enforces the
// "from" side atomically, this table documents and tests the whole graph.
import type { OrderState } from '../store/index.ts';

export const SALE_TRANSITIONS: Readonly<Record<OrderState, readonly OrderState[]>> = {
  // Committed before precreate: no network call happens for an order that is not on disk.
  created: ['awaiting_payment', 'failed', 'expired'],
  // QR shown. Paid by a verified notify or query; expired (and cancelled at Alipay) otherwise.
  awaiting_payment: ['paid', 'expired'],
  // Payment verified; vending starts from here exactly once.
  paid: ['vending'],
  vending: ['completed', 'refund_pending'],
  // Some goods not delivered: the refund outbox owes the customer money.
  refund_pending: ['refunded'],
  // A payment that raced the expiry is refunded too (by cancel, or by refund when it arrives later).
  expired: ['refund_pending', 'refunded'],
  completed: [],
  refunded: [],
  failed: [],
};

export function canTransition(from: OrderState, to: OrderState): boolean {
  return SALE_TRANSITIONS[from].includes(to);
}

export const FINAL_STATES: readonly OrderState[] = ['completed', 'refunded', 'expired', 'failed'];
