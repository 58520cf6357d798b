// The figures every benchmark reports: percentiles by nearest rank, targets read the way the table says.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FigureSet, meets, spreadOf } from '../../../bench/lib/figures.ts';

test('spreadOf gives nearest-rank percentiles of unsorted samples', () => {
  const samples = Array.from({ length: 100 }, (_, i) => 100 - i); // 100 … 1
  assert.deepEqual(spreadOf(samples), { n: 100, p50: 50, p95: 95, p99: 99, min: 1, max: 100 });
  assert.deepEqual(spreadOf([7]), { n: 1, p50: 7, p95: 7, p99: 7, min: 7, max: 7 });
});

test('spreadOf refuses an empty sample set instead of reporting zeros', () => {
  assert.throws(() => spreadOf([]), /no samples/);
});

test('a target is judged on the percentile it names, and keys are prefixed with the suite', () => {
  const figures = new FigureSet('confirmation');
  const samples = [...Array.from({ length: 98 }, () => 10), 30, 40];
  figures.samples('intent_ms', 'x', 'ms', samples, { target: { op: '<', value: 25 }, targetOn: 'p99' });
  figures.samples('motor_ms', 'x', 'ms', samples, { target: { op: '<', value: 25 } });
  const [p99, p50] = figures.figures;
  assert.equal(p99?.key, 'confirmation.intent_ms');
  assert.equal(p99?.met, false, 'p99 is 30 ms, not below 25');
  assert.equal(p50?.met, true, 'without targetOn the median (10 ms) is judged');
  assert.equal(meets(1000, { op: '>=', value: 1000 }), true);
  assert.equal(meets(205, { op: '<=', value: 205 }), true);
  assert.equal(meets(25, { op: '<', value: 25 }), false);
});
