// The kiosk side: websocket stream (auth, replay after hello, acks, replacement, heartbeat),
// long-poll fallback, and durability across a relay restart.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { WebSocket } from 'ws';
import type { RunningRelay } from '../../backend-bridge/index.ts';
import { KIOSKS, TestStream, postNotify, settle, signedNotify, startTestRelay, tempDir } from './helpers.ts';

const [k1, k2] = KIOSKS as [(typeof KIOSKS)[number], (typeof KIOSKS)[number]];

async function notifyK1(url: string, n: number): Promise<string[]> {
  const bodies: string[] = [];
  for (let i = 0; i < n; i++) {
    const body = signedNotify({
      out_trade_no: `K1_${Date.now()}-${i}-${Math.random().toString(36).slice(2)}`,
    });
    assert.equal((await postNotify(url, body)).text, 'success');
    bodies.push(body);
  }
  return bodies;
}

function upgradeStatus(url: string, kioskId: string, auth: string | undefined): Promise<number> {
  const ws = new WebSocket(`${url.replace('http', 'ws')}/v1/kiosks/${kioskId}/stream`, {
    headers: auth === undefined ? {} : { authorization: auth },
  });
  return new Promise((resolve, reject) => {
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.once('open', () => {
      ws.terminate();
      reject(new Error('upgrade unexpectedly accepted'));
    });
    ws.once('error', () => {});
  });
}

describe('kiosk stream and long-poll', () => {
  let dir: string;
  let relay: RunningRelay;

  before(async () => {
    dir = tempDir();
    relay = await startTestRelay(path.join(dir, 'relay.db'));
  });
  after(async () => {
    await relay.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('a wrong, missing or other kiosk token is refused at the upgrade with 401', async () => {
    assert.equal(await upgradeStatus(relay.url, k1.id, `Bearer ${k1.token}x`), 401);
    assert.equal(await upgradeStatus(relay.url, k1.id, undefined), 401);
    assert.equal(await upgradeStatus(relay.url, k1.id, `Bearer ${k2.token}`), 401);
    assert.equal(await upgradeStatus(relay.url, 'NOPE', `Bearer ${k1.token}`), 401);
    assert.equal(await upgradeStatus(relay.url, k1.id, k1.token), 401, 'scheme is required');
    const res = await fetch(`${relay.url}/v1/kiosks/K1/events?after=0`, {
      headers: { authorization: 'Bearer nope' },
    });
    assert.equal(res.status, 401);
  });

  test('reconnecting with hello{lastSeq} replays exactly the events after lastSeq, in order, then live ones', async () => {
    const bodies = await notifyK1(relay.url, 4);
    const first = await TestStream.open(relay.url, k1.id, k1.token);
    first.send({ type: 'hello', lastSeq: 0 });
    const got = [await first.next(), await first.next(), await first.next(), await first.next()];
    assert.deepEqual(
      got.map((f) => f.body),
      bodies,
    );
    assert.deepEqual(
      got.map((f) => f.seq),
      [1, 2, 3, 4],
    );
    first.send({ type: 'ack', seq: 2 });
    await first.close();

    const again = await TestStream.open(relay.url, k1.id, k1.token);
    again.send({ type: 'hello', lastSeq: 2 });
    assert.deepEqual([(await again.next()).seq, (await again.next()).seq], [3, 4]);
    const [live] = await notifyK1(relay.url, 1);
    const liveFrame = await again.next();
    assert.equal(liveFrame.seq, 5);
    assert.equal(liveFrame.body, live);
    await settle(again);
    assert.equal(again.frames.length, 0);
    await again.close();
  });

  test('a new connection for the same kiosk replaces the old one', async () => {
    const old = await TestStream.open(relay.url, k2.id, k2.token);
    const fresh = await TestStream.open(relay.url, k2.id, k2.token);
    assert.equal(await old.closed, 4000);
    fresh.send({ type: 'hello', lastSeq: 0 });
    const body = signedNotify({ out_trade_no: 'K2_replaced-1' });
    await postNotify(relay.url, body);
    assert.equal((await fresh.next()).body, body);
    await fresh.close();
  });

  test('a message that is not hello/ack closes the socket with 1008 and the relay keeps serving', async () => {
    const s = await TestStream.open(relay.url, k2.id, k2.token);
    s.ws.send('{"type":"hello","lastSeq":-1}');
    assert.equal(await s.closed, 1008);
    const s2 = await TestStream.open(relay.url, k2.id, k2.token);
    s2.ws.send('not json');
    assert.equal(await s2.closed, 1008);
    assert.equal((await fetch(`${relay.url}/healthz`)).status, 200);
  });

  test('long-poll answers at once when events exist, and wakes when one arrives during the wait', async () => {
    const auth = { authorization: `Bearer ${k2.token}` };
    const existing = await fetch(`${relay.url}/v1/kiosks/K2/events?after=0&wait=30`, { headers: auth });
    const { events: already } = (await existing.json()) as { events: Array<{ seq: number; body: string }> };
    assert.ok(already.length >= 1);
    const lastSeq = already[already.length - 1]?.seq ?? 0;

    const waiting = fetch(`${relay.url}/v1/kiosks/K2/events?after=${lastSeq}&wait=30`, { headers: auth });
    // Wait until the relay has parked the request, then deliver a notify.
    for (;;) {
      const metrics = await (await fetch(`${relay.url}/metrics`)).text();
      if (/^relay_longpoll_waiting 1$/m.test(metrics)) break;
      await new Promise((r) => setTimeout(r, 5));
    }
    const body = signedNotify({ out_trade_no: 'K2_longpoll-1' });
    await postNotify(relay.url, body);
    const res = await waiting;
    const { events } = (await res.json()) as {
      events: Array<{ seq: number; kind: string; body: string; receivedAt: string }>;
    };
    assert.equal(events.length, 1);
    assert.equal(events[0]?.seq, lastSeq + 1);
    assert.equal(events[0]?.kind, 'alipay_notify');
    assert.equal(events[0]?.body, body);
  });

  test('long-poll with nothing new answers an empty list when the wait ends; bad params are 400', async () => {
    const auth = { authorization: `Bearer ${k2.token}` };
    // A kiosk beyond the log (the relay lost what it saw) is resynchronised from the start.
    const beyond = (await (
      await fetch(`${relay.url}/v1/kiosks/K2/events?after=999&wait=0`, { headers: auth })
    ).json()) as { after: number; events: Array<{ seq: number }> };
    assert.equal(beyond.after, 0);
    const last = beyond.events.at(-1)?.seq ?? 0;
    const res = await fetch(`${relay.url}/v1/kiosks/K2/events?after=${last}&wait=1`, { headers: auth });
    assert.deepEqual(((await res.json()) as { events: unknown[] }).events, []);
    const bad = await fetch(`${relay.url}/v1/kiosks/K2/events?after=-1`, { headers: auth });
    assert.equal(bad.status, 400);
  });
});

describe('heartbeat', () => {
  test('a socket that stops answering pings is terminated', async () => {
    const dir = tempDir();
    const relay = await startTestRelay(path.join(dir, 'relay.db'), { pingIntervalMs: 40 });
    try {
      const ws = new WebSocket(`${relay.url.replace('http', 'ws')}/v1/kiosks/K1/stream`, {
        headers: { authorization: `Bearer ${k1.token}` },
        autoPong: false,
      });
      const code = await new Promise<number>((resolve) => ws.on('close', (c) => resolve(c)));
      assert.equal(code, 1006, 'terminated without a close handshake');
      const metrics = await (await fetch(`${relay.url}/metrics`)).text();
      assert.match(metrics, /^relay_kiosks_connected 0$/m);
    } finally {
      await relay.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('restart', () => {
  test('closing and restarting on the same file keeps events, acks and the seq counter', async () => {
    const dir = tempDir();
    const dbPath = path.join(dir, 'relay.db');
    let relay = await startTestRelay(dbPath);
    const bodies = await notifyK1(relay.url, 3);
    const s = await TestStream.open(relay.url, k1.id, k1.token);
    s.send({ type: 'hello', lastSeq: 0 });
    await s.next();
    s.send({ type: 'ack', seq: 1 });
    await settle(s);
    await relay.close();
    assert.equal(await s.closed, 1001, 'kiosk told the relay is going away');

    relay = await startTestRelay(dbPath);
    try {
      const s2 = await TestStream.open(relay.url, k1.id, k1.token);
      s2.send({ type: 'hello', lastSeq: 1 });
      assert.deepEqual([(await s2.next()).body, (await s2.next()).body], [bodies[1], bodies[2]]);
      const [fresh] = await notifyK1(relay.url, 1);
      const frame = await s2.next();
      assert.equal(frame.seq, 4, 'seq continues after a restart');
      assert.equal(frame.body, fresh);
      await s2.close();
    } finally {
      await relay.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
