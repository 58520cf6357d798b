import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MaintenanceSessions } from '../../../app/maintenance/index.ts';

const policy = { idleTimeoutMs: 1000, maxFailures: 3, lockoutMs: 5000 };

test('the right PIN opens a session whose token works while used, and ends after idling', () => {
  let now = 0;
  const s = new MaintenanceSessions(
    (pin) => pin === '2468',
    () => now,
    policy,
  );
  const opened = s.unlock('2468');
  assert.ok(opened.ok);
  now = 900;
  assert.equal(s.touch(opened.token), true);
  now = 1800;
  assert.equal(s.touch(opened.token), true, 'using the session keeps it alive');
  assert.equal(s.touch('f'.repeat(64)), false);
  now = 2900;
  assert.equal(s.touch(opened.token), false, 'idle longer than the timeout');
});

test('a new unlock ends the previous session; lock ends it too', () => {
  const s = new MaintenanceSessions(
    (pin) => pin === '2468',
    () => 0,
    policy,
  );
  const a = s.unlock('2468');
  const b = s.unlock('2468');
  assert.ok(a.ok && b.ok);
  assert.equal(s.touch(a.token), false);
  assert.equal(s.touch(b.token), true);
  s.lock();
  assert.equal(s.touch(b.token), false);
});

test('repeated wrong PINs lock the pad out, even for the right PIN, until the lockout ends', () => {
  let now = 0;
  const s = new MaintenanceSessions(
    (pin) => pin === '2468',
    () => now,
    policy,
  );
  assert.deepEqual(s.unlock('0000'), { ok: false, reason: 'wrong_pin' });
  assert.deepEqual(s.unlock('1111'), { ok: false, reason: 'wrong_pin' });
  assert.deepEqual(s.unlock('2222'), { ok: false, reason: 'locked_out', retryAt: 5000 });
  assert.equal(s.unlock('2468').ok, false, 'the right PIN does not help during the lockout');
  now = 5000;
  assert.equal(s.unlock('2468').ok, true);
});
