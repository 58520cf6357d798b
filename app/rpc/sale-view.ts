// What the customer's screen is told about an order: never secrets, never internal ids beyond out_trade_no.
import type { OrderRow, RefundRow } from '../store/index.ts';
import type { SaleView } from './contract.ts';

export function toSaleView(order: OrderRow, refunds: readonly RefundRow[]): SaleView {
  return {
    outTradeNo: order.outTradeNo,
    state: order.state,
    totalFen: order.totalFen,
    qrCode: order.state === 'awaiting_payment' ? order.qrCode : null,
    expiresAt: order.expiresAt,
    items: order.items.map((i) => ({ lane: i.lane, name: i.name, priceFen: i.priceFen, state: i.vendState })),
    refundFen: refundFen(order, refunds),
    message: order.message,
  };
}

function refundFen(order: OrderRow, refunds: readonly RefundRow[]): number {
  const owed = refunds.reduce((sum, r) => sum + r.amountFen, 0);
  // An expired order refunded by alipay.trade.cancel has no refund row: the whole payment went back.
  if (owed === 0 && order.state === 'refunded') return order.totalFen;
  return owed;
}
