import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SaleState, SaleView } from '../../app/rpc/contract.ts';
import { backoffDelayMs, RECONNECT_BACKOFF } from '../../renderer/backoff.ts';
import { createTapCounter } from '../../renderer/maintenance.ts';
import { screenForSaleState, shouldShowSale } from '../../renderer/sale-screens.ts';
import { refundText } from '../../renderer/screens/closing.ts';
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
  const none = new Set<string>();
  assert.equal(shouldShowSale(sale('A', 'vending'), sale('A', 'awaiting_payment'), none), false);
  assert.equal(shouldShowSale(sale('A', 'vending'), sale('A', 'vending'), none), true);
  assert.equal(shouldShowSale(sale('A', 'expired'), sale('A', 'refund_pending'), none), true);
  assert.equal(shouldShowSale(null, sale('A', 'completed'), new Set(['A'])), false);
});

test("another sale cannot take over an active customer's screen, but may follow a finished one", () => {
  const none = new Set<string>();
  assert.equal(shouldShowSale(sale('A', 'awaiting_payment'), sale('B', 'refunded'), none), false);
  assert.equal(shouldShowSale(sale('A', 'vending'), sale('B', 'awaiting_payment'), none), false);
  assert.equal(shouldShowSale(sale('A', 'completed'), sale('B', 'awaiting_payment'), none), true);
});

test('the refund sentence counts the items not delivered and says whether the money is back', () => {
  const items = [
    { lane: 1, name: 'a', priceFen: 350, state: 'delivered' as const },
    { lane: 2, name: 'b', priceFen: 350, state: 'not_delivered' as const },
    { lane: 3, name: 'c', priceFen: 5, state: 'unknown' as const },
  ];
  assert.equal(
    refundText(sale('A', 'refund_pending', { items, refundFen: 355 })).en,
    '2 item(s) could not be dispensed — ¥3.55 is being refunded',
  );
  assert.equal(
    refundText(sale('A', 'refunded', { items, refundFen: 355 })).en,
    '2 item(s) could not be dispensed — ¥3.55 has been refunded',
  );
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
