import assert from 'node:assert/strict';
import { test } from 'node:test';
import { canTransition, FINAL_STATES, SALE_TRANSITIONS } from '../../../app/sale/index.ts';
import { allocateOutTradeNo } from '../../../app/sale/out-trade-no.ts';

test('the happy path is created → awaiting_payment → paid → vending → completed', () => {
  const path = ['created', 'awaiting_payment', 'paid', 'vending', 'completed'] as const;
  for (let i = 1; i < path.length; i++)
    assert.ok(canTransition(path[i - 1]!, path[i]!), `${path[i - 1]} → ${path[i]}`);
});

test('nothing vends without a verified payment and nothing leaves a final state', () => {
  assert.equal(canTransition('awaiting_payment', 'vending'), false);
  assert.equal(canTransition('created', 'paid'), false);
  assert.equal(canTransition('expired', 'paid'), false, 'a late payment is refunded, never vended');
  for (const s of FINAL_STATES.filter((f) => f !== 'expired')) assert.deepEqual(SALE_TRANSITIONS[s], []);
});

test('goods not delivered lead to a refund, and a payment that raced the expiry is refunded', () => {
  assert.ok(canTransition('vending', 'refund_pending'));
  assert.ok(canTransition('refund_pending', 'refunded'));
  assert.ok(canTransition('expired', 'refund_pending'));
});

test('out_trade_no carries the kiosk id, fits Alipay (≤64, [A-Za-z0-9_]) and does not repeat', () => {
  const at = new Date('2026-11-22T07:30:12Z');
  const seen = new Set<string>();
  for (let i = 0; i < 1000; i++) {
    const no = allocateOutTradeNo('K0042', at);
    assert.match(no, /^K0042_20261122073012_[0-9a-f]{10}$/);
    assert.ok(no.length <= 64);
    seen.add(no);
  }
  assert.equal(seen.size, 1000);
  assert.throws(() => allocateOutTradeNo('bad_id', at));
});

test('a kiosk id is 1 to 32 letters and digits, nothing else anywhere in it', () => {
  const at = new Date('2026-11-22T07:30:12Z');
  for (const bad of ['', '!A', 'A!', 'A B', 'A'.repeat(33)])
    assert.throws(() => allocateOutTradeNo(bad, at), /kiosk id must match/, JSON.stringify(bad));
  assert.match(allocateOutTradeNo('A'.repeat(32), at), /^A{32}_20261122073012_[0-9a-f]{10}$/);
  assert.match(allocateOutTradeNo('z9', at), /^z9_20261122073012_/);
});

test('every state the store knows is in the table, and only `expired` among the final states can move on', () => {
  assert.deepEqual(Object.keys(SALE_TRANSITIONS).sort(), [
    'awaiting_payment',
    'completed',
    'created',
    'expired',
    'failed',
    'paid',
    'refund_pending',
    'refunded',
    'vending',
  ]);
  assert.deepEqual([...FINAL_STATES].sort(), ['completed', 'expired', 'failed', 'refunded']);
  assert.deepEqual(SALE_TRANSITIONS.created, ['awaiting_payment', 'failed', 'expired']);
  assert.deepEqual(SALE_TRANSITIONS.awaiting_payment, ['paid', 'expired']);
  assert.deepEqual(SALE_TRANSITIONS.paid, ['vending']);
  assert.deepEqual(SALE_TRANSITIONS.vending, ['completed', 'refund_pending']);
  assert.deepEqual(SALE_TRANSITIONS.refund_pending, ['refunded']);
  assert.deepEqual(SALE_TRANSITIONS.expired, ['refund_pending', 'refunded']);
});
