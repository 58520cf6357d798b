// The relay behind the nginx set-up docs/relay.md documents, both real processes on loopback: streams pass
// through, a crafted target that nginx normalises into /v1/ reaches the relay harmlessly (finding 1), and
// forged notifies sent through the same proxy as Alipay never block a genuine one (finding 4).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { KIOSKS, TestStream, forgerThenGenuine, postNotify, signedNotify } from './helpers.ts';
import { startNginx } from './nginx.ts';
import type { RunningNginx } from './nginx.ts';
import { rawRequest } from './raw-http.ts';
import { startRelayProcess } from './relay-process.ts';
import type { RelayProcess } from './relay-process.ts';

const [k1] = KIOSKS as [(typeof KIOSKS)[number]];

describe('behind the documented nginx', () => {
  let relay: RelayProcess;
  let nginx: RunningNginx;
  before(async () => {
    relay = await startRelayProcess({ limits: { badNotifiesPerMinute: 60 } });
    nginx = await startNginx(relay.port);
  });
  after(async () => {
    await nginx?.stop();
    await relay.stop();
  });

  test('a kiosk stream and a notify pass through the proxy', async () => {
    const stream = await TestStream.open(nginx.url, k1.id, k1.token);
    try {
      stream.send({ type: 'hello', lastSeq: 0 });
      const body = signedNotify({ out_trade_no: 'K1_proxied-1' });
      assert.equal((await postNotify(nginx.url, body)).text, 'success');
      assert.equal((await stream.next()).body, body);
    } finally {
      await stream.close();
    }
  });

  test('finding 1: //[/../v1/kiosks/K1/stream with upgrade headers is refused and the relay lives', async () => {
    const answer = await rawRequest(
      nginx.port,
      'GET //[/../v1/kiosks/K1/stream HTTP/1.1\r\nHost: relay\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
    );
    assert.equal(answer.status, 400);
    assert.equal(relay.child.exitCode, null);
    assert.equal((await postNotify(nginx.url, signedNotify({ out_trade_no: 'K1_after-1' }))).text, 'success');
  });

  test('finding 4: 61 forged notifies through the proxy, then 10 genuine ones: all 10 answered success', async () => {
    const run = await forgerThenGenuine(nginx.url, 61, 10);
    assert.equal(run.lastForgedStatus, 429, 'the forging address is limited');
    assert.deepEqual(run.genuine, Array(10).fill([200, 'success']), 'every genuine notify answered success');
  });
});
