// A suite's budget: the count in a full run (or the environment's), the quick count in a quick run,
// and a time allowance scaled by BENCH_TIME_SCALE that only a full run has.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { budget } from '../../../bench/lib/budget.ts';

const options = { env: 'BENCH_TEST_COUNT', quick: 10, full: 10_000, fullSeconds: 150 };

function withEnv<T>(env: Record<string, string | undefined>, run: () => T): T {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  const apply = (values: Record<string, string | undefined>) => {
    for (const [k, v] of Object.entries(values)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
  apply(env);
  try {
    return run();
  } finally {
    apply(saved);
  }
}

test('a full run aims at the full count within its seconds; a quick run at the quick count, without a clock', () => {
  withEnv({ BENCH_TEST_COUNT: undefined, BENCH_TIME_SCALE: undefined }, () => {
    const full = budget(options, false);
    assert.equal(full.count, 10_000);
    assert.equal(full.seconds, 150);
    assert.equal(full.expired(), false);
    const quick = budget(options, true);
    assert.equal(quick.count, 10);
    assert.equal(quick.seconds, Infinity);
  });
});

test('the environment sets the full count and scales the time; a quick run ignores both', () => {
  withEnv({ BENCH_TEST_COUNT: '2500', BENCH_TIME_SCALE: '4' }, () => {
    assert.deepEqual([budget(options, false).count, budget(options, false).seconds], [2500, 600]);
    assert.deepEqual([budget(options, true).count, budget(options, true).seconds], [10, Infinity]);
  });
});

test('a count or a scale that is not a number is refused with the variable named', () => {
  withEnv({ BENCH_TEST_COUNT: 'lots' }, () =>
    assert.throws(() => budget(options, false), /BENCH_TEST_COUNT must be a whole number/),
  );
  withEnv({ BENCH_TEST_COUNT: undefined, BENCH_TIME_SCALE: '-1' }, () =>
    assert.throws(() => budget(options, false), /BENCH_TIME_SCALE must be a number > 0/),
  );
});

test('a budget with no time left has expired', () => {
  const none = budget({ ...options, fullSeconds: 0 }, false);
  none.begin();
  assert.equal(none.expired(), true);
});
