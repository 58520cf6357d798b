// Turns a notification body (pushed by the relay) or a query result into "this order is paid". The kiosk
// verifies Alipay's signature itself and applies Alipay's business checks (app_id, seller_id, out_trade_no
// known, total_amount equal), so a compromised or buggy relay cannot fake a payment.
import { checkNotifyBusiness, classifyNotify, parseNotifyBody, verifyNotify } from '../alipay/index.ts';
import type { PaymentNotificationRecord } from '../store/index.ts';
import type { SaleContext } from './sale-context.ts';

export type NotificationVerdict =
  | { readonly accepted: true; readonly outTradeNo: string; readonly kind: string }
  | { readonly accepted: false; readonly reason: string };

export interface PaymentProof {
  readonly outTradeNo: string;
  readonly tradeNo: string;
  readonly totalFen: number;
  readonly source: 'notify' | 'query';
  /**
   * The verified notification this proof came from, kept as evidence. It is written in the same transaction
   * that commits `paid` (confirmPayment), not before it: one fsync between the notify and the vend intent.
   */
  readonly notification?: PaymentNotificationRecord;
}

/**
 * Verifies a raw notify body; on a verified, checked payment returns the proof to commit. Writes nothing:
 * the notification is recorded by confirmPayment, in the transaction that commits the payment.
 */
export function verifyNotification(
  ctx: SaleContext,
  body: string,
): { verdict: NotificationVerdict; proof?: PaymentProof } {
  let params: Record<string, string>;
  try {
    params = parseNotifyBody(body);
  } catch (err) {
    return { verdict: { accepted: false, reason: `malformed notification: ${(err as Error).message}` } };
  }
  if (!verifyNotify(params, ctx.alipay.publicKey)) {
    return { verdict: { accepted: false, reason: 'signature does not verify with the Alipay public key' } };
  }
  const kind = classifyNotify(params);
  if (kind.kind !== 'payment') {
    const outTradeNo = 'outTradeNo' in kind ? kind.outTradeNo : '';
    return { verdict: { accepted: true, outTradeNo, kind: kind.kind } };
  }
  const order = ctx.store.orders.get(kind.outTradeNo);
  const check = checkNotifyBusiness(params, {
    appId: ctx.alipay.appId,
    ...(ctx.alipay.sellerId ? { sellerId: ctx.alipay.sellerId } : {}),
    order: order ? { outTradeNo: order.outTradeNo, totalFen: order.totalFen } : null,
  });
  if (!check.ok) return { verdict: { accepted: false, reason: `business check failed: ${check.reason}` } };
  return {
    verdict: { accepted: true, outTradeNo: kind.outTradeNo, kind: 'payment' },
    proof: {
      outTradeNo: kind.outTradeNo,
      tradeNo: kind.tradeNo,
      totalFen: kind.totalFen,
      source: 'notify',
      notification: {
        notifyId: params['notify_id'] ?? `${kind.outTradeNo}:${kind.tradeStatus}`,
        outTradeNo: kind.outTradeNo,
        tradeStatus: kind.tradeStatus,
        source: 'relay',
        body,
      },
    },
  };
}
