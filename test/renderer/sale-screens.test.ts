import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SaleState, SaleView } from '../../app/rpc/contract.ts';
import { backoffDelayMs, RECONNECT_BACKOFF } from '../../renderer/backoff.ts';
import { createTapCounter } from '../../renderer/maintenance.ts';
import { screenForSaleState, shouldShowSale } from '../../renderer/sale-screens.ts';
import { orderNumberText, refundOutcome, supportText } from '../../renderer/outcome-text.ts';
import { toRpcCallError } from '../../renderer/transport.ts';

const sale = (outTradeNo: string, state: SaleState, patch: Partial<SaleView> = {}): SaleView => ({
  outTradeNo,
  state,
  totalFen: 700,
  qrCode: null,
  expiresAt: null,
  items: [],
  refundFen: 0,
  message: null,
  ...patch,
});

test('every sale state has a screen', () => {
  const expected: Record<SaleState, string> = {
    created: 'payment',
    awaiting_payment: 'payment',
    paid: 'dispensing',
    vending: 'dispensing',
    completed: 'done',
    refund_pending: 'refund',
    refunded: 'refund',
    expired: 'expired',
    failed: 'error',
  };
  for (const [state, screen] of Object.entries(expected))
    assert.equal(screenForSaleState(state as SaleState), screen);
});

test('a sale on screen only moves forward; a dismissed one never returns', () => {
  const none = new Map<string, SaleState>();
  assert.equal(shouldShowSale(sale('A', 'vending'), sale('A', 'awaiting_payment'), none), false);
  assert.equal(shouldShowSale(sale('A', 'vending'), sale('A', 'vending'), none), true);
  assert.equal(shouldShowSale(sale('A', 'expired'), sale('A', 'refund_pending'), none), true);
  assert.equal(shouldShowSale(null, sale('A', 'completed'), new Map([['A', 'completed' as const]])), false);
  assert.equal(
    shouldShowSale(null, sale('A', 'refunded'), new Map([['A', 'refund_pending' as const]])),
    false,
  );
});

test('a late payment (the sale was left as expired, then refunded) comes back once to say so', () => {
  const leftExpired = new Map<string, SaleState>([['A', 'expired']]);
  assert.equal(shouldShowSale(null, sale('A', 'refund_pending'), leftExpired), true);
  assert.equal(shouldShowSale(null, sale('A', 'refunded'), leftExpired), true);
  assert.equal(shouldShowSale(null, sale('A', 'expired'), leftExpired), false);
  assert.equal(
    shouldShowSale(sale('B', 'awaiting_payment'), sale('A', 'refunded'), leftExpired),
    false,
    "not over another customer's payment",
  );
});

test("another sale cannot take over an active customer's screen, but may follow a finished one", () => {
  const none = new Map<string, SaleState>();
  assert.equal(shouldShowSale(sale('A', 'awaiting_payment'), sale('B', 'refunded'), none), false);
  assert.equal(shouldShowSale(sale('A', 'vending'), sale('B', 'awaiting_payment'), none), false);
  assert.equal(shouldShowSale(sale('A', 'completed'), sale('B', 'awaiting_payment'), none), true);
});

test('part delivered: take your other items, which items are not dispensed, how much comes back', () => {
  const items = [
    { lane: 1, name: '可乐 Cola', priceFen: 350, state: 'delivered' as const },
    { lane: 1, name: '可乐 Cola', priceFen: 350, state: 'delivered' as const },
    { lane: 2, name: '绿茶 Tea', priceFen: 350, state: 'not_delivered' as const },
    { lane: 3, name: '水 Water', priceFen: 5, state: 'unknown' as const },
  ];
  const pending = refundOutcome(sale('A', 'refund_pending', { items, refundFen: 355 }));
  assert.equal(pending.headline.en, 'Please take your other 2 items');
  assert.equal(pending.headline.zh, '请取走已出货的 2 件商品');
  assert.deepEqual(pending.missing, [
    { name: '绿茶 Tea', priceFen: 350 },
    { name: '水 Water', priceFen: 5 },
  ]);
  assert.equal(pending.refund.en, '¥3.55 is being refunded to your Alipay');
  assert.equal(pending.refund.zh, '¥3.55 正在退回您的支付宝');
  const done = refundOutcome(sale('A', 'refunded', { items, refundFen: 355 }));
  assert.equal(done.refund.en, '¥3.55 has been refunded to your Alipay');
  const none = refundOutcome(sale('A', 'refunded', { items: [items[2]!], refundFen: 350 }));
  assert.equal(none.headline.en, 'Sorry — nothing could be dispensed');
});

test('a late payment says it arrived after the cancel; support and order number read as configured', () => {
  const items = [{ lane: 1, name: 'a', priceFen: 700, state: 'pending' as const }];
  const late = refundOutcome(sale('A', 'refunded', { items, refundFen: 700 }));
  assert.equal(late.headline.en, 'Your payment arrived after the order was cancelled');
  assert.equal(late.refund.en, '¥7.00 has been refunded to your Alipay');
  assert.deepEqual(late.missing, []);
  assert.equal(orderNumberText(sale('K1_X', 'refunded')).en, 'Order no. K1_X');
  assert.equal(supportText({ phone: null, text: null }), null);
  assert.equal(supportText({ phone: '400-1', text: null })?.en, 'Need help? Call 400-1');
  assert.equal(supportText({ phone: '400-1', text: null })?.zh, '如需帮助请致电 400-1');
  assert.equal(supportText({ phone: null, text: 'ask the shop' })?.en, 'Need help? ask the shop');
});

test('reconnect delays grow to a cap and are spread around it', () => {
  const mid = () => 0.5;
  assert.equal(backoffDelayMs(0, RECONNECT_BACKOFF, mid), 250);
  assert.equal(backoffDelayMs(1, RECONNECT_BACKOFF, mid), 400);
  assert.equal(backoffDelayMs(50, RECONNECT_BACKOFF, mid), 2000);
  assert.equal(
    backoffDelayMs(50, RECONNECT_BACKOFF, () => 0),
    1600,
  );
  assert.equal(
    backoffDelayMs(50, RECONNECT_BACKOFF, () => 1),
    2400,
  );
});

test('the maintenance corner opens only on five taps within three seconds', () => {
  const counter = createTapCounter();
  for (const t of [0, 500, 1000, 1500]) assert.equal(counter.tap(t), false);
  assert.equal(counter.tap(4600), false, 'the first four taps are too old to count');
  for (const t of [4700, 4800, 4900]) assert.equal(counter.tap(t), false);
  assert.equal(counter.tap(5000), true);
  assert.equal(counter.tap(5100), false, 'counting starts over after opening');
});

test('carrier errors become typed rpc errors; unknown shapes are internal', () => {
  assert.equal(toRpcCallError({ code: 'conflict', message: 'busy' }).code, 'conflict');
  assert.equal(toRpcCallError({ code: 'weird', message: 'x' }).code, 'internal');
  assert.equal(toRpcCallError(new Error('boom')).message, 'boom');
  assert.equal(toRpcCallError('nope').code, 'internal');
});
