// The daily run's timing: Beijing wall-clock time whatever the relay's zone, yesterday then the day before,
// a missing bill tried again a few times. Time is an injected clock and timers the test fires itself.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isDailyTime, msUntilNext, startDailySchedule } from '../../../backend-bridge/reconcile/schedule.ts';

test('msUntilNext counts to the next HH:MM in Beijing (UTC+8)', () => {
  // 01:00 UTC is 09:00 in Beijing: 10:00 is an hour away.
  assert.equal(msUntilNext(new Date('2026-11-29T01:00:00Z'), '10:00'), 3_600_000);
  // 02:00 UTC is 10:00 Beijing: exactly now means tomorrow.
  assert.equal(msUntilNext(new Date('2026-11-29T02:00:00Z'), '10:00'), 86_400_000);
  // 23:30 UTC on the 28th is 07:30 on the 29th in Beijing.
  assert.equal(msUntilNext(new Date('2026-11-28T23:30:00Z'), '10:00'), 2.5 * 3_600_000);
  assert.equal(msUntilNext(new Date('2026-11-29T15:59:00Z'), '00:00'), 60_000);
});

test('isDailyTime accepts 24-hour HH:MM only', () => {
  for (const ok of ['00:00', '09:30', '23:59']) assert.ok(isDailyTime(ok), ok);
  for (const bad of ['24:00', '9:30', '10:60', '10:00:00', '', ' 10:00', '10h00'])
    assert.ok(!isDailyTime(bad), bad);
  assert.throws(() => msUntilNext(new Date(), '25:00'), /HH:MM/);
});

type Timer = { fn: () => void; ms: number; cleared: boolean };

function harness(ready: (day: string, attempt: number) => boolean) {
  let now = new Date('2026-11-29T01:00:00Z'); // 09:00 Beijing
  const timers: Timer[] = [];
  const runs: string[] = [];
  const attempts = new Map<string, number>();
  const schedule = startDailySchedule({
    at: '10:00',
    now: () => now,
    retries: 2,
    retryMs: 1_800_000,
    runDay: (day) => {
      runs.push(day);
      const n = (attempts.get(day) ?? 0) + 1;
      attempts.set(day, n);
      return Promise.resolve(ready(day, n));
    },
    onError: (err) => assert.fail(String(err)),
    setTimer: (fn, ms) => {
      const timer: Timer = { fn, ms, cleared: false };
      timers.push(timer);
      return {};
    },
    clearTimer: () => {
      const last = timers.at(-1);
      if (last) last.cleared = true;
    },
  });
  return {
    timers,
    runs,
    schedule,
    /** Moves the clock to the newest timer's moment and fires it; resolves when the armed work re-armed. */
    async fire(): Promise<void> {
      const timer = timers.at(-1);
      assert.ok(timer && !timer.cleared);
      const count = timers.length;
      now = new Date(now.getTime() + timer.ms);
      timer.fn();
      // The work is a promise chain: wait until it armed its next timer.
      while (timers.length === count) await new Promise<void>((resolve) => setImmediate(resolve));
    },
  };
}

test('at 10:00 Beijing it reconciles yesterday, then the day before again', async () => {
  const h = harness(() => true);
  assert.equal(h.timers[0]?.ms, 3_600_000);
  await h.fire();
  assert.deepEqual(h.runs, ['2026-11-28', '2026-11-27']);
  assert.equal(h.timers.at(-1)?.ms, 86_400_000, 'the next run is a day later');
  await h.fire();
  assert.deepEqual(h.runs.slice(2), ['2026-11-29', '2026-11-28']);
  h.schedule.stop();
  assert.ok(h.timers.at(-1)?.cleared);
});

test('a bill not there yet is asked for again every half hour, then left for the next day', async () => {
  const h = harness(() => false);
  await h.fire();
  assert.equal(h.timers.at(-1)?.ms, 1_800_000);
  await h.fire();
  assert.equal(h.timers.at(-1)?.ms, 1_800_000);
  await h.fire();
  assert.deepEqual(h.runs, ['2026-11-28', '2026-11-28', '2026-11-28']);
  // Retries spent at 11:00 Beijing: the next timer is tomorrow's 10:00.
  assert.equal(h.timers.at(-1)?.ms, 23 * 3_600_000);
  h.schedule.stop();
});
