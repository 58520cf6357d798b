// What a customer sees at the kiosk, driven through real Chromium against a fake agent.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import {
  decodeQrOnScreen,
  sampleSale,
  tapMaintenanceCorner,
  useKioskUi,
  type KioskUiRig,
} from './harness.ts';

let rig: KioskUiRig;
let page: Page;
let consoleErrors: string[];

useKioskUi((ui) => ({ rig, page, consoleErrors } = ui));

const screen = (p: Page) => p.locator('main#app').getAttribute('data-screen');
const waitScreen = (name: string) => page.locator(`main#app[data-screen="${name}"]`).waitFor();
const text = async (testId: string) => ((await page.getByTestId(testId).textContent()) ?? '').trim();

async function startPayment(): Promise<void> {
  await page.getByTestId('product-1').click();
  await page.getByTestId('product-1').click();
  await page.getByTestId('checkout').click();
  await waitScreen('payment');
}

describe('product grid', () => {
  test('shows every product with its price in yuan and says it is a demo', async () => {
    assert.match(await text('product-1'), /可乐 Cola/);
    assert.equal(await text('price-1'), '¥3.50');
    assert.equal(await text('price-2'), '¥0.05');
    assert.equal(await text('price-3'), '¥12.00');
    assert.equal(await page.getByTestId('demo-banner').isVisible(), true);
    assert.match(await text('demo-banner'), /DEMO MODE — no real money/);
    assert.equal(await page.getByTestId('offline-notice').isVisible(), false);
  });

  test('an unavailable product cannot be put in the cart', async () => {
    assert.equal(await page.getByTestId('product-3').isDisabled(), true);
    await page.getByTestId('product-3').click({ force: true });
    assert.equal(await page.getByTestId('cart-line-3').count(), 0);
    assert.equal(await text('cart-total'), '¥0.00');
    assert.equal(await page.getByTestId('checkout').isDisabled(), true);
  });

  test('the cart adds up in fen and the clear button empties it', async () => {
    await page.getByTestId('product-1').click();
    await page.getByTestId('product-2').click();
    await page.getByTestId('product-2').click();
    assert.equal(await text('cart-total'), '¥3.60');
    await page.getByTestId('remove-2').click();
    assert.equal(await text('cart-total'), '¥3.55');
    await page.getByTestId('clear').click();
    assert.equal(await text('cart-total'), '¥0.00');
  });

  test('a product cannot be added beyond the stock in its lane', async () => {
    for (let i = 0; i < 5; i++) await page.getByTestId('product-2').click(); // stock 3
    assert.match(await text('cart-line-2'), /×3/);
  });

  test('board offline: an out-of-service screen with the contact, not "Sold out"; back to the grid when it returns', async () => {
    rig.agent.info = { ...rig.agent.info, support: { phone: '400-820-0000', text: null } };
    await page.getByTestId('product-1').click();
    rig.agent.info = { ...rig.agent.info, dispenserLink: 'down' };
    rig.agent.push('kiosk.updated', rig.agent.info);
    await waitScreen('out-of-service');
    assert.match(await text('offline-notice'), /Machine offline/);
    assert.match(await text('out-of-service'), /暂停服务\s*Out of service/);
    assert.match(await text('out-of-service-reason'), /The machine cannot dispense right now/);
    assert.match(await text('out-of-service'), /No payment is taken now/);
    assert.match(await text('support'), /Need help\? Call 400-820-0000/);
    assert.doesNotMatch(await text('out-of-service'), /Sold out|售罄/);
    assert.equal(await page.getByTestId('checkout').count(), 0, 'nothing can be bought');

    rig.agent.info = { ...rig.agent.info, dispenserLink: 'up' };
    rig.agent.push('kiosk.updated', rig.agent.info);
    await waitScreen('idle');
    assert.doesNotMatch(await text('product-1'), /Sold out/);
    assert.match(await text('product-3'), /Sold out/, 'only the empty lane says sold out');
  });

  test('every product sold out: the out-of-service screen says so', async () => {
    rig.agent.products = rig.agent.products.map((p) => ({ ...p, stock: 0, available: false }));
    rig.agent.push('kiosk.updated', rig.agent.info);
    await waitScreen('out-of-service');
    assert.match(await text('out-of-service-reason'), /Everything is sold out/);
  });

  test('English on request shows English first; after the sale the next customer gets Chinese again', async () => {
    assert.equal(await page.locator('main#app').getAttribute('data-lang'), 'zh');
    assert.equal(await page.evaluate(() => document.documentElement.lang), 'zh-CN');
    assert.equal(await text('lang-switch'), 'English');
    await page.getByTestId('lang-switch').click();
    assert.equal(await page.locator('main#app').getAttribute('data-lang'), 'en');
    assert.equal(await page.evaluate(() => document.documentElement.lang), 'en');
    assert.equal(await text('lang-switch'), '中文');
    assert.equal(await page.getByTestId('lang-switch').getAttribute('lang'), 'zh-CN');
    // English is laid out first: its box is above the Chinese one.
    const box = async (sel: string) =>
      (await page.locator(`[data-testid="checkout"] ${sel}`).boundingBox())!.y;
    assert.ok((await box('.en')) < (await box('.zh')));
    await startPayment();
    rig.agent.push('sale.updated', {
      ...rig.agent.current!,
      state: 'completed',
      items: rig.agent.current!.items.map((item) => ({ ...item, state: 'delivered' as const })),
    });
    await waitScreen('done');
    assert.equal(await page.locator('main#app').getAttribute('data-lang'), 'en');
    await page.getByTestId('back-to-idle').click();
    await waitScreen('idle');
    assert.equal(await page.locator('main#app').getAttribute('data-lang'), 'zh');
  });

  test('an untouched grid gives way to the attract screen; a tap brings the grid back', async () => {
    await page.clock.fastForward(91_000);
    await waitScreen('attract');
    assert.match(await text('attract'), /Welcome/);
    assert.match(await text('attract-products'), /可乐 Cola/);
    assert.doesNotMatch(await text('attract-products'), /Green tea/, 'only what can be bought');
    await page.getByTestId('attract').click();
    await waitScreen('idle');
  });

  test('a cart in progress keeps the attract screen away', async () => {
    await page.getByTestId('product-1').click();
    await page.clock.fastForward(59_000);
    assert.equal(await screen(page), 'idle');
  });

  test('an untouched cart is emptied after a minute', async () => {
    await page.getByTestId('product-1').click();
    assert.equal(await text('cart-total'), '¥3.50');
    await page.clock.fastForward(61_000);
    await page.getByTestId('cart-line-1').waitFor({ state: 'detached' });
    assert.equal(await text('cart-total'), '¥0.00');
  });
});

describe('payment', () => {
  test('checkout shows a QR code that scans to exactly the code the agent issued, with the amount', async () => {
    await startPayment();
    assert.deepEqual(rig.agent.callsTo('sale.checkout'), [{ items: [{ lane: 1, quantity: 2 }] }]);
    const { text: scanned, width } = await decodeQrOnScreen(page);
    assert.equal(scanned, 'https://qr.alipay.com/bax08431xk1o5xbadhr8009c');
    assert.ok(width >= 320, `QR is ${width}px wide`);
    assert.equal(await text('amount'), '¥7.00');
    assert.match(await text('countdown'), /^[12]:\d\d$/);
    assert.deepEqual(consoleErrors, [], 'no CSP violations or script errors');
  });

  test('a new QR code from the agent replaces the old one on screen', async () => {
    await startPayment();
    rig.agent.push('sale.updated', { ...rig.agent.current!, qrCode: 'https://qr.alipay.com/bax00000second' });
    let scanned: string | null = null;
    for (let i = 0; i < 20 && scanned !== 'https://qr.alipay.com/bax00000second'; i++) {
      scanned = (await decodeQrOnScreen(page)).text;
    }
    assert.equal(scanned, 'https://qr.alipay.com/bax00000second');
  });

  test('cancel asks the agent to cancel and goes back to the products', async () => {
    await startPayment();
    await page.getByTestId('cancel').click();
    await waitScreen('idle');
    assert.deepEqual(rig.agent.callsTo('sale.cancel'), [{ outTradeNo: 'K1_20250101_0001' }]);
  });

  test("an unpaid code that runs out says time's up, then returns to the products", async () => {
    await startPayment();
    rig.agent.push('sale.updated', { ...rig.agent.current!, state: 'expired' });
    await waitScreen('expired');
    assert.match(await text('expired-message'), /Time's up/);
    await page.clock.fastForward(6_000);
    await waitScreen('idle');
  });
});

describe('after payment', () => {
  test('paid, vending and completed show dispensing progress, then "Take your item", then the products', async () => {
    await startPayment();
    const sale = rig.agent.current!;
    rig.agent.push('sale.updated', { ...sale, state: 'paid' });
    await waitScreen('dispensing');
    rig.agent.push('sale.updated', {
      ...sale,
      state: 'vending',
      items: [
        { ...sale.items[0]!, state: 'delivered' },
        { ...sale.items[1]!, state: 'vending' },
      ],
    });
    await page.locator('[data-testid="vend-item-1"][data-state="vending"]').waitFor();
    assert.match(await text('vend-item-0'), /Delivered/);
    assert.match(await text('vend-item-1'), /Dispensing/);
    rig.agent.push('sale.updated', {
      ...sale,
      state: 'completed',
      items: sale.items.map((item) => ({ ...item, state: 'delivered' as const })),
    });
    await waitScreen('done');
    assert.match(await text('done-message'), /Take your item/);
    await page.clock.fastForward(9_000);
    await waitScreen('idle');
    assert.equal(await text('cart-total'), '¥0.00', 'the paid cart is gone');
  });

  test('part delivered: take your other item, which item is refunded and how much, order number, contact', async () => {
    rig.agent.info = { ...rig.agent.info, support: { phone: '400-820-0000', text: null } };
    rig.agent.push('kiosk.updated', rig.agent.info);
    await page.getByTestId('product-1').click();
    await page.getByTestId('product-2').click();
    await page.getByTestId('checkout').click();
    await waitScreen('payment');
    const sale = rig.agent.current!;
    const items = [
      { ...sale.items[0]!, state: 'delivered' as const },
      { ...sale.items[1]!, state: 'not_delivered' as const },
    ];
    rig.agent.push('sale.updated', { ...sale, state: 'refund_pending', items, refundFen: 5 });
    await waitScreen('refund');
    assert.equal(await text('refund-headline'), '请取走已出货的 1 件商品Please take your other item');
    assert.match(await text('refund-items'), /Not dispensed:.*矿泉水 Water\s*¥0\.05/);
    assert.doesNotMatch(await text('refund-items'), /Cola/);
    assert.equal(
      await text('refund-message'),
      '¥0.05 正在退回您的支付宝¥0.05 is being refunded to your Alipay',
    );
    assert.match(await text('order-no'), /Order no\. K1_20250101_0001/);
    assert.match(await text('support'), /Call 400-820-0000/);
    rig.agent.push('sale.updated', { ...sale, state: 'refunded', items, refundFen: 5 });
    await page.getByTestId('refund-message').filter({ hasText: 'has been refunded' }).waitFor();
    assert.match(await text('refund-message'), /¥0\.05 has been refunded to your Alipay/);
    assert.match(await text('refund-next'), /The refund is done/);
  });

  test('a payment that arrives after the customer cancelled: its refund is shown with the amount', async () => {
    await startPayment();
    await page.getByTestId('cancel').click();
    await waitScreen('idle');
    const sale = rig.agent.current!;
    rig.agent.push('sale.updated', { ...sale, state: 'refund_pending', qrCode: null, refundFen: 700 });
    await waitScreen('refund');
    assert.match(await text('refund-headline'), /Your payment arrived after the order was cancelled/);
    assert.match(await text('refund-message'), /¥7\.00 is being refunded to your Alipay/);
    assert.match(await text('order-no'), /K1_20250101_0001/);
    assert.equal(await page.getByTestId('refund-items').isVisible(), false);
    await page.getByTestId('back-to-idle').click();
    await waitScreen('idle');
    rig.agent.push('sale.updated', { ...sale, state: 'refunded', qrCode: null, refundFen: 700 });
    rig.agent.push('sale.updated', sampleSale({ outTradeNo: 'K1_NEXT', state: 'completed', qrCode: null }));
    await waitScreen('done'); // pushes arrive in order: the refunded update came first and stayed away
  });

  test('a failure says no money was taken, with the agent message as plain text', async () => {
    await startPayment();
    rig.agent.push('sale.updated', {
      ...rig.agent.current!,
      state: 'failed',
      message: '<img src=x onerror=alert(1)> 支付失败 Payment failed',
    });
    await waitScreen('error');
    assert.match(await text('error-message'), /The payment could not be started — you have not been charged/);
    assert.equal(await text('error-detail'), '<img src=x onerror=alert(1)> 支付失败 Payment failed');
    assert.equal(await page.locator('[data-testid="error-detail"] img').count(), 0);
  });

  test("a late update for an older sale does not take over a customer's payment screen", async () => {
    await startPayment();
    rig.agent.push('sale.updated', sampleSale({ outTradeNo: 'K1_OLD', state: 'refunded', refundFen: 100 }));
    // Pushes arrive in order: once this later one shows, the older sale's update has been handled.
    rig.agent.push('kiosk.updated', { ...rig.agent.info, demo: false });
    await page.getByTestId('demo-banner').waitFor({ state: 'hidden' });
    assert.equal(await screen(page), 'payment');
    assert.equal(await text('amount'), '¥7.00');
  });
});

describe('technician entry', () => {
  test('five taps on the corner open a PIN pad that hides digits; no PIN configured: not available', async () => {
    rig.agent.maintenance.pin = null;
    await tapMaintenanceCorner(page);
    await waitScreen('pin');
    for (const d of ['1', '2', '3', '4']) await page.getByTestId(`pin-key-${d}`).click();
    assert.equal(await text('pin-dots'), '●●●●');
    await page.getByTestId('pin-ok').click();
    await page.getByTestId('pin-message').filter({ hasText: 'not available' }).waitFor();
    assert.equal(await text('pin-dots'), '○○○○', 'digits are cleared after a try');
    await page.getByTestId('pin-close').click();
    await waitScreen('idle');
  });

  test('an abandoned PIN pad closes itself', async () => {
    await tapMaintenanceCorner(page);
    await waitScreen('pin');
    await page.clock.fastForward(31_000);
    await waitScreen('idle');
  });
});

describe('product pictures', () => {
  test('a product shows its picture; a picture that does not decode and a product without one get the fallback', async () => {
    const picture = page.getByTestId('picture-1');
    await picture.waitFor();
    assert.ok(await picture.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth === 16));
    await page.getByTestId('picture-fallback-2').waitFor(); // the broken one was replaced
    assert.equal(await page.getByTestId('picture-2').count(), 0);
    assert.equal(await text('picture-fallback-2'), '矿');
    assert.equal(await text('picture-fallback-3'), '绿');
  });
});
