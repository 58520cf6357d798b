// The screens that end a sale: done, refund, expired, error. Each returns to the product grid on its own
// (the controller's timer) or when tapped.
import type { SaleView } from '../../app/rpc/contract.ts';
import { bi, h } from '../dom.ts';
import type { Actions, Model } from '../model.ts';
import { formatFen } from '../money.ts';
import type { ScreenView } from './screen.ts';

function closingScreen(kind: string, actions: Actions, ...content: HTMLElement[]): HTMLElement {
  const ok = h(
    'button',
    { class: 'btn primary', type: 'button', 'data-testid': 'back-to-idle' },
    bi('完成', 'OK'),
  );
  ok.addEventListener('click', () => actions.backToIdle());
  return h('section', { class: `screen screen-closing screen-${kind}` }, ...content, ok);
}

export function createDoneScreen(actions: Actions): ScreenView {
  const element = closingScreen(
    'done',
    actions,
    h('h1', { class: 'huge', 'data-testid': 'done-message' }, bi('请取货', 'Take your item')),
    h('p', {}, bi('谢谢惠顾', 'Thank you')),
  );
  return { element, update: () => {}, dispose: () => {} };
}

/** Items the customer paid for but did not get. */
function undeliveredCount(sale: SaleView): number {
  return sale.items.filter((item) => item.state !== 'delivered').length;
}

export function refundText(sale: SaleView): { zh: string; en: string } {
  const count = undeliveredCount(sale);
  const amount = formatFen(sale.refundFen);
  const done = sale.state === 'refunded';
  return {
    zh: `${count} 件商品未能出货 — ${amount} ${done ? '已退回' : '正在退回'}您的支付宝`,
    en: `${count} item(s) could not be dispensed — ${amount} ${done ? 'has been refunded' : 'is being refunded'}`,
  };
}

export function createRefundScreen(actions: Actions): ScreenView {
  const message = h('p', { class: 'big', 'data-testid': 'refund-message' });
  const element = closingScreen('refund', actions, h('h1', {}, bi('抱歉', 'Sorry')), message);
  return {
    element,
    update(model: Model) {
      if (model.sale === null) return;
      const text = refundText(model.sale);
      message.replaceChildren(bi(text.zh, text.en));
    },
    dispose() {},
  };
}

export function createExpiredScreen(actions: Actions): ScreenView {
  const element = closingScreen(
    'expired',
    actions,
    h('h1', { class: 'huge', 'data-testid': 'expired-message' }, bi('时间到', "Time's up")),
    h('p', {}, bi('支付已取消，未扣款', 'The payment was cancelled; you have not been charged')),
  );
  return { element, update: () => {}, dispose: () => {} };
}

export function createErrorScreen(actions: Actions): ScreenView {
  const message = h('p', { class: 'big', 'data-testid': 'error-message' });
  const element = closingScreen('error', actions, h('h1', {}, bi('出错了', 'Something went wrong')), message);
  return {
    element,
    update(model: Model) {
      // The agent's message is customer-safe by contract; it is still inserted as text, never as markup.
      message.textContent = model.sale?.message ?? 'Please ask staff for help · 请联系工作人员';
    },
    dispose() {},
  };
}
