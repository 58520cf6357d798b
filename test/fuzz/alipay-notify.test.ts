import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runAlipayNotifyFuzz } from './alipay-notify.fuzz.ts';

test('fuzz (short run): random/mutated notify bodies and responses only ever raise AlipayError', () => {
  const stats = runAlipayNotifyFuzz(2000);
  assert.equal(stats.iterations, 2000);
  assert.ok(stats.typedErrors > 0, 'the fuzzer does reach the error paths');
});
