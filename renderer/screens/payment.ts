// The Alipay QR code, the amount, and the time left to scan it.
import QRCode from 'qrcode';
import { bi, h } from '../dom.ts';
import type { Actions, Model } from '../model.ts';
import { formatFen } from '../money.ts';
import type { ScreenView } from './screen.ts';

/**
 * Drawn at this size, shown at the layout's --qr-size (pixelated, so modules stay sharp). Big enough for a
 * phone camera at arm's length; margin 4 is the quiet zone the QR spec asks for.
 */
const QR_SIZE_PX = 360;

/** `95_000` → `1:35`; never negative. */
export function formatCountdown(msLeft: number): string {
  const seconds = Math.max(0, Math.ceil(msLeft / 1000));
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
}

export function createPaymentScreen(actions: Actions): ScreenView {
  const canvas = h('canvas', {
    class: 'qr',
    'data-testid': 'qr',
    width: String(QR_SIZE_PX),
    height: String(QR_SIZE_PX),
  });
  const preparing = h(
    'p',
    { class: 'qr-preparing', 'data-testid': 'qr-preparing' },
    bi('正在生成二维码…', 'Preparing QR code…'),
  );
  const amount = h('div', { class: 'amount', 'data-testid': 'amount' });
  const countdown = h('span', { class: 'countdown-value', 'data-testid': 'countdown' });
  const cancel = h('button', { class: 'btn', type: 'button', 'data-testid': 'cancel' }, bi('取消', 'Cancel'));
  cancel.addEventListener('click', () => actions.cancelPayment());

  const element = h(
    'section',
    { class: 'screen screen-payment' },
    h('h1', {}, bi('请用支付宝扫码支付', 'Scan to pay with Alipay')),
    h('div', { class: 'qr-frame' }, canvas, preparing),
    h(
      'div',
      { class: 'payment-info' },
      amount,
      h('p', { class: 'countdown' }, bi('剩余时间', 'Time left'), countdown),
      cancel,
    ),
  );

  let drawnCode: string | null = null;
  let expiresAt: number | null = null;
  const tick = (): void => {
    countdown.textContent = expiresAt === null ? '' : formatCountdown(expiresAt - Date.now());
  };
  const timer = setInterval(tick, 250);

  return {
    element,
    update(model: Model) {
      const sale = model.sale;
      if (sale === null) return;
      amount.textContent = formatFen(sale.totalFen);
      expiresAt = sale.expiresAt;
      tick();
      cancel.disabled = model.cancelPending;
      canvas.hidden = sale.qrCode === null;
      preparing.hidden = sale.qrCode !== null;
      if (sale.qrCode !== null && sale.qrCode !== drawnCode) {
        drawnCode = sale.qrCode;
        QRCode.toCanvas(canvas, sale.qrCode, {
          width: QR_SIZE_PX,
          margin: 4,
          errorCorrectionLevel: 'M',
          color: { dark: '#000000ff', light: '#ffffffff' },
        }).catch(() => {
          canvas.hidden = true;
          preparing.hidden = false;
          preparing.replaceChildren(bi('二维码无法显示', 'The QR code cannot be shown'));
        });
      }
    },
    dispose() {
      clearInterval(timer);
    },
  };
}
