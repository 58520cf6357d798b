// Paid: the goods are coming out, one line per item with its progress.
import type { VendState } from '../../app/rpc/contract.ts';
import { bi, h } from '../dom.ts';
import type { BilingualText, Model } from '../model.ts';
import type { ScreenView } from './screen.ts';

const VEND_LABEL: Record<VendState, BilingualText> = {
  pending: { zh: '等待出货', en: 'Waiting' },
  vending: { zh: '正在出货', en: 'Dispensing…' },
  delivered: { zh: '已出货', en: 'Delivered' },
  not_delivered: { zh: '未能出货', en: 'Not dispensed' },
  unknown: { zh: '正在确认', en: 'Checking' },
};

export function createDispensingScreen(): ScreenView {
  const list = h('ol', { class: 'vend-list', 'data-testid': 'vend-list' });
  const element = h(
    'section',
    { class: 'screen screen-dispensing' },
    h('h1', {}, bi('支付成功，正在出货', 'Paid — dispensing your items')),
    list,
    h('p', { class: 'hint' }, bi('请稍候，不要离开', 'Please wait, do not leave')),
  );
  return {
    element,
    update(model: Model) {
      const items = model.sale?.items ?? [];
      list.replaceChildren(
        ...items.map((item, index) => {
          const label = VEND_LABEL[item.state];
          return h(
            'li',
            {
              class: `vend-item vend-${item.state}`,
              'data-testid': `vend-item-${index}`,
              'data-state': item.state,
            },
            h('span', { class: 'vend-name' }, item.name),
            bi(label.zh, label.en),
          );
        }),
      );
    },
    dispose() {},
  };
}
