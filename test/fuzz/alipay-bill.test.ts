import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runAlipayBillFuzz } from './alipay-bill.fuzz.ts';

test('fuzz (short run): random, spliced and mutated bills only ever raise AlipayError', () => {
  const stats = runAlipayBillFuzz(3000);
  assert.equal(stats.iterations, 3000);
  assert.ok(stats.typedErrors > 0, 'the fuzzer does reach the error paths');
  assert.ok(stats.parsed > 0, 'and some mutations still parse');
});
