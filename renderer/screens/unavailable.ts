// Screens shown when nobody is buying: the out-of-service screen (the board is offline, or no lane can sell)
// with who to call, and the attract screen that invites the next customer after a quiet spell.
import { bi, h } from '../dom.ts';
import type { Actions, Model } from '../model.ts';
import { supportText } from '../outcome-text.ts';
import type { ScreenView } from './screen.ts';

export function createOutOfServiceScreen(): ScreenView {
  const reason = h('p', { class: 'big', 'data-testid': 'out-of-service-reason' });
  const help = h('p', { class: 'support', 'data-testid': 'support' });
  const element = h(
    'section',
    { class: 'screen screen-out-of-service', 'data-testid': 'out-of-service' },
    h('h1', { class: 'huge' }, bi('暂停服务', 'Out of service')),
    reason,
    h('p', {}, bi('现在不会收款', 'No payment is taken now')),
    help,
  );
  return {
    element,
    update(model: Model) {
      const boardDown = model.info?.dispenserLink === 'down';
      const anyStock = model.products.some((p) => p.stock > 0);
      reason.replaceChildren(
        boardDown
          ? bi(
              '售货机暂时无法出货，请稍后再来',
              'The machine cannot dispense right now — please come back later',
            )
          : anyStock
            ? bi('商品暂不可售，请稍后再来', 'No product can be sold right now — please come back later')
            : bi('商品已全部售完', 'Everything is sold out'),
      );
      const support = supportText(model.info?.support);
      help.hidden = support === null;
      help.replaceChildren(...(support === null ? [] : [bi(support.zh, support.en)]));
    },
    dispose() {},
  };
}

export function createAttractScreen(actions: Actions): ScreenView {
  const names = h('ul', { class: 'attract-products', 'data-testid': 'attract-products' });
  const start = h(
    'button',
    { class: 'btn primary attract-start', type: 'button', 'data-testid': 'attract-start' },
    bi('点击开始购物', 'Tap to start'),
  );
  start.addEventListener('click', () => actions.wake());
  const element = h(
    'section',
    { class: 'screen screen-attract', 'data-testid': 'attract' },
    h('h1', { class: 'huge' }, bi('欢迎光临', 'Welcome')),
    h('p', { class: 'big' }, bi('支付宝扫码购买', 'Pay with Alipay')),
    names,
    start,
  );
  // A tap anywhere wakes the kiosk, not only on the button.
  element.addEventListener('click', () => actions.wake());
  let key = '';
  return {
    element,
    update(model: Model) {
      const available = model.products.filter((p) => p.available).slice(0, 6);
      const next = JSON.stringify(available.map((p) => p.lane));
      if (next === key) return;
      key = next;
      names.replaceChildren(...available.map((p) => h('li', {}, p.name)));
    },
    dispose() {},
  };
}
