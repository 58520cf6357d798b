// The kiosk's deterministic refund numbers (out_request_no). They live here, in the protocol leaf, because two
// parts must agree on them: the kiosk (app/sale) when it refunds, and the relay's reconciliation when it
// compensates. Alipay treats a second refund with the same out_request_no as the same refund, so a kiosk and
// an operator refunding one order at the same moment cannot pay the customer twice.

/** Refund of the goods a paid order could not deliver (settled after vending). */
export function undeliveredRefundNo(outTradeNo: string): string {
  return `${outTradeNo}_R1`;
}

/** Refund of a payment that arrived for an order which can no longer vend (it had expired). */
export function lateRefundNo(outTradeNo: string): string {
  return `${outTradeNo}_RL`;
}
