// The long-poll fallback against a relay whose answers the test writes (a proxy that breaks websockets in
// front of it), with the kiosk's real SQLite cursor: a bad answer applies nothing and is retried, a good one
// is applied in order, a resume point behind the cursor is followed, and the websocket coming back ends it.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { RelayClient } from '../../../app/link/index.ts';
import { openStore, type Store } from '../../../app/store/index.ts';
import { onCleanup } from '../../helpers/cleanup.ts';
import { waitFor } from '../../helpers/agent-harness.ts';
import { tempDir } from '../../helpers/temp-dir.ts';
import { startScriptedRelay, type ScriptedRelayOptions, until } from './scripted-relay.ts';

function kioskStore(epoch: string, seq: number): Store {
  const store = openStore(path.join(tempDir(), 'kiosk.sqlite'));
  onCleanup(() => store.close());
  store.relayCursor.resync(epoch, seq);
  return store;
}

function kiosk(url: string, store: Store, applied: number[], longPollWaitSeconds = 3) {
  const logs: string[] = [];
  const client = new RelayClient({
    url,
    kioskId: 'K/1',
    token: 'kiosk-token',
    cursor: store.relayCursor,
    handle: async (e) => void applied.push(e.seq),
    log: (line) => logs.push(line),
    backoff: { initialMs: 20, multiplier: 1.5, maxMs: 100, jitter: 0 },
    longPollWaitSeconds,
  });
  onCleanup(() => client.stop());
  client.start();
  return { client, logs };
}

const event = (seq: number) => ({ seq, kind: 'alipay.notify', body: `out_trade_no=K1_${seq}` });
const ok = (body: unknown) => ({ status: 200, body: JSON.stringify(body) });

test('a long-poll answer that is refused, malformed or cut applies nothing and is asked again; the good one is applied in order', async () => {
  const answers: Array<{ status: number; body: string } | null> = [
    { status: 500, body: '{}' },
    ok({ epoch: 'E1', after: 0 }),
    ok({ epoch: 'E1', after: 0, events: [event(1), { seq: 0, kind: 'alipay.notify', body: 'x' }] }),
    ok({ epoch: 'E1', after: 0, events: [event(1), null] }),
    { status: 200, body: '{"epoch":"E1","after":0,"events":[' },
    ok({ epoch: 'E1', after: 0, events: [event(1), event(2)] }),
  ];
  const delivering: boolean[] = [];
  const current: { client?: RelayClient } = {};
  const options: ScriptedRelayOptions = {
    refuseWebsocket: true,
    answer: (n) => {
      delivering.push(current.client?.delivering ?? false);
      return answers[n] ?? null;
    },
  };
  const relay = await startScriptedRelay(options);
  const store = kioskStore('E1', 0);
  const applied: number[] = [];
  const started = kiosk(relay.url, store, applied);
  const client = (current.client = started.client);
  await waitFor(() => relay.requests.length === answers.length + 1, 'the poll after the good answer');
  assert.deepEqual(applied, [1, 2], 'nothing of a bad answer applied; the good one once, in order');
  assert.equal(store.relayCursor.get(), 2);
  assert.deepEqual(
    relay.requests.map((p) => p.query.get('after')),
    ['0', '0', '0', '0', '0', '0', '2'],
    'each poll asks for what follows the cursor',
  );
  assert.equal(relay.requests[0]!.path, '/v1/kiosks/K%2F1/events');
  assert.equal(relay.requests[0]!.authorization, 'Bearer kiosk-token');
  assert.equal(relay.requests[0]!.query.get('epoch'), 'E1');
  assert.equal(relay.requests[0]!.query.get('wait'), '3');
  assert.deepEqual(
    delivering,
    [false, false, false, false, false, false, true],
    'the kiosk counts as reachable only after a poll was answered',
  );
  assert.equal(client.delivering, true);
  assert.equal(client.state, 'down');
  const failures = started.logs.filter((l) => l.startsWith('relay long-poll failed: '));
  assert.deepEqual(failures.slice(0, 4), [
    'relay long-poll failed: relay answered HTTP 500 to the long-poll',
    'relay long-poll failed: relay long-poll answer has no events list',
    'relay long-poll failed: relay long-poll answer holds a malformed event',
    'relay long-poll failed: relay long-poll answer holds a malformed event',
  ]);
  assert.equal(failures.length, 5, 'the cut answer fails too');
  assert.ok(started.logs.includes('relay refused the stream: HTTP 403'), started.logs.join('\n'));
});

test('a long-poll answer that resumes behind the cursor (a restored relay) moves the cursor back: its new payments are applied', async () => {
  const relay = await startScriptedRelay({
    refuseWebsocket: true,
    answer: (n) => (n === 0 ? ok({ epoch: 'E2', after: 10, events: [event(11), event(12)] }) : null),
  });
  const store = kioskStore('E1', 30);
  const applied: number[] = [];
  const { client, logs } = kiosk(relay.url, store, applied);
  await waitFor(() => relay.requests.length === 2, 'the next poll');
  assert.deepEqual(applied, [11, 12]);
  assert.equal(store.relayCursor.epoch(), 'E2');
  assert.equal(relay.requests[1]!.query.get('after'), '12');
  assert.equal(relay.requests[1]!.query.get('epoch'), 'E2');
  assert.ok(logs.includes('relay log is behind this kiosk (30 → 10): resynchronising'), logs.join('\n'));
  await client.stop();
  await waitFor(() => relay.requests[1]!.closed, 'stop() to give up the waiting poll');
});

test('an older relay (no epoch in its answer) and a kiosk that has none yet: the poll names none, the events are applied', async () => {
  const relay = await startScriptedRelay({
    refuseWebsocket: true,
    answer: (n) => (n === 0 ? ok({ events: [event(1)] }) : null),
  });
  const store = openStore(path.join(tempDir(), 'kiosk.sqlite'));
  onCleanup(() => store.close());
  const applied: number[] = [];
  kiosk(relay.url, store, applied);
  await waitFor(() => relay.requests.length === 2, 'the next poll');
  assert.deepEqual(applied, [1]);
  assert.equal(relay.requests[0]!.query.has('epoch'), false);
  assert.equal(relay.requests[1]!.query.get('after'), '1');
  assert.equal(relay.requests[1]!.query.has('epoch'), false, 'still none: the relay named none');
});

test('after an answered poll, the next failure is retried after the first backoff step again', async () => {
  // A backoff that grows a thousandfold: a second failure in a row would wait 20 s.
  const answers = [
    { status: 500, body: '' },
    ok({ epoch: 'E1', after: 0, events: [event(1)] }),
    { status: 500, body: '' },
    ok({ epoch: 'E1', after: 1, events: [event(2)] }),
  ];
  const relay = await startScriptedRelay({ refuseWebsocket: true, answer: (n) => answers[n] ?? null });
  const store = kioskStore('E1', 0);
  const applied: number[] = [];
  const client = new RelayClient({
    url: relay.url,
    kioskId: 'K1',
    token: 't',
    cursor: store.relayCursor,
    handle: async (e) => void applied.push(e.seq),
    backoff: { initialMs: 20, multiplier: 1000, maxMs: 60_000, jitter: 0 },
    longPollWaitSeconds: 3,
  });
  onCleanup(() => client.stop());
  client.start();
  await waitFor(() => relay.requests.length === answers.length + 1, 'the poll after the second failure');
  assert.deepEqual(applied, [1, 2]);
});

test('a payment that cannot be handled or whose cursor cannot be stored is not overtaken: the next poll brings it again', async () => {
  const relay = await startScriptedRelay({
    refuseWebsocket: true,
    answer: (n, req) =>
      n < 3 ? ok({ epoch: 'E1', after: Number(req.query.get('after')), events: [event(1), event(2)] }) : null,
  });
  const store = kioskStore('E1', 0);
  const applied: number[] = [];
  let failures = 1; // the disk refuses the first cursor write of payment 1
  const cursor = {
    get: () => store.relayCursor.get(),
    epoch: () => store.relayCursor.epoch(),
    resync: (epoch: string, seq: number) => store.relayCursor.resync(epoch, seq),
    advance: (seq: number) => {
      if (seq === 1 && failures-- > 0)
        throw Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
      store.relayCursor.advance(seq);
    },
  };
  const client = new RelayClient({
    url: relay.url,
    kioskId: 'K1',
    token: 't',
    cursor,
    handle: async (e) => {
      applied.push(e.seq);
      if (applied.length === 1) throw new Error('database is locked'); // the first attempt fails outright
    },
    backoff: { initialMs: 20, multiplier: 1.5, maxMs: 100, jitter: 0 },
    longPollWaitSeconds: 1,
  });
  onCleanup(() => client.stop());
  client.start();
  await waitFor(() => relay.requests.length === 4, 'the poll after the two retried ones');
  assert.deepEqual(applied, [1, 1, 1, 2], 'the payment after the failed one waits for it');
  assert.equal(store.relayCursor.get(), 2);
  assert.deepEqual(
    relay.requests.map((p) => p.query.get('after')),
    ['0', '0', '0', '2'],
  );
});

test('the websocket coming back ends the long-poll fallback', async () => {
  const options: { refuseWebsocket: boolean } & ScriptedRelayOptions = {
    refuseWebsocket: true,
    answer: () => null,
  };
  const relay = await startScriptedRelay(options);
  const store = kioskStore('E1', 0);
  const { client, logs } = kiosk(relay.url, store, []);
  await waitFor(() => relay.requests.length === 1, 'the fallback polling');
  options.refuseWebsocket = false;
  await relay.connection(1);
  await waitFor(() => relay.requests[0]!.closed, 'the waiting poll given up');
  assert.equal(client.state, 'up');
  assert.equal(relay.requests.length, 1);
  assert.deepEqual(
    logs.filter((l) => l.startsWith('relay long-poll failed')),
    [],
    'a poll given up for the websocket is no failure',
  );
});

test('long-poll failures in a row wait longer each time', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const relay = await startScriptedRelay({ refuseWebsocket: true }); // every poll answered 503
  const store = kioskStore('E1', 0);
  let polls = 0; // each poll reads the cursor once (the websocket never opens to read it)
  const logs: string[] = [];
  const client = new RelayClient({
    url: relay.url,
    kioskId: 'K1',
    token: 't',
    cursor: {
      get: () => (polls++, store.relayCursor.get()),
      advance: (seq) => store.relayCursor.advance(seq),
      epoch: () => store.relayCursor.epoch(),
      resync: (epoch, seq) => store.relayCursor.resync(epoch, seq),
    },
    handle: async () => {},
    log: (line) => logs.push(line),
    backoff: { initialMs: 50, multiplier: 10, maxMs: 60_000, jitter: 0 },
    longPollWaitSeconds: 3,
  });
  onCleanup(() => client.stop());
  client.start();
  const failed = (): number => logs.filter((l) => l.startsWith('relay long-poll failed')).length;
  const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
  await until(() => failed() === 1, 'the first failed poll');
  t.mock.timers.tick(49);
  await turn();
  assert.equal(polls, 1);
  t.mock.timers.tick(1);
  await turn();
  assert.equal(polls, 2, 'polled again after the first backoff step');
  await until(() => failed() === 2, 'the second failed poll');
  t.mock.timers.tick(499);
  await turn();
  assert.equal(polls, 2, 'a second failure in a row waits ten times longer');
  t.mock.timers.tick(1);
  await turn();
  assert.equal(polls, 3);
});

test('a link stopped while the fallback waits to retry, and started again, polls again at once', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] }); // the retry's wait never ends on its own
  const relay = await startScriptedRelay({
    refuseWebsocket: true,
    answer: (n) => (n === 0 ? { status: 500, body: '' } : null),
  });
  const { client, logs } = kiosk(relay.url, kioskStore('E1', 0), []);
  await until(() => logs.some((l) => l.startsWith('relay long-poll failed')), 'the failed poll');
  await client.stop();
  client.start();
  await until(() => relay.requests.length === 2, 'a poll after the restart');
});

test('stop() returns after the fallback has ended: the kiosk no longer counts as delivering', async () => {
  const relay = await startScriptedRelay({
    refuseWebsocket: true,
    answer: (n) => (n === 0 ? ok({ epoch: 'E1', after: 0, events: [] }) : null),
  });
  const { client } = kiosk(relay.url, kioskStore('E1', 0), []);
  await waitFor(() => relay.requests.length === 2, 'the poll after the answered one');
  assert.equal(client.delivering, true);
  await client.stop();
  assert.equal(client.delivering, false);
  await waitFor(() => relay.requests[1]!.closed, 'the waiting poll given up');
  assert.equal(relay.requests.length, 2, 'and none after it');
});

test('a long outage (twelve failed polls in a row) leaves no listener behind on the fallback', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const warnings: string[] = [];
  const onWarning = (w: Error): void => void warnings.push(`${w.name}: ${w.message}`);
  process.on('warning', onWarning);
  onCleanup(() => void process.off('warning', onWarning));
  const relay = await startScriptedRelay({ refuseWebsocket: true }); // every poll answered 503
  const logs: string[] = [];
  const client = new RelayClient({
    url: relay.url,
    kioskId: 'K1',
    token: 't',
    cursor: kioskStore('E1', 0).relayCursor,
    handle: async () => {},
    log: (line) => logs.push(line),
    backoff: { initialMs: 10, multiplier: 1, maxMs: 10, jitter: 0 },
    longPollWaitSeconds: 3,
  });
  onCleanup(() => client.stop());
  client.start();
  const failed = (): number => logs.filter((l) => l.startsWith('relay long-poll failed')).length;
  for (let n = 1; n <= 12; n++) {
    await until(() => failed() === n, `failed poll ${n}`);
    t.mock.timers.tick(10);
  }
  await until(() => failed() === 13, 'the poll after them');
  // Node warns once an AbortSignal holds more than 10 'abort' listeners: each wait between polls must remove
  // its own, or a day-long outage would pile up thousands.
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(
    warnings.filter((w) => w.startsWith('MaxListenersExceededWarning')),
    [],
  );
});
