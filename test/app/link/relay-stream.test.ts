// The kiosk's relay link against a relay that says exactly what the test writes (test/app/link/scripted-relay.ts),
// with the kiosk's real SQLite cursor: what the kiosk sends, what it applies, what it refuses, and that no
// payment is skipped or applied twice whatever the relay sends.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { RelayClient, type RelayClientOptions, type RelayEvent } from '../../../app/link/index.ts';
import { openStore, type Store } from '../../../app/store/index.ts';
import { onCleanup } from '../../helpers/cleanup.ts';
import { waitFor } from '../../helpers/agent-harness.ts';
import { tempDir } from '../../helpers/temp-dir.ts';
import { startScriptedRelay, type StreamConnection } from './scripted-relay.ts';

const KIOSK = 'K 1/é';

function kioskStore(epoch: string, seq: number): Store {
  const store = openStore(path.join(tempDir(), 'kiosk.sqlite'));
  onCleanup(() => store.close());
  store.relayCursor.resync(epoch, seq);
  return store;
}

function kiosk(
  url: string,
  store: Store,
  handle: RelayClientOptions['handle'],
  extra: Partial<RelayClientOptions> = {},
) {
  const logs: string[] = [];
  const client = new RelayClient({
    url,
    kioskId: KIOSK,
    token: 'kiosk-token',
    cursor: store.relayCursor,
    handle,
    log: (line) => logs.push(line),
    backoff: { initialMs: 20, multiplier: 1.5, maxMs: 100, jitter: 0 },
    longPollWaitSeconds: 0,
    ...extra,
  });
  onCleanup(() => client.stop());
  client.start();
  return { client, logs };
}

const event = (seq: number, extra: Record<string, unknown> = {}) => ({
  type: 'event',
  seq,
  kind: 'alipay.notify',
  body: `out_trade_no=K1_${seq}`,
  receivedAt: '2026-11-29T00:00:00.000Z',
  ...extra,
});

const acks = (c: StreamConnection): unknown[] =>
  c.frames.filter((f) => f['type'] === 'ack').map((f) => f['seq']);

test('the kiosk says hello with its cursor and epoch on its own stream; each payment is applied once, then acked, even when the relay repeats it', async () => {
  const relay = await startScriptedRelay();
  const store = kioskStore('E1', 4);
  const applied: RelayEvent[] = [];
  const { client } = kiosk(relay.url, store, async (e) => void applied.push(e));
  const conn = await relay.connection(1);
  assert.equal(conn.path, '/v1/kiosks/K%201%2F%C3%A9/stream');
  assert.equal(conn.authorization, 'Bearer kiosk-token');
  assert.deepEqual(conn.frames[0], { type: 'hello', lastSeq: 4, epoch: 'E1' });
  assert.equal(client.state, 'up');
  assert.equal(client.delivering, true);

  relay.send(conn, { type: 'welcome', epoch: 'E1', lastSeq: 4 });
  relay.send(conn, event(5));
  relay.send(conn, event(5)); // the relay replays what the kiosk already took
  relay.send(conn, event(3)); // and something from before the cursor
  relay.send(conn, event(6, { receivedAt: undefined }));
  await waitFor(() => acks(conn).length === 4, 'four acks');
  assert.deepEqual(acks(conn), [5, 5, 3, 6], 'every event is acked, in order');
  assert.deepEqual(
    applied.map((e) => [e.seq, e.kind, e.body, e.receivedAt]),
    [
      [5, 'alipay.notify', 'out_trade_no=K1_5', '2026-11-29T00:00:00.000Z'],
      [6, 'alipay.notify', 'out_trade_no=K1_6', ''],
    ],
    'each payment applied once, exactly as the relay carried it',
  );
  assert.equal(store.relayCursor.get(), 6);
  assert.equal(store.relayCursor.epoch(), 'E1');
  assert.equal(relay.connections.length, 1, 'a welcome that matches the cursor changes nothing');
});

test('frames that are not events or welcomes are ignored and logged: the cursor and its epoch do not move, the link stays up', async () => {
  const relay = await startScriptedRelay();
  const store = kioskStore('E1', 4);
  const applied: number[] = [];
  const { logs } = kiosk(relay.url, store, async (e) => void applied.push(e.seq));
  const conn = await relay.connection(1);
  const junk: unknown[] = [
    'not json',
    'null',
    '42',
    '"event"',
    '[]',
    { type: 'ack', seq: 9 },
    { seq: 9, kind: 'alipay.notify', body: 'x' },
    event(0),
    event(-1),
    event(5.5),
    event(Number.MAX_SAFE_INTEGER + 1),
    event(5, { seq: '5' }),
    event(5, { kind: 7 }),
    event(5, { kind: undefined }),
    event(5, { body: { out_trade_no: 'K1_5' } }),
    { type: 'welcome', epoch: '', lastSeq: 0 },
    { type: 'welcome', epoch: 'e'.repeat(65), lastSeq: 0 },
    { type: 'welcome', epoch: 7, lastSeq: 0 },
    { type: 'welcome', lastSeq: 0 },
    { type: 'welcome', epoch: 'E2', lastSeq: -1 },
    { type: 'welcome', epoch: 'E2', lastSeq: 0.5 },
    { type: 'welcome', epoch: 'E2', lastSeq: '0' },
  ];
  for (const frame of junk) relay.send(conn, frame);
  relay.send(conn, event(5));
  await waitFor(() => acks(conn).length === 1, 'the valid event acked');
  assert.deepEqual(applied, [5], 'only the valid event is applied');
  assert.equal(
    logs.filter((l) => l === 'relay sent a frame that is not an event; ignored').length,
    junk.length,
  );
  assert.equal(store.relayCursor.epoch(), 'E1');
  assert.equal(store.relayCursor.get(), 5);
  assert.equal(relay.connections.length, 1);

  // The limits themselves are valid: a 64-character epoch, a resume point of 0, an event of seq 1.
  relay.send(conn, { type: 'welcome', epoch: 'e'.repeat(64), lastSeq: 0 });
  relay.send(conn, event(1));
  await waitFor(() => acks(conn).length === 2, 'the event after the resync acked');
  assert.deepEqual(applied, [5, 1], 'after the relay resumed from 0, its event 1 is a new payment');
  assert.equal(store.relayCursor.epoch(), 'e'.repeat(64));
  assert.equal(store.relayCursor.get(), 1);
});

test('a relay that resumes behind the cursor (a restored backup) moves the cursor back, so its new payments are not skipped', async () => {
  const relay = await startScriptedRelay();
  const store = kioskStore('E1', 30);
  const applied: number[] = [];
  const { logs } = kiosk(relay.url, store, async (e) => void applied.push(e.seq));
  const conn = await relay.connection(1);
  relay.send(conn, { type: 'welcome', epoch: 'E2', lastSeq: 10 });
  for (let seq = 11; seq <= 13; seq++) relay.send(conn, event(seq));
  await waitFor(() => acks(conn).length === 3, 'three acks');
  assert.deepEqual(applied, [11, 12, 13]);
  assert.equal(store.relayCursor.get(), 13);
  assert.equal(store.relayCursor.epoch(), 'E2');
  assert.ok(logs.includes('relay log is behind this kiosk (30 → 10): resynchronising'), logs.join('\n'));
});

test('a new epoch at the same point (the relay restarted) is taken without a warning; a new point in the same epoch moves the cursor', async () => {
  const relay = await startScriptedRelay();
  const store = kioskStore('E1', 7);
  const applied: number[] = [];
  const { logs } = kiosk(relay.url, store, async (e) => void applied.push(e.seq));
  const conn = await relay.connection(1);
  relay.send(conn, { type: 'welcome', epoch: 'E2', lastSeq: 7 });
  relay.send(conn, event(8));
  await waitFor(() => acks(conn).length === 1, 'the event acked');
  assert.equal(store.relayCursor.epoch(), 'E2', 'the kiosk counts in the relay’s new epoch');
  assert.deepEqual(logs, [], 'a routine restart is not reported as a lost log');

  relay.send(conn, { type: 'welcome', epoch: 'E2', lastSeq: 2 });
  relay.send(conn, event(3));
  await waitFor(() => acks(conn).length === 2, 'the second event acked');
  assert.deepEqual(applied, [8, 3]);
  assert.equal(store.relayCursor.get(), 3);
});

test('a payment whose handling fails is not acked and not overtaken: the next connection resumes before it', async () => {
  const relay = await startScriptedRelay();
  const store = kioskStore('E1', 0);
  const attempts: number[] = [];
  let failNext = true;
  const { logs } = kiosk(relay.url, store, async (e) => {
    attempts.push(e.seq);
    if (failNext) {
      failNext = false;
      throw new Error('disk full');
    }
  });
  const first = await relay.connection(1);
  relay.send(first, event(1));
  relay.send(first, event(2));
  const second = await relay.connection(2);
  assert.deepEqual(
    second.frames[0],
    { type: 'hello', lastSeq: 0, epoch: 'E1' },
    'the failed payment is asked for again',
  );
  assert.deepEqual(acks(first), [], 'nothing acked on the connection where it failed');
  assert.deepEqual(attempts, [1], 'the payment after the failed one was not taken out of order');
  assert.ok(logs.includes('relay event 1 not handled: disk full'), logs.join('\n'));
  relay.send(second, event(1));
  relay.send(second, event(2));
  await waitFor(() => acks(second).length === 2, 'both acked');
  assert.deepEqual(attempts, [1, 1, 2]);
  assert.equal(store.relayCursor.get(), 2);
});

test('a relay that falls silent is dropped and dialled again; stop() ends the link and waits for the payment in hand', async () => {
  const relay = await startScriptedRelay();
  const store = kioskStore('E1', 0);
  let release: (() => void) | undefined;
  const applied: number[] = [];
  const { client } = kiosk(
    relay.url,
    store,
    async (e) => {
      if (e.seq === 2) await new Promise<void>((r) => (release = r));
      applied.push(e.seq);
    },
    { silenceTimeoutMs: 200 },
  );
  const first = await relay.connection(1);
  relay.send(first, event(1));
  await relay.connection(2);
  assert.equal(first.closed, true, 'the silent connection was cut');
  assert.deepEqual(applied, [1]);

  const second = relay.connections[1]!;
  relay.send(second, event(2));
  await waitFor(() => release !== undefined, 'the payment in hand');
  const stopped = client.stop();
  release!();
  await stopped;
  assert.deepEqual(applied, [1, 2], 'stop() returned only after the payment in hand was committed');
  assert.equal(store.relayCursor.get(), 2);
  assert.equal(client.state, 'down');
});
