// Issue 9's findings, each replayed against a real `notify-relay` process on loopback: no request of any
// shape ends the process or keeps a socket, refused bodies are not read, forged notifies cannot block a
// genuine one, verification is Alipay-strict, client errors get their own status, the counters add up.
import assert from 'node:assert/strict';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { classifyNotify, parseNotifyBody } from '../../app/alipay/index.ts';
import { KIOSKS, TestStream, forgerThenGenuine, postNotify, settle, signedNotify } from './helpers.ts';
import { answerOf, floodRequest, halfOpenRequest, rawRequest } from './raw-http.ts';
import type { RawAnswer } from './raw-http.ts';
import { startRelayProcess } from './relay-process.ts';
import type { RelayProcess } from './relay-process.ts';

// k2 has no events from the other tests of this file: its hello replays nothing, and the relay's replay is
// asynchronous, so a ping round trip would not wait for one.
const [, k2] = KIOSKS as [(typeof KIOSKS)[number], (typeof KIOSKS)[number]];
const UPGRADE =
  'Host: relay\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
  'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n';

async function assertStillServes(relay: RelayProcess, label: string): Promise<void> {
  assert.equal(relay.child.exitCode, null, `${label}: the relay process is alive`);
  const res = await postNotify(relay.url, signedNotify({ out_trade_no: `K1_alive-${label}` }));
  assert.deepEqual([res.status, res.text], [200, 'success'], `${label}: a genuine notify still succeeds`);
}

describe('requests of any shape', () => {
  let relay: RelayProcess;
  before(async () => {
    relay = await startRelayProcess({ limits: { headersTimeoutMs: 400, requestTimeoutMs: 1500 } });
  });
  after(() => relay.stop());

  test('finding 1: malformed upgrade targets are refused with 400 and the process lives', async () => {
    for (const target of ['//[', '//[/../v1/kiosks/K1/stream', '*', 'http://[', '/v1/kiosks/%ZZ/stream']) {
      const answer = await rawRequest(relay.port, `GET ${target} HTTP/1.1\r\n${UPGRADE}`);
      assert.ok(
        answer.status !== undefined && answer.status >= 400 && answer.status < 500,
        `${target}: ${answer.text.slice(0, 40)}`,
      );
      const plain = await rawRequest(
        relay.port,
        `GET ${target} HTTP/1.1\r\nHost: relay\r\nConnection: close\r\n\r\n`,
      );
      assert.ok(plain.status !== undefined && plain.status >= 400 && plain.status < 500, target);
    }
    await assertStillServes(relay, 'upgrade');
  });

  test('finding 8: header overflow is 431, a request that stalls is 408, and both sockets are closed', async () => {
    const overflow = await rawRequest(
      relay.port,
      `GET /healthz HTTP/1.1\r\nHost: relay\r\nX-Big: ${'a'.repeat(64 * 1024)}\r\n\r\n`,
    );
    assert.equal(overflow.status, 431);
    // Headers that never end: answered 408 once headersTimeoutMs passed, and the connection closed.
    const stalled = await rawRequest(relay.port, 'POST /alipay/notify HTTP/1.1\r\nHost: relay\r\n');
    assert.equal(stalled.status, 408);
    // A body that never completes: 408 once requestTimeoutMs passed.
    const slowBody = await rawRequest(
      relay.port,
      'POST /alipay/notify HTTP/1.1\r\nHost: relay\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\na=1',
    );
    assert.equal(slowBody.status, 408);
    await assertStillServes(relay, 'timeouts');
  });

  test('finding 8: a body cut mid-read is counted, so received = accepted + rejected', async () => {
    const counted = relay.waitForLog(
      (l) => l.msg === 'notify rejected' && l.reason === 'incomplete',
      relay.logs.length,
    );
    const quitter = net.connect({ port: relay.port, host: '127.0.0.1' });
    quitter.once('error', () => {});
    // Headers and the start of a 1000-byte body, then the client goes away.
    quitter.write(
      'POST /alipay/notify HTTP/1.1\r\nHost: relay\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\nnotify_id=2',
      () => quitter.end(),
    );
    await counted;
    const m = await relay.metrics();
    const sum = (prefix: string): number =>
      [...m].filter(([k]) => k.startsWith(prefix)).reduce((n, [, v]) => n + v, 0);
    assert.equal(
      m.get('relay_notifies_received_total'),
      sum('relay_notifies_accepted_total') + sum('relay_notifies_rejected_total'),
    );
  });

  test('finding 6: an empty-valued copy is the payment it copies; RSA and a BOM are refused', async () => {
    const stream = await TestStream.open(relay.url, k2.id, k2.token);
    try {
      stream.send({ type: 'hello', lastSeq: 0 });
      await settle(stream);
      stream.frames.length = 0;
      const genuine = signedNotify({ out_trade_no: 'K2_strict-1' });
      const copy = `${genuine}&gmt_refund=&refund_fee=`;
      assert.equal((await postNotify(relay.url, copy)).text, 'success');
      const frame = await stream.next();
      assert.equal(classifyNotify(parseNotifyBody(frame.body)).kind, 'payment', 'the kiosk reads a payment');
      // The genuine one is a resend of the same notification: success, not pushed again.
      assert.equal((await postNotify(relay.url, genuine)).text, 'success');
      await settle(stream);
      assert.equal(stream.frames.length, 0);
      const db = new Database(path.join(relay.dir, 'relay.db'), { readonly: true });
      try {
        const row = db
          .prepare("SELECT notify_kind FROM notifies WHERE out_trade_no = 'K2_strict-1'")
          .get() as { notify_kind: string };
        assert.equal(row.notify_kind, 'payment');
      } finally {
        db.close();
      }
      const rsa = signedNotify({ out_trade_no: 'K2_strict-2' }).replace('sign_type=RSA2', 'sign_type=RSA');
      assert.equal((await postNotify(relay.url, rsa)).text, 'fail');
      const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(signedNotify())]);
      assert.deepEqual(await postNotify(relay.url, bom), {
        status: 400,
        text: 'fail',
        contentType: 'text/plain; charset=utf-8',
      });
    } finally {
      await stream.close();
    }
  });
});

describe('finding 2: sockets are released', () => {
  // 256, not fewer: node's module loader opens a package's files concurrently at start (zod's ~50 locale files
  // at once), and below about 100 descriptors a loaded machine can refuse the relay's own start.
  test('300 clients that send garbage and never close do not starve a relay limited to 256 descriptors', async () => {
    const relay = await startRelayProcess({}, { fdLimit: 256 });
    const sockets: net.Socket[] = [];
    try {
      for (let i = 0; i < 300; i++) {
        const { answer, socket } = await halfOpenRequest(relay.port, 'NOT HTTP AT ALL\r\n\r\n');
        sockets.push(socket);
        assert.equal(answer.status, 400);
      }
      await assertStillServes(relay, 'half-open');
    } finally {
      for (const s of sockets) s.destroy();
      await relay.stop();
    }
  });

  test('a connection cap: beyond maxConnections new sockets are closed unanswered; idle ones time out', async () => {
    const relay = await startRelayProcess({ limits: { maxConnections: 16, headersTimeoutMs: 500 } });
    try {
      const connected = (): Promise<{ socket: net.Socket; answer: Promise<RawAnswer> }> =>
        new Promise((resolve) => {
          const socket = net.connect({ port: relay.port, host: '127.0.0.1' });
          const answer = answerOf(socket);
          socket.once('connect', () => resolve({ socket, answer }));
        });
      const idle = [];
      for (let i = 0; i < 16; i++) idle.push(await connected());
      const refused = await connected();
      assert.deepEqual(await refused.answer, { text: '', status: undefined }, 'closed without an answer');
      // Idle sockets are answered 408 once headersTimeoutMs has passed, and closed.
      for (const { answer } of idle) assert.equal((await answer).status, 408);
      await assertStillServes(relay, 'cap');
      const m = await relay.metrics();
      assert.ok((m.get('relay_http_connections') ?? 99) <= 2, 'no socket is left behind');
    } finally {
      await relay.stop();
    }
  });
});

describe('finding 3: a refused body is not read further', () => {
  let relay: RelayProcess;
  before(async () => {
    relay = await startRelayProcess({ limits: { badNotifiesPerMinute: 8 } });
  });
  after(() => relay.stop());
  const head = (type: string, chunked: boolean): string =>
    `POST /alipay/notify HTTP/1.1\r\nHost: relay\r\nContent-Type: ${type}\r\n` +
    (chunked ? 'Transfer-Encoding: chunked\r\n\r\n' : `Content-Length: ${1 << 30}\r\n\r\n`);
  const LIMIT = 256 * 1024 * 1024;

  test('413 (too large) and 415 (wrong media type) close the connection instead of reading 256 MiB', async () => {
    const big = await floodRequest(relay.port, head('application/x-www-form-urlencoded', true), LIMIT, true);
    assert.equal(big.answer.status, 413);
    assert.ok(big.cut && big.sent < 32 * 1024 * 1024, `sent ${big.sent}`);
    for (const chunked of [true, false]) {
      const r = await floodRequest(relay.port, head('text/plain', chunked), LIMIT, chunked);
      assert.equal(r.answer.status, 415);
      assert.ok(r.cut && r.sent < 32 * 1024 * 1024, `sent ${r.sent} bytes before the relay closed`);
    }
  });

  test('429 (rate-limited sender) closes the connection too', async () => {
    const form = 'application/x-www-form-urlencoded';
    // Use up this address's allowance of bad notifies (8), whatever counted before.
    for (let i = 0; i < 8; i++) await postNotify(relay.url, 'not=a&notify=1');
    const limited = await floodRequest(relay.port, head(form, true), LIMIT, true);
    assert.equal(limited.answer.status, 429);
    assert.ok(limited.cut && limited.sent < 32 * 1024 * 1024, `sent ${limited.sent}`);
    await assertStillServes(relay, 'flood');
  });
});

describe('finding 4: forged notifies never block a genuine one', () => {
  test('after 61 forged notifies from one address, its 10 genuine ones are all stored and answered success', async () => {
    const relay = await startRelayProcess({ limits: { badNotifiesPerMinute: 60 } });
    try {
      const run = await forgerThenGenuine(relay.url, 61, 10);
      assert.equal(run.lastForgedStatus, 429, 'the forger is limited');
      assert.deepEqual(run.genuine, Array(10).fill([200, 'success']));
      const m = await relay.metrics();
      assert.equal(m.get('relay_notifies_accepted_total{outcome="stored"}'), 10);
    } finally {
      await relay.stop();
    }
  });
});
