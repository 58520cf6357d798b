// The kiosk's relay link against a relay that says exactly what the test writes (test/app/link/scripted-relay.ts),
// with the kiosk's real SQLite cursor: what the kiosk sends, what it applies, what it refuses, and that no
// payment is skipped or applied twice whatever the relay sends.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { RelayClient, type RelayClientOptions, type RelayEvent } from '../../../app/link/index.ts';
import { openStore, type Store } from '../../../app/store/index.ts';
import { onCleanup } from '../../helpers/cleanup.ts';
import { waitFor } from '../../helpers/agent-harness.ts';
import { tempDir } from '../../helpers/temp-dir.ts';
import { startScriptedRelay, type StreamConnection, until } from './scripted-relay.ts';

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
  client.start(); // a second start changes nothing: one stream
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
  assert.equal(relay.requests.length, 0, 'with its wait set to 0, the long-poll fallback never runs');
});

test('a cursor the disk cannot store ends the stream: the payment after it is not taken, the next connection resumes before it', async () => {
  const relay = await startScriptedRelay();
  const store = kioskStore('E1', 0);
  let failures = 1;
  const cursor = {
    get: () => store.relayCursor.get(),
    epoch: () => store.relayCursor.epoch(),
    resync: (epoch: string, seq: number) => store.relayCursor.resync(epoch, seq),
    advance: (seq: number) => {
      if (failures-- > 0) throw Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
      store.relayCursor.advance(seq);
    },
  };
  const applied: number[] = [];
  const { logs } = kiosk(relay.url, store, async (e) => void applied.push(e.seq), { cursor });
  const first = await relay.connection(1);
  relay.send(first, event(1));
  relay.send(first, event(2));
  const second = await relay.connection(2);
  assert.deepEqual(second.frames[0], { type: 'hello', lastSeq: 0, epoch: 'E1' });
  assert.deepEqual(applied, [1], 'nothing taken after the payment whose cursor was not stored');
  assert.deepEqual(acks(first), []);
  assert.ok(logs.includes('relay frame not stored: database or disk is full; reconnecting'), logs.join('\n'));
  relay.send(second, event(1));
  relay.send(second, event(2));
  await waitFor(() => acks(second).length === 2, 'both acked');
  assert.deepEqual(applied, [1, 1, 2], 'applied again (the sale’s records make that a no-op), in order');
  assert.equal(store.relayCursor.get(), 2);
});

test('a relay that cannot be reached is logged and dialled again; after a good connection the backoff starts over', async () => {
  const closed = await startScriptedRelay();
  const port = new URL(closed.url).port;
  const lines: string[] = [];
  const unreachable = new RelayClient({
    url: `http://127.0.0.1:${port}`,
    kioskId: 'K1',
    token: 't',
    cursor: kioskStore('E1', 0).relayCursor,
    handle: async () => {},
    log: (line) => lines.push(line),
    backoff: { initialMs: 20, multiplier: 1.5, maxMs: 100, jitter: 0 },
    longPollWaitSeconds: 0,
  });
  await closed.close();
  unreachable.start();
  await waitFor(() => lines.length >= 2, 'two failed attempts');
  await unreachable.stop();
  assert.match(lines[0] ?? '', /^relay stream error: connect ECONNREFUSED 127\.0\.0\.1:\d+$/);

  // A backoff that grows a thousandfold: a second failure in a row would wait 20 s.
  const relay = await startScriptedRelay({ refuseFirstUpgrades: 1 });
  const store = kioskStore('E1', 0);
  const { logs } = kiosk(relay.url, store, async () => {}, {
    backoff: { initialMs: 20, multiplier: 1000, maxMs: 60_000, jitter: 0 },
  });
  const first = await relay.connection(1);
  assert.ok(logs.includes('relay refused the stream: HTTP 403'), logs.join('\n'));
  first.socket.terminate();
  await relay.connection(2);
});

test('stop() closes the stream and returns only after the payment in hand is committed', async () => {
  const relay = await startScriptedRelay();
  const store = kioskStore('E1', 0);
  let release: (() => void) | undefined;
  const applied: number[] = [];
  const { client } = kiosk(relay.url, store, async (e) => {
    await new Promise<void>((r) => (release = r));
    applied.push(e.seq);
  });
  const conn = await relay.connection(1);
  relay.send(conn, event(1));
  await waitFor(() => release !== undefined, 'the payment in hand');
  const stopped = client.stop();
  release!();
  await stopped;
  assert.deepEqual(applied, [1], 'stop() returned only after the payment in hand was committed');
  assert.equal(store.relayCursor.get(), 1);
  assert.equal(client.state, 'down');
  await waitFor(() => conn.closed, 'the relay to see the stream closed');
});

test('a relay silent for the silence timeout is dropped and dialled again; each frame and ping from it keeps the stream', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const relay = await startScriptedRelay();
  const store = kioskStore('E1', 0);
  const client = new RelayClient({
    url: relay.url,
    kioskId: 'K1',
    token: 't',
    cursor: store.relayCursor,
    handle: async () => {},
    backoff: { initialMs: 20, multiplier: 1, maxMs: 20, jitter: 0 },
    longPollWaitSeconds: 0,
    silenceTimeoutMs: 200,
  }); // no log: a frame it would log must not trip it
  const states: string[] = [];
  const firstOnly: string[] = [];
  client.onState((s) => states.push(s));
  const unsubscribe = client.onState((s) => {
    firstOnly.push(s);
    unsubscribe();
  });
  client.start();
  onCleanup(() => client.stop());
  const roundTrip = async (conn: StreamConnection, seq: number): Promise<void> => {
    relay.send(conn, event(seq));
    await until(() => acks(conn).includes(seq), `ack ${seq}`);
  };

  await until(() => relay.connections[0]?.frames.length === 1, 'hello');
  const first = relay.connections[0]!;
  t.mock.timers.tick(150);
  await roundTrip(first, 1);
  t.mock.timers.tick(150);
  await roundTrip(first, 2); // 300 ms after the hello, 150 after the last frame: still up
  t.mock.timers.tick(150);
  first.socket.ping();
  await until(() => first.pongs === 1, 'the pong');
  t.mock.timers.tick(150);
  relay.send(first, 'not json');
  await roundTrip(first, 3); // 150 ms after the ping
  assert.equal(relay.connections.length, 1);

  t.mock.timers.tick(200);
  await until(() => first.closed, 'the silent stream dropped');
  t.mock.timers.tick(20);
  await until(() => relay.connections[1]?.frames.length === 1, 'the stream dialled again');
  t.mock.timers.tick(200); // a relay that never says anything after the hello
  await until(() => relay.connections[1]!.closed, 'the second silent stream dropped');
  await client.stop();
  assert.deepEqual(states, ['up', 'down', 'up', 'down']);
  assert.deepEqual(firstOnly, ['up'], 'a listener that unsubscribed hears nothing more');
});

test('a relay named by an https address is reached over TLS (wss)', async () => {
  const dir = tempDir();
  const [keyFile, certFile] = [path.join(dir, 'key.pem'), path.join(dir, 'cert.pem')];
  // A throwaway certificate for 127.0.0.1, made for this test and trusted by this process while it runs.
  execFileSync(
    'openssl',
    [
      ...[
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '1',
      ],
      ...['-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'],
      ...['-keyout', keyFile, '-out', certFile],
    ],
    { stdio: 'ignore' },
  );
  const relay = await startScriptedRelay({
    tls: { key: fs.readFileSync(keyFile, 'utf8'), cert: fs.readFileSync(certFile, 'utf8') },
  });
  const trusted = process.env['NODE_TLS_REJECT_UNAUTHORIZED'];
  process.env['NODE_TLS_REJECT_UNAUTHORIZED'] = '0';
  try {
    const store = kioskStore('E1', 0);
    const applied: number[] = [];
    const { client } = kiosk(relay.url, store, async (e) => void applied.push(e.seq));
    const conn = await relay.connection(1);
    assert.equal(client.state, 'up');
    relay.send(conn, event(1));
    await waitFor(() => acks(conn).length === 1, 'the payment acked over wss');
    assert.deepEqual(applied, [1]);
  } finally {
    if (trusted === undefined) delete process.env['NODE_TLS_REJECT_UNAUTHORIZED'];
    else process.env['NODE_TLS_REJECT_UNAUTHORIZED'] = trusted;
  }
});

test('refusals of the stream in a row wait longer each time', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const relay = await startScriptedRelay({ refuseWebsocket: true });
  let dials = 0; // each dial reads the token once
  let waits = 0; // each reconnect reads its backoff policy once
  const client = new RelayClient({
    url: relay.url,
    kioskId: 'K1',
    get token() {
      dials++;
      return 't';
    },
    cursor: kioskStore('E1', 0).relayCursor,
    handle: async () => {},
    get backoff() {
      waits++;
      return { initialMs: 50, multiplier: 10, maxMs: 60_000, jitter: 0 };
    },
    longPollWaitSeconds: 0,
  });
  onCleanup(() => client.stop());
  client.start();
  await until(() => waits === 1, 'the first refusal');
  t.mock.timers.tick(49);
  assert.equal(dials, 1);
  t.mock.timers.tick(1);
  assert.equal(dials, 2, 'dialled again after the first backoff step');
  await until(() => waits === 2, 'the second refusal');
  t.mock.timers.tick(499);
  assert.equal(dials, 2, 'a second refusal in a row waits ten times longer');
  t.mock.timers.tick(1);
  assert.equal(dials, 3);
});

test('a link not started yet is down and delivers nothing; stopping it says nothing to its listeners', async () => {
  const client = new RelayClient({
    url: 'http://127.0.0.1:9',
    kioskId: 'K1',
    token: 't',
    cursor: kioskStore('E1', 0).relayCursor,
    handle: async () => {},
  });
  const states: string[] = [];
  client.onState((s) => states.push(s));
  assert.equal(client.state, 'down');
  assert.equal(client.delivering, false);
  await client.stop();
  assert.deepEqual(states, []);
});

test('after stop() nothing dials the relay again: not the reconnect that was waiting, not the stream stop() closed', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const link = (url: string) => {
    const counts = { dials: 0, waits: 0 }; // each dial and each poll reads the token once; each wait the policy
    const client = new RelayClient({
      url,
      kioskId: 'K1',
      get token() {
        counts.dials++;
        return 't';
      },
      cursor: kioskStore('E1', 0).relayCursor,
      handle: async () => {},
      get backoff() {
        counts.waits++;
        return { initialMs: 50, multiplier: 1, maxMs: 50, jitter: 0 };
      },
      longPollWaitSeconds: 3,
    });
    onCleanup(() => client.stop());
    client.start();
    return { client, counts };
  };

  const refusing = await startScriptedRelay({ refuseWebsocket: true, answer: () => null });
  const waiting = link(refusing.url);
  await until(() => waiting.counts.waits === 1, 'the refusal, and the reconnect it schedules');
  await until(() => refusing.requests.length === 1, 'the fallback poll');
  await waiting.client.stop();
  const dialled = waiting.counts.dials;
  t.mock.timers.tick(60_000);
  assert.equal(waiting.counts.dials, dialled, 'the waiting reconnect was called off');

  const relay = await startScriptedRelay();
  const up = link(relay.url);
  await until(() => relay.connections[0]?.frames.length === 1, 'hello');
  await up.client.stop();
  t.mock.timers.tick(60_000);
  assert.deepEqual(up.counts, { dials: 1, waits: 0 }, 'no reconnect, no poll after the stream stop() closed');
  assert.equal(relay.requests.length, 0);
});
