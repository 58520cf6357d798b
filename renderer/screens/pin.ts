// The technician PIN pad, opened by the hidden corner. Digits show only as dots.
import { bi, h } from '../dom.ts';
import type { Actions, Model } from '../model.ts';
import { MAX_PIN_LENGTH } from '../maintenance.ts';
import type { ScreenView } from './screen.ts';

export function createPinScreen(actions: Actions): ScreenView {
  const dots = h('div', { class: 'pin-dots', 'data-testid': 'pin-dots', 'aria-live': 'polite' });
  const message = h('p', { class: 'pin-message', 'data-testid': 'pin-message', role: 'alert' });
  const key = (label: string, testId: string, onPress: () => void, cls = 'pin-key'): HTMLButtonElement => {
    const button = h('button', { class: cls, type: 'button', 'data-testid': testId }, label);
    button.addEventListener('click', onPress);
    return button;
  };
  const digits = ['1', '2', '3', '4', '5', '6', '7', '8', '9'].map((d) =>
    key(d, `pin-key-${d}`, () => actions.pinDigit(d)),
  );
  const back = key('⌫', 'pin-back', () => actions.pinBackspace());
  back.setAttribute('aria-label', '删除 Delete');
  const zero = key('0', 'pin-key-0', () => actions.pinDigit('0'));
  const ok = key('OK', 'pin-ok', () => actions.pinSubmit(), 'pin-key pin-ok');
  const close = h('button', { class: 'btn', type: 'button', 'data-testid': 'pin-close' }, bi('返回', 'Back'));
  close.addEventListener('click', () => actions.pinClose());

  const element = h(
    'section',
    { class: 'screen screen-pin', 'data-testid': 'pin-pad' },
    h(
      'div',
      { class: 'pin-side' },
      h('h1', {}, bi('维护 — 输入密码', 'Maintenance — enter PIN')),
      dots,
      message,
      close,
    ),
    h('div', { class: 'pin-grid' }, ...digits, back, zero, ok),
  );
  return {
    element,
    update(model: Model) {
      const pin = model.pin;
      if (pin === null) return;
      dots.textContent = '●'.repeat(pin.digits.length) + '○'.repeat(Math.max(0, 4 - pin.digits.length));
      message.replaceChildren(...(pin.message === null ? [] : [bi(pin.message.zh, pin.message.en)]));
      for (const button of [...digits, zero])
        button.disabled = pin.busy || pin.digits.length >= MAX_PIN_LENGTH;
      ok.disabled = pin.busy || pin.digits.length < 4;
      back.disabled = pin.busy || pin.digits.length === 0;
    },
    dispose() {},
  };
}
