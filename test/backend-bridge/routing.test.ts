import assert from 'node:assert/strict';
import { test } from 'node:test';
import { kioskIdFromOutTradeNo } from '../../backend-bridge/index.ts';

test('the kiosk id is the part of out_trade_no before the first underscore', () => {
  assert.equal(kioskIdFromOutTradeNo('K1_20261122_0001'), 'K1');
  assert.equal(kioskIdFromOutTradeNo('abcDEF123_x'), 'abcDEF123');
  assert.equal(kioskIdFromOutTradeNo(`${'A'.repeat(32)}_1`), 'A'.repeat(32));
});

test('out_trade_no values that name no kiosk route nowhere', () => {
  for (const v of [undefined, '', 'K1', '_K1', 'K1_', 'K-1_x', `${'A'.repeat(33)}_1`, 'K1 _x', '中文_1']) {
    assert.equal(kioskIdFromOutTradeNo(v), undefined, String(v));
  }
});
