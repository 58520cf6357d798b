import assert from 'node:assert/strict';
import { test } from 'node:test';
import { beijingDay, dayToReconcile, dayWindow } from '../../../backend-bridge/reconcile/index.ts';

test('bill days are Beijing days, whatever the relay clock zone', () => {
  assert.equal(beijingDay(new Date('2026-11-29T15:59:59Z')), '2026-11-29');
  assert.equal(beijingDay(new Date('2026-11-29T16:00:00Z')), '2026-11-30');
  assert.deepEqual(dayWindow('2026-11-30'), {
    startIso: '2026-11-29T16:00:00.000Z',
    endIso: '2026-11-30T16:00:00.000Z',
  });
  // 01:00 in Beijing on the 30th: the day to check is the 29th, whose bill Alipay builds that morning.
  assert.equal(dayToReconcile(new Date('2026-11-29T17:00:00Z')), '2026-11-29');
  assert.throws(() => dayWindow('2026-02-30'), /not a day/);
  assert.throws(() => dayWindow('yesterday'), /not a day/);
});
