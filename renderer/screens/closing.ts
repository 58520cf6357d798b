// The screens that end a sale: done, refund (part delivered, nothing delivered, late payment), expired,
// error. Each tells what to do next, the order number and who to call, and returns to the product grid on
// its own (the controller's timer) or when tapped.
import { bi, h } from '../dom.ts';
import type { Actions, BilingualText, Model } from '../model.ts';
import { formatFen } from '../money.ts';
import { FAILED_TEXT, orderNumberText, refundOutcome, supportText } from '../outcome-text.ts';
import type { ScreenView } from './screen.ts';

const biText = (t: BilingualText): HTMLSpanElement => bi(t.zh, t.en);

/** The order number and the support contact, at the foot of every closing screen. */
function createFooter(): { element: HTMLElement; update(model: Model): void } {
  const order = h('p', { class: 'order-no', 'data-testid': 'order-no' });
  const help = h('p', { class: 'support', 'data-testid': 'support' });
  return {
    element: h('div', { class: 'closing-footer' }, order, help),
    update(model) {
      if (model.sale !== null) order.replaceChildren(biText(orderNumberText(model.sale)));
      const support = supportText(model.info?.support);
      help.hidden = support === null;
      help.replaceChildren(...(support === null ? [] : [biText(support)]));
    },
  };
}

function closingScreen(
  kind: string,
  actions: Actions,
  content: HTMLElement[],
  update: (model: Model) => void = () => {},
): ScreenView {
  const ok = h(
    'button',
    { class: 'btn primary', type: 'button', 'data-testid': 'back-to-idle' },
    bi('完成', 'OK'),
  );
  ok.addEventListener('click', () => actions.backToIdle());
  const footer = createFooter();
  const element = h(
    'section',
    { class: `screen screen-closing screen-${kind}` },
    // A long outcome (several refunded items on a small screen) scrolls; tabindex lets a keyboard reach it too.
    h('div', { class: 'closing-body', tabindex: '0' }, ...content),
    footer.element,
    ok,
  );
  return {
    element,
    update(model) {
      update(model);
      footer.update(model);
    },
    dispose() {},
  };
}

export function createDoneScreen(actions: Actions): ScreenView {
  return closingScreen('done', actions, [
    h('h1', { class: 'huge', 'data-testid': 'done-message' }, bi('请取货', 'Take your item')),
    h('p', {}, bi('谢谢惠顾', 'Thank you')),
  ]);
}

export function createRefundScreen(actions: Actions): ScreenView {
  const headline = h('h1', { 'data-testid': 'refund-headline' });
  const missing = h('ul', { class: 'missing-items', 'data-testid': 'refund-items' });
  const message = h('p', { class: 'big', 'data-testid': 'refund-message' });
  const next = h('p', { 'data-testid': 'refund-next' });
  return closingScreen('refund', actions, [headline, missing, message, next], (model) => {
    if (model.sale === null) return;
    const outcome = refundOutcome(model.sale);
    headline.replaceChildren(biText(outcome.headline));
    missing.hidden = outcome.missing.length === 0;
    missing.replaceChildren(
      ...(outcome.missing.length === 0
        ? []
        : [
            h('li', { class: 'missing-title' }, bi('未能出货：', 'Not dispensed:')),
            ...outcome.missing.map((item) =>
              h('li', {}, h('span', {}, item.name), h('span', {}, formatFen(item.priceFen))),
            ),
          ]),
    );
    message.replaceChildren(biText(outcome.refund));
    next.replaceChildren(biText(outcome.next));
  });
}

export function createExpiredScreen(actions: Actions): ScreenView {
  return closingScreen('expired', actions, [
    h('h1', { class: 'huge', 'data-testid': 'expired-message' }, bi('时间到', "Time's up")),
    h('p', {}, bi('支付已取消，未扣款', 'The payment was cancelled; you have not been charged')),
    h('p', {}, bi('如已付款，款项将自动退回', 'If you paid anyway, the money is refunded automatically')),
  ]);
}

export function createErrorScreen(actions: Actions): ScreenView {
  const detail = h('p', { class: 'detail', 'data-testid': 'error-detail' });
  return closingScreen(
    'error',
    actions,
    [
      h('h1', { 'data-testid': 'error-message' }, biText(FAILED_TEXT.headline)),
      h('p', { class: 'big' }, biText(FAILED_TEXT.next)),
      detail,
    ],
    (model) => {
      // The agent's message is customer-safe by contract (English, for support); it goes in as text.
      detail.textContent = model.sale?.message ?? '';
      detail.hidden = !model.sale?.message;
    },
  );
}
