import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { alipayTimestamp, parseAlipayTimestamp } from '../../../app/alipay/index.ts';
import { repoRoot } from './vectors.ts';

test('formats a fixed instant in Asia/Shanghai', () => {
  assert.equal(alipayTimestamp(new Date('2024-01-01T04:00:00Z')), '2024-01-01 12:00:00');
  assert.equal(alipayTimestamp(new Date('2023-12-31T16:00:00Z')), '2024-01-01 00:00:00');
  assert.equal(alipayTimestamp(new Date('2024-02-29T15:59:59Z')), '2024-02-29 23:59:59');
  assert.equal(alipayTimestamp(new Date('2024-07-01T12:34:56.999Z')), '2024-07-01 20:34:56');
});

test('parseAlipayTimestamp inverts it and rejects malformed text', () => {
  const d = new Date('2024-07-01T12:34:56Z');
  assert.equal(parseAlipayTimestamp(alipayTimestamp(d))?.getTime(), d.getTime());
  assert.equal(parseAlipayTimestamp('2024-07-01T12:34:56'), null);
  assert.equal(parseAlipayTimestamp('2024-13-01 12:00:00'), null);
});

test('the host time zone does not change the result (child processes with TZ set)', () => {
  const script =
    "import('./app/alipay/timestamp.ts').then((m) => process.stdout.write(m.alipayTimestamp(new Date('2024-01-01T04:00:00Z')) + '|' + new Date('2024-01-01T04:00:00Z').getHours()))";
  for (const tz of ['UTC', 'America/New_York']) {
    const out = execFileSync(process.execPath, ['--import', 'tsx', '-e', script], {
      cwd: repoRoot,
      env: { ...process.env, TZ: tz },
      encoding: 'utf8',
    });
    const [stamp, localHour] = out.split('|');
    assert.equal(stamp, '2024-01-01 12:00:00', tz);
    assert.notEqual(localHour, '12', `${tz}: the child really ran in another zone`);
  }
});
