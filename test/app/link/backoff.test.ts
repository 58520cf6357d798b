// Reconnect and retry delays: 1 s × 1.6 per failure up to 30 s, ±20 % jitter so a fleet does not reconnect in
// lockstep.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backoffDelay } from '../../../app/link/index.ts';

test('backoff grows by 1.6 up to its cap, with bounded jitter', () => {
  const middle = (): number => 0.5;
  assert.equal(backoffDelay(0, undefined, middle), 1000, 'no failure yet counts as the first');
  assert.equal(backoffDelay(1, undefined, middle), 1000);
  assert.equal(backoffDelay(2, undefined, middle), 1600);
  assert.equal(backoffDelay(3, undefined, middle), 2560);
  assert.equal(backoffDelay(50, undefined, middle), 30_000);
  assert.equal(
    backoffDelay(3, undefined, () => 0),
    2048,
    'the lowest jitter takes 20 % off',
  );
  assert.equal(
    backoffDelay(3, undefined, () => 1),
    3072,
    'the highest adds 20 %',
  );
  assert.equal(
    backoffDelay(50, undefined, () => 1),
    36_000,
    'jitter applies at the cap too',
  );
  for (let i = 0; i < 100; i++) {
    const d = backoffDelay(3);
    assert.ok(d >= 2560 * 0.8 && d <= 2560 * 1.2, String(d));
  }
});

test('a policy of its own: its start, growth and cap; a jitter beyond 100 % never gives a negative delay', () => {
  const policy = { initialMs: 50, multiplier: 2, maxMs: 300, jitter: 0 };
  assert.deepEqual(
    [1, 2, 3, 4, 5].map((n) => backoffDelay(n, policy)),
    [50, 100, 200, 300, 300],
  );
  assert.equal(
    backoffDelay(1, { ...policy, jitter: 3 }, () => 0),
    0,
  );
  assert.equal(
    backoffDelay(1, { initialMs: 10.4, multiplier: 1, maxMs: 100, jitter: 0 }),
    10,
    'whole milliseconds',
  );
});
