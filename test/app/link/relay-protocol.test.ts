// The relay's frames as the kiosk reads them: a frame that is not exactly an event or a welcome is dropped
// (null), never thrown on and never half-read — the relay is trusted to deliver, not to be right.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  parseRelayEvent,
  parseRelayFrame,
  parseRelayWelcome,
  type RelayEvent,
  type RelayWelcome,
} from '../../../app/link/index.ts';
import { pick, randomInt, seededRandom } from '../../helpers/seeded-random.ts';

const event = {
  type: 'event',
  seq: 7,
  kind: 'alipay.notify',
  body: 'a=1&b=2',
  receivedAt: '2026-11-30T00:00:00Z',
};
const frame = (value: unknown): string => JSON.stringify(value);

test('an event frame is read with its seq, kind, body and time; a missing or odd time reads as empty', () => {
  assert.deepEqual(parseRelayFrame(frame(event)), {
    seq: 7,
    kind: 'alipay.notify',
    body: 'a=1&b=2',
    receivedAt: '2026-11-30T00:00:00Z',
  });
  assert.equal(
    (parseRelayFrame(frame({ ...event, receivedAt: undefined })) as RelayEvent | null)?.receivedAt,
    '',
  );
  assert.deepEqual(parseRelayEvent({ seq: 1, kind: 'k', body: '', receivedAt: 5 }), {
    seq: 1,
    kind: 'k',
    body: '',
    receivedAt: '',
  });
});

test('an event whose seq is not a whole number from 1 is dropped: the cursor must never move by a bad one', () => {
  for (const seq of [0, -1, 1.5, '7', null, Number.MAX_SAFE_INTEGER + 1, Infinity]) {
    assert.equal(parseRelayFrame(frame({ ...event, seq })), null, `seq ${String(seq)}`);
  }
  assert.equal(parseRelayEvent({ ...event, seq: 1 })?.seq, 1, 'the first seq is 1');
  assert.equal(parseRelayEvent({ ...event, seq: Number.MAX_SAFE_INTEGER })?.seq, Number.MAX_SAFE_INTEGER);
});

test('an event without a string kind or body is dropped', () => {
  assert.equal(parseRelayFrame(frame({ ...event, kind: 1 })), null);
  assert.equal(parseRelayFrame(frame({ ...event, kind: undefined })), null);
  assert.equal(parseRelayFrame(frame({ ...event, body: { a: 1 } })), null);
  assert.equal(parseRelayFrame(frame({ ...event, body: undefined })), null);
});

test('a welcome names the log epoch (1–64 characters) and the seq delivery resumes after (from 0)', () => {
  const welcome = { type: 'welcome', epoch: 'e1', lastSeq: 0 };
  assert.deepEqual(parseRelayFrame(frame(welcome)), { type: 'welcome', epoch: 'e1', lastSeq: 0 });
  assert.equal(
    (parseRelayFrame(frame({ ...welcome, epoch: 'x'.repeat(64) })) as RelayWelcome | null)?.epoch,
    'x'.repeat(64),
  );
  for (const epoch of ['', 'x'.repeat(65), 7, null]) {
    assert.equal(parseRelayFrame(frame({ ...welcome, epoch })), null, `epoch ${JSON.stringify(epoch)}`);
  }
  for (const lastSeq of [-1, 0.5, '3', null, undefined]) {
    assert.equal(parseRelayFrame(frame({ ...welcome, lastSeq })), null, `lastSeq ${String(lastSeq)}`);
  }
  // The long-poll answer carries the same pair as {epoch, after}.
  assert.deepEqual(parseRelayWelcome({ epoch: 'e2', after: 12 }, 'after'), {
    type: 'welcome',
    epoch: 'e2',
    lastSeq: 12,
  });
  assert.equal(parseRelayWelcome({ epoch: 'e2', lastSeq: 12 }, 'after'), null, 'the field asked for, only');
  assert.equal(parseRelayWelcome(null), null);
  assert.equal(parseRelayWelcome('welcome'), null);
});

test('anything else is dropped: not JSON, not an object, another type', () => {
  for (const text of [
    '',
    'not json',
    '{',
    'null',
    '7',
    '"event"',
    'true',
    '[]',
    frame({ type: 'ack', seq: 1 }),
  ]) {
    assert.equal(parseRelayFrame(text), null, text);
  }
  assert.equal(parseRelayFrame(frame({ ...event, type: 'Event' })), null);
  assert.equal(parseRelayEvent(null), null);
  assert.equal(parseRelayEvent('event'), null);
});

test('fuzz: 20,000 mangled frames (seed 20261130) are each read as null or as a well-formed event or welcome', () => {
  const r = seededRandom(20261130);
  const values: unknown[] = [
    0,
    -1,
    1,
    2.5,
    1e300,
    '',
    'x',
    'x'.repeat(70),
    null,
    true,
    [],
    {},
    [1],
    { a: 1 },
  ];
  const keys = ['type', 'seq', 'kind', 'body', 'receivedAt', 'epoch', 'lastSeq', '__proto__', 'constructor'];
  const base = [event, { type: 'welcome', epoch: 'e', lastSeq: 3 }];
  for (let i = 0; i < 20_000; i++) {
    const value: Record<string, unknown> = { ...pick(r, base) };
    for (let k = randomInt(r, 3); k >= 0; k--) value[pick(r, keys)] = pick(r, values);
    let text = JSON.stringify(value);
    if (r() < 0.3) {
      const at = randomInt(r, text.length + 1);
      text = text.slice(0, at) + String.fromCharCode(randomInt(r, 128)) + text.slice(at + randomInt(r, 3));
    }
    const read = parseRelayFrame(text);
    if (read === null) continue;
    if ('type' in read) {
      assert.ok(typeof read.epoch === 'string' && read.epoch.length >= 1 && read.epoch.length <= 64, text);
      assert.ok(Number.isSafeInteger(read.lastSeq) && read.lastSeq >= 0, text);
    } else {
      assert.ok(Number.isSafeInteger(read.seq) && read.seq >= 1, text);
      assert.ok(typeof read.kind === 'string' && typeof read.body === 'string', text);
      assert.equal(typeof read.receivedAt, 'string', text);
    }
  }
});
