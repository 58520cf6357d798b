import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AlipayError, fenToYuan, yuanToFen } from '../../../app/alipay/index.ts';

test('fenToYuan writes exactly two decimals', () => {
  assert.equal(fenToYuan(1), '0.01');
  assert.equal(fenToYuan(10), '0.10');
  assert.equal(fenToYuan(0), '0.00');
  assert.equal(fenToYuan(100), '1.00');
  assert.equal(fenToYuan(123456789), '1234567.89');
  assert.equal(fenToYuan(Number.MAX_SAFE_INTEGER), '90071992547409.91');
});

test('fenToYuan rejects negatives, fractions and unsafe integers with a typed error', () => {
  for (const bad of [-1, 1.5, Number.NaN, Infinity, Number.MAX_SAFE_INTEGER + 1]) {
    assert.throws(
      () => fenToYuan(bad),
      (err: unknown) => err instanceof AlipayError && err.code === 'invalid_amount',
    );
  }
});

test('yuanToFen parses Alipay amounts without floating point', () => {
  assert.equal(yuanToFen('0.01'), 1);
  assert.equal(yuanToFen('0.10'), 10);
  assert.equal(yuanToFen('0.1'), 10);
  assert.equal(yuanToFen('10'), 1000);
  assert.equal(yuanToFen('1234567.89'), 123456789);
  // 0.29 * 100 = 28.999999999999996 in floating point; digits-only parsing gets it right.
  assert.equal(yuanToFen('0.29'), 29);
  assert.equal(yuanToFen('1.15'), 115);
});

test('yuanToFen is strict', () => {
  for (const bad of [
    '',
    '.5',
    '1.',
    '1.234',
    '-1.00',
    '+1',
    ' 1.00',
    '1.00 ',
    '1e2',
    '0x10',
    '1,00',
    '１.00',
    'NaN',
    '99999999999999999.00',
  ]) {
    assert.throws(
      () => yuanToFen(bad),
      (err: unknown) => err instanceof AlipayError && err.code === 'invalid_amount',
      bad,
    );
  }
  assert.throws(() => yuanToFen(1 as unknown as string), { code: 'invalid_amount' });
});

test('round trip for every fen value up to 100000 and large ones', () => {
  for (let fen = 0; fen <= 100_000; fen++) assert.equal(yuanToFen(fenToYuan(fen)), fen);
  for (const fen of [999_999_999, 10_000_000_000, Number.MAX_SAFE_INTEGER])
    assert.equal(yuanToFen(fenToYuan(fen)), fen);
});

test('a refused amount says what was wrong (the relay and the kiosk log it)', () => {
  assert.throws(() => fenToYuan(-1), {
    code: 'invalid_amount',
    message: 'amount in fen must be a non-negative safe integer, got -1',
  });
  assert.throws(() => yuanToFen(1 as unknown as string), {
    code: 'invalid_amount',
    message: 'amount in yuan must be a string',
  });
  assert.throws(() => yuanToFen('1.234'), { code: 'invalid_amount', message: 'not a yuan amount: "1.234"' });
  assert.throws(() => yuanToFen('99999999999999999.00'), {
    code: 'invalid_amount',
    message: 'amount too large',
  });
  assert.equal(yuanToFen('90071992547409.91'), Number.MAX_SAFE_INTEGER);
  assert.equal(yuanToFen('0'), 0);
});

test('a refused amount is quoted at most 40 characters long (a hostile notify cannot flood the log)', () => {
  const long = `${'9'.repeat(60)}x`;
  assert.throws(() => yuanToFen(long), {
    code: 'invalid_amount',
    message: `not a yuan amount: "${'9'.repeat(40)}"`,
  });
});
