// The telemetry uploader over the kiosk's real SQLite outbox, against a relay whose answers the test writes
// (test/app/link/scripted-relay.ts; outbox-uploader.test.ts runs it against the real relay): everything
// recorded reaches the relay once, in batches, and leaves the outbox only when the relay said it stored it.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { OutboxUploader, type OutboxPort, type OutboxUploaderOptions } from '../../../app/link/index.ts';
import { openStore, type Store } from '../../../app/store/index.ts';
import { onCleanup } from '../../helpers/cleanup.ts';
import { waitFor } from '../../helpers/agent-harness.ts';
import { tempDir } from '../../helpers/temp-dir.ts';
import { startScriptedRelay, type Answer, type RelayRequest, until } from './scripted-relay.ts';

function kioskOutbox(events: number): Store {
  const store = openStore(path.join(tempDir(), 'kiosk.sqlite'));
  onCleanup(() => store.close());
  for (let i = 1; i <= events; i++) store.outbox.record('board.link', { n: i }, `ev${i}`);
  return store;
}

function uploader(url: string, store: Store, extra: Partial<OutboxUploaderOptions> = {}) {
  const logs: string[] = [];
  const u = new OutboxUploader({
    url,
    kioskId: 'K/1',
    token: 'kiosk-token',
    outbox: store.outbox,
    log: (line) => logs.push(line),
    ...extra,
  });
  onCleanup(() => u.stop());
  return { uploader: u, logs };
}

/**
 * The kiosk's outbox, counting its reads: an upload round reads it first, synchronously in its timer (and
 * again after a taken batch), so the count says which rounds ran.
 */
function countedOutbox(store: Store): { outbox: OutboxPort; reads: () => number } {
  let n = 0;
  return {
    outbox: {
      unsent: (limit) => (n++, store.outbox.unsent(limit)),
      markSent: (ids) => store.outbox.markSent(ids),
    },
    reads: () => n,
  };
}

const unsentIds = (store: Store): string[] => store.outbox.unsent().map((e) => e.id);
const sentIds = (req: RelayRequest): string[] =>
  (JSON.parse(req.body) as { events: Array<{ id: string }> }).events.map((e) => e.id);
/** The relay's answer when it stored every event of the upload. */
const accept = (body: string): Answer => ({
  status: 200,
  body: JSON.stringify({
    accepted: (JSON.parse(body) as { events: Array<{ id: string }> }).events.map((e) => e.id),
  }),
});

test('every recorded event reaches the relay once, in batches, oldest first, and leaves the outbox; a refused upload keeps them', async () => {
  const relay = await startScriptedRelay({
    answer: (n, req) => (n === 0 ? { status: 401, body: '' } : accept(req.body)),
  });
  const store = kioskOutbox(5);
  const { uploader: u } = uploader(relay.url, store, { batchSize: 2 });
  await assert.rejects(u.flush(), /^Error: relay answered HTTP 401 to the outbox upload$/);
  assert.equal(store.outbox.unsentCount(), 5, 'nothing leaves the outbox the relay did not take');

  assert.equal(await u.flush(), 5);
  assert.equal(store.outbox.unsentCount(), 0);
  assert.equal(await u.flush(), 0, 'a second upload sends nothing');
  assert.deepEqual(relay.requests.slice(1).map(sentIds), [['ev1', 'ev2'], ['ev3', 'ev4'], ['ev5']]);
});

test('only the ids the relay says it stored leave the outbox, and an upload stops at a batch the relay kept back', async () => {
  const answers: Answer[] = [
    { status: 200, body: JSON.stringify({ accepted: ['ev1', 42, null] }) },
    { status: 200, body: JSON.stringify({ accepted: 'ev2' }) },
    { status: 200, body: JSON.stringify({}) },
  ];
  const relay = await startScriptedRelay({ answer: (n) => answers[n] ?? { status: 503, body: '' } });
  const store = kioskOutbox(3);
  const { uploader: u } = uploader(relay.url, store, { batchSize: 2 });
  assert.equal(await u.flush(), 1);
  assert.deepEqual(unsentIds(store), ['ev2', 'ev3']);
  assert.equal(relay.requests.length, 1, 'the relay kept one back: the rest waits for the next round');
  const [request] = relay.requests;
  assert.equal(request!.method, 'POST');
  assert.equal(request!.path, '/v1/kiosks/K%2F1/outbox');
  assert.equal(request!.authorization, 'Bearer kiosk-token');
  assert.equal(request!.contentType, 'application/json');
  assert.deepEqual(
    (JSON.parse(request!.body) as { events: Array<{ id: string; type: string; data: unknown }> }).events.map(
      (e) => [e.id, e.type, e.data],
    ),
    [
      ['ev1', 'board.link', { n: 1 }],
      ['ev2', 'board.link', { n: 2 }],
    ],
  );
  assert.equal(await u.flush(), 0, 'an answer without a list of ids takes nothing');
  assert.equal(await u.flush(), 0);
  assert.deepEqual(unsentIds(store), ['ev2', 'ev3']);
});

test('the upload loop retries a refused upload, uploads what is recorded later, and stop() waits for the upload in flight', async () => {
  let release: ((a: Answer) => void) | undefined;
  const accept = (body: string): Answer => ({
    status: 200,
    body: JSON.stringify({
      accepted: (JSON.parse(body) as { events: Array<{ id: string }> }).events.map((e) => e.id),
    }),
  });
  const relay = await startScriptedRelay({
    answer: (n, req) => {
      if (n === 0) return { status: 500, body: '' };
      if (n === 1) return accept(req.body);
      return new Promise<Answer>((resolve) => (release = resolve));
    },
  });
  const store = kioskOutbox(1);
  const { uploader: u, logs } = uploader(relay.url, store, {
    intervalMs: 20,
    backoff: { initialMs: 20, multiplier: 1, maxMs: 20, jitter: 0 },
  });
  u.start();
  u.start(); // a second start changes nothing
  await waitFor(() => store.outbox.unsentCount() === 0, 'the upload after the refused one');
  assert.deepEqual(logs, ['telemetry upload failed: relay answered HTTP 500 to the outbox upload']);

  store.outbox.record('board.link', { n: 2 }, 'ev2');
  await waitFor(() => release !== undefined, 'the next round uploading what was recorded since');
  const stopped = u.stop();
  const held = relay.requests[2]!;
  release!(accept(held.body));
  await stopped;
  assert.equal(store.outbox.unsentCount(), 0, 'stop() returned after the relay’s answer was recorded');
  assert.deepEqual(
    relay.requests.map((r) =>
      (JSON.parse(r.body) as { events: Array<{ id: string }> }).events.map((e) => e.id),
    ),
    [['ev1'], ['ev1'], ['ev2']],
    'one upload at a time: each event sent again only after a refusal',
  );
});

test('the upload loop: a refusal is retried after the backoff, growing while refusals continue and starting over after a success; uploads every 15 s; none after stop()', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const answers = ['refuse', 'refuse', 'accept', 'refuse', 'accept'];
  const relay = await startScriptedRelay({
    answer: (n, req) => (answers[n] === 'accept' ? accept(req.body) : { status: 500, body: '' }),
  });
  const store = kioskOutbox(1);
  const counted = countedOutbox(store);
  const { uploader: u, logs } = uploader(relay.url, store, {
    outbox: counted.outbox,
    backoff: { initialMs: 50, multiplier: 10, maxMs: 60_000, jitter: 0 },
  });
  u.start();
  t.mock.timers.tick(0);
  assert.equal(counted.reads(), 1, 'the first round runs at start');
  await until(() => logs.length === 1, 'the first refusal');
  t.mock.timers.tick(49);
  assert.equal(counted.reads(), 1);
  t.mock.timers.tick(1);
  assert.equal(counted.reads(), 2, 'retried after the first backoff step');
  await until(() => logs.length === 2, 'the second refusal');
  t.mock.timers.tick(499);
  assert.equal(counted.reads(), 2, 'a second refusal in a row waits longer');
  t.mock.timers.tick(1);
  assert.equal(counted.reads(), 3);
  await until(() => store.outbox.unsentCount() === 0, 'the upload');
  assert.equal(counted.reads(), 4, 'a taken batch is followed by a look for more');

  store.outbox.record('board.link', { n: 2 }, 'ev2');
  t.mock.timers.tick(14_999);
  assert.equal(counted.reads(), 4);
  t.mock.timers.tick(1);
  assert.equal(counted.reads(), 5, 'the next round 15 s after a success');
  await until(() => logs.length === 3, 'the third refusal');
  t.mock.timers.tick(49);
  assert.equal(counted.reads(), 5);
  t.mock.timers.tick(1);
  assert.equal(counted.reads(), 6, 'after a success, the backoff starts over');
  await until(() => store.outbox.unsentCount() === 0, 'the second upload');

  await u.stop();
  store.outbox.record('board.link', { n: 3 }, 'ev3');
  t.mock.timers.tick(100_000);
  assert.equal(counted.reads(), 7, 'no round after stop()');
  assert.deepEqual(relay.requests.map(sentIds), [['ev1'], ['ev1'], ['ev1'], ['ev2'], ['ev2']]);
});

test('without a log, a refused upload round is retried all the same', async () => {
  const relay = await startScriptedRelay({
    answer: (n, req) => (n === 0 ? { status: 500, body: '' } : accept(req.body)),
  });
  const store = kioskOutbox(1);
  const { uploader: u } = uploader(relay.url, store, {
    log: undefined,
    backoff: { initialMs: 20, multiplier: 1, maxMs: 20, jitter: 0 },
  });
  u.start();
  await waitFor(() => store.outbox.unsentCount() === 0, 'the upload after the refused one');
  assert.equal(relay.requests.length, 2);
});

test('a stop() during an upload ends the loop: once the relay answers, no round follows, whatever is recorded after', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  let release: ((a: Answer) => void) | undefined;
  const relay = await startScriptedRelay({
    answer: () => new Promise<Answer>((resolve) => (release = resolve)),
  });
  const store = kioskOutbox(1);
  const counted = countedOutbox(store);
  const { uploader: u } = uploader(relay.url, store, {
    intervalMs: 1_000,
    outbox: counted.outbox,
  });
  u.start();
  t.mock.timers.tick(0);
  await until(() => release !== undefined, 'the upload in flight');
  const stopped = u.stop();
  release!(accept(relay.requests[0]!.body));
  await stopped;
  assert.equal(store.outbox.unsentCount(), 0, 'the answer that came after stop() is recorded');
  const readsAtStop = counted.reads();

  store.outbox.record('board.link', { n: 2 }, 'ev2');
  t.mock.timers.tick(100_000);
  assert.equal(counted.reads(), readsAtStop, 'no round after stop()');
  assert.deepEqual(unsentIds(store), ['ev2']);
  assert.equal(relay.requests.length, 1);
});
