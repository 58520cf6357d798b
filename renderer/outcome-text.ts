// What a customer is told when a sale ends, in both languages, always with what to do next: which items to
// take, which were not dispensed and what comes back, the order number to quote, and who to call. Pure
// functions of the sale and the kiosk's support contact, so the words are tested without a browser.
import type { SaleView, SupportContact } from '../app/rpc/contract.ts';
import type { BilingualText } from './model.ts';
import { formatFen } from './money.ts';

export interface RefundOutcome {
  readonly headline: BilingualText;
  /** Items paid for and not dispensed, each with its price (empty for a late payment). */
  readonly missing: readonly { readonly name: string; readonly priceFen: number }[];
  readonly refund: BilingualText;
  readonly next: BilingualText;
}

/** A payment that reached an order already cancelled or expired: nothing was vended, all of it goes back. */
export function isLatePayment(sale: SaleView): boolean {
  return sale.items.every((item) => item.state === 'pending');
}

export function refundOutcome(sale: SaleView): RefundOutcome {
  const amount = formatFen(sale.refundFen);
  const done = sale.state === 'refunded';
  const refund: BilingualText = done
    ? { zh: `${amount} 已退回您的支付宝`, en: `${amount} has been refunded to your Alipay` }
    : { zh: `${amount} 正在退回您的支付宝`, en: `${amount} is being refunded to your Alipay` };
  if (isLatePayment(sale)) {
    return {
      headline: {
        zh: '您的付款在订单取消后才到达',
        en: 'Your payment arrived after the order was cancelled',
      },
      missing: [],
      refund,
      next: { zh: '无需任何操作，欢迎重新选购', en: 'Nothing to do — you can order again' },
    };
  }
  const delivered = sale.items.filter((item) => item.state === 'delivered').length;
  const missing = sale.items
    .filter((item) => item.state !== 'delivered')
    .map((item) => ({ name: item.name, priceFen: item.priceFen }));
  const headline: BilingualText =
    delivered > 0
      ? {
          zh: `请取走已出货的 ${delivered} 件商品`,
          en: delivered === 1 ? 'Please take your other item' : `Please take your other ${delivered} items`,
        }
      : { zh: '抱歉，商品未能出货', en: 'Sorry — nothing could be dispensed' };
  return {
    headline,
    missing,
    refund,
    next: done
      ? { zh: '退款已完成，无需任何操作', en: 'The refund is done; nothing more to do' }
      : {
          zh: '退款通常几分钟内到账，无需等待',
          en: 'Refunds usually arrive within minutes; you need not wait here',
        },
  };
}

/** `订单号 Order no. K42_…`, for the customer to quote to support. */
export function orderNumberText(sale: SaleView): BilingualText {
  return { zh: `订单号 ${sale.outTradeNo}`, en: `Order no. ${sale.outTradeNo}` };
}

/** Who to call; null when the configuration names nobody. */
export function supportText(support: SupportContact | undefined): BilingualText | null {
  const phone = support?.phone ?? null;
  const text = support?.text ?? null;
  if (phone === null && text === null) return null;
  const extra = text === null ? '' : ` ${text}`;
  if (phone === null) return { zh: `如需帮助：${text}`, en: `Need help? ${text}` };
  return { zh: `如需帮助请致电 ${phone}${extra}`, en: `Need help? Call ${phone}${extra}` };
}

/** A sale that failed before any payment could be taken. */
export const FAILED_TEXT: { readonly headline: BilingualText; readonly next: BilingualText } = {
  headline: {
    zh: '无法发起支付，未扣款',
    en: 'The payment could not be started — you have not been charged',
  },
  next: { zh: '请稍后重试', en: 'Please try again in a moment' },
};
