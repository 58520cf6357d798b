// The kiosk's relay link against the real relay (backend-bridge) on loopback, with a real SQLite cursor.
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import path from 'node:path';
import { test } from 'node:test';
import { signParams } from '../../../app/alipay/index.ts';
import { RelayClient, type RelayCursorPort, type RelayEvent } from '../../../app/link/index.ts';
import { openStore } from '../../../app/store/index.ts';
import { startRelay } from '../../../backend-bridge/index.ts';
import { onCleanup } from '../../helpers/cleanup.ts';
import { waitFor } from '../../helpers/agent-harness.ts';
import { tempDir } from '../../helpers/temp-dir.ts';
import { MemoryCursor } from './memory-cursor.ts';

const APP_ID = '2021000000000009';
const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });

async function relayWithKiosk(dbPath: string, token: string) {
  const relay = await startRelay({
    dbPath,
    alipay: { appId: APP_ID, publicKey: keys.publicKey },
    kiosks: [{ id: 'K1', token }],
  });
  onCleanup(() => relay.close());
  return relay;
}

async function notify(relayUrl: string, n: number): Promise<string> {
  const params: Record<string, string> = {
    app_id: APP_ID,
    notify_id: `nid${n}`,
    notify_type: 'trade_status_sync',
    out_trade_no: `K1_20261122000000_${n}`,
    total_amount: '1.00',
    trade_no: `T${n}`,
    trade_status: 'TRADE_SUCCESS',
  };
  const body = new URLSearchParams({
    ...params,
    sign_type: 'RSA2',
    sign: signParams(params, keys.privateKey),
  }).toString();
  const res = await fetch(`${relayUrl}/alipay/notify`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body,
  });
  assert.equal(await res.text(), 'success');
  return body;
}

function client(
  relayUrl: string,
  token: string,
  cursor: RelayCursorPort,
  handle: (e: RelayEvent) => Promise<void>,
) {
  const c = new RelayClient({
    url: relayUrl,
    kioskId: 'K1',
    token,
    cursor,
    handle,
    backoff: { initialMs: 50, multiplier: 1.5, maxMs: 200, jitter: 0.1 },
  });
  onCleanup(() => c.stop());
  return c;
}

test('events arrive in order with the raw body, are acked after handling, and are not replayed after a restart', async () => {
  const dir = tempDir();
  const token = randomBytes(16).toString('hex');
  const relay = await relayWithKiosk(path.join(dir, 'relay.sqlite'), token);
  const store = openStore(path.join(dir, 'kiosk.sqlite'));
  onCleanup(() => store.close());
  const sent = [await notify(relay.url, 1), await notify(relay.url, 2)];

  const seen: RelayEvent[] = [];
  const first = client(relay.url, token, store.relayCursor, async (e) => void seen.push(e));
  first.start();
  sent.push(await notify(relay.url, 3));
  await waitFor(() => seen.length === 3, 'three events');
  assert.deepEqual(
    seen.map((e) => e.body),
    sent,
    'the kiosk gets exactly what Alipay posted',
  );
  assert.deepEqual(
    seen.map((e) => e.seq),
    [1, 2, 3],
  );
  assert.equal(first.state, 'up');
  await first.stop();
  assert.equal(store.relayCursor.get(), 3);

  const again: RelayEvent[] = [];
  const second = client(relay.url, token, store.relayCursor, async (e) => void again.push(e));
  second.start();
  await notify(relay.url, 4);
  await waitFor(() => again.length === 1, 'only the new event');
  assert.equal(again[0]?.seq, 4);
});

test('an event whose handling fails is not acked and is delivered again', async () => {
  const dir = tempDir();
  const token = randomBytes(16).toString('hex');
  const relay = await relayWithKiosk(path.join(dir, 'relay.sqlite'), token);
  const cursor = new MemoryCursor();
  const attempts: number[] = [];
  const c = client(relay.url, token, cursor, async (e) => {
    attempts.push(e.seq);
    if (attempts.length === 1) throw new Error('disk full');
  });
  c.start();
  await notify(relay.url, 1);
  await waitFor(() => cursor.seq === 1, 'the event to be handled on the second delivery');
  assert.deepEqual(attempts, [1, 1]);
});

test('a cursor that cannot be stored (a full disk) costs a reconnect, not the link: later events still arrive in order', async () => {
  const dir = tempDir();
  const token = randomBytes(16).toString('hex');
  const relay = await relayWithKiosk(path.join(dir, 'relay.sqlite'), token);
  let failures = 1;
  const handled: number[] = [];
  const full = (): Error => Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
  const cursor = new MemoryCursor(() => {
    if (failures-- > 0) throw full();
  });
  const c = client(relay.url, token, cursor, async (e) => void handled.push(e.seq));
  c.start();
  await notify(relay.url, 1);
  await notify(relay.url, 2);
  await waitFor(() => cursor.seq === 2, 'both events stored once the disk takes writes again');
  // The first event's effect ran again after the reconnect (the sale's own records make that a no-op); none
  // was skipped or taken out of order.
  assert.deepEqual(
    handled,
    [...handled].sort((a, b) => a - b),
  );
  assert.deepEqual([...new Set(handled)], [1, 2]);
});

test('a wrong token keeps the link down and retries with backoff; the relay coming back brings it up', async () => {
  const dir = tempDir();
  const token = randomBytes(16).toString('hex');
  // A relay that refuses this kiosk's token (401 at the upgrade), counting how often the kiosk tries.
  const http = await import('node:http');
  let attempts = 0;
  const refusing = http.createServer((_req, res) => res.writeHead(401).end());
  refusing.on('upgrade', (_req, socket) => {
    attempts++;
    // The kiosk cuts the refused handshake short (terminate): a reset here is expected, not a crash.
    socket.on('error', () => socket.destroy());
    socket.end('HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n');
  });
  await new Promise<void>((r) => refusing.listen(0, '127.0.0.1', () => r()));
  onCleanup(() => new Promise<void>((r) => (refusing.closeAllConnections(), refusing.close(() => r()))));
  const refusingUrl = `http://127.0.0.1:${(refusing.address() as { port: number }).port}`;
  const wrong = client(refusingUrl, 'not-the-token', new MemoryCursor(), async () => {});
  wrong.start();
  await waitFor(() => attempts >= 3, 'a refused kiosk to keep retrying with backoff');
  assert.equal(wrong.state, 'down');
  await wrong.stop();

  const dbPath = path.join(dir, 'relay2.sqlite');
  const first = await relayWithKiosk(dbPath, token);
  const port = Number(new URL(first.url).port);
  const states: string[] = [];
  const c = client(first.url, token, new MemoryCursor(), async () => {});
  c.onState((s) => states.push(s));
  c.start();
  await waitFor(() => c.state === 'up', 'link up');
  await first.close();
  await waitFor(() => c.state === 'down', 'link down when the relay goes away');
  const back = await startRelay({
    dbPath,
    port,
    alipay: { appId: APP_ID, publicKey: keys.publicKey },
    kiosks: [{ id: 'K1', token }],
  });
  onCleanup(() => back.close());
  await waitFor(() => c.state === 'up', 'link up again');
  assert.deepEqual(states, ['up', 'down', 'up']);
});

test('when a proxy breaks websockets, events still arrive through the long-poll fallback, in order', async () => {
  const dir = tempDir();
  const token = randomBytes(16).toString('hex');
  const relay = await relayWithKiosk(path.join(dir, 'relay.sqlite'), token);
  // A front that forwards plain HTTP to the relay but refuses websocket upgrades, as some proxies do.
  const http = await import('node:http');
  // Every socket of the proxy gets an error handler: at clean-up the front's connections are cut while a long
  // poll is still waiting upstream, and an unhandled ECONNRESET there would outlive the test.
  const front = http.createServer((req, res) => {
    const upstream = http.request(
      new URL(req.url ?? '/', relay.url),
      { method: req.method, headers: req.headers },
      (up) => {
        up.on('error', () => res.destroy());
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on('error', () => (res.headersSent ? res.destroy() : res.writeHead(502).end()));
    req.on('error', () => upstream.destroy());
    res.on('error', () => upstream.destroy());
    res.on('close', () => upstream.destroy());
    req.pipe(upstream);
  });
  front.on('upgrade', (_req, socket) => {
    socket.on('error', () => socket.destroy()); // the kiosk cuts the refused handshake short
    socket.end('HTTP/1.1 403 Forbidden\r\n\r\n');
  });
  await new Promise<void>((r) => front.listen(0, '127.0.0.1', () => r()));
  onCleanup(() => new Promise<void>((r) => (front.closeAllConnections(), front.close(() => r()))));
  const frontUrl = `http://127.0.0.1:${(front.address() as { port: number }).port}`;

  const seen: number[] = [];
  const c = new RelayClient({
    url: frontUrl,
    kioskId: 'K1',
    token,
    cursor: new MemoryCursor(),
    handle: async (e) => void seen.push(e.seq),
    backoff: { initialMs: 50, multiplier: 1.5, maxMs: 200, jitter: 0.1 },
    longPollWaitSeconds: 2,
  });
  onCleanup(() => c.stop());
  c.start();
  await notify(relay.url, 1);
  await notify(relay.url, 2);
  await waitFor(() => seen.length === 2, 'both events over long-poll');
  await notify(relay.url, 3);
  await waitFor(() => seen.length === 3, 'an event that arrives during the wait');
  assert.deepEqual(seen, [1, 2, 3]);
  assert.equal(c.state, 'down', 'the websocket never came up');
  assert.equal(c.delivering, true);
});
