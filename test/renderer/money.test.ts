import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatFen } from '../../renderer/money.ts';
import { formatCountdown } from '../../renderer/screens/payment.ts';

test('fen are shown as yuan with exactly two decimals, without float arithmetic', () => {
  assert.equal(formatFen(0), '¥0.00');
  assert.equal(formatFen(5), '¥0.05');
  assert.equal(formatFen(10), '¥0.10');
  assert.equal(formatFen(350), '¥3.50');
  assert.equal(formatFen(123456), '¥1234.56');
  // 0.1 + 0.2 style errors cannot appear: 30 fen is 30 fen.
  assert.equal(formatFen(10 + 20), '¥0.30');
  assert.equal(formatFen(Number.MAX_SAFE_INTEGER), '¥90071992547409.91');
});

test('anything that is not a safe non-negative integer is not shown as a price', () => {
  for (const bad of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, Number.MAX_SAFE_INTEGER + 1]) {
    assert.equal(formatFen(bad), '¥—', String(bad));
  }
});

test('the payment countdown shows minutes and seconds and stops at 0:00', () => {
  assert.equal(formatCountdown(120_000), '2:00');
  assert.equal(formatCountdown(95_001), '1:36');
  assert.equal(formatCountdown(9_000), '0:09');
  assert.equal(formatCountdown(-5_000), '0:00');
});
