// close(): waiting long-polls are answered, streams get 1001, later notifies are not acknowledged,
// and the database file is left complete for the next start.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { KIOSKS, TestStream, postNotify, signedNotify, startTestRelay, tempDir } from './helpers.ts';

const [k1] = KIOSKS as [(typeof KIOSKS)[number]];

test('graceful close answers parked long-polls, closes streams with 1001, and releases the port', async () => {
  const dir = tempDir();
  const dbPath = path.join(dir, 'relay.db');
  const relay = await startTestRelay(dbPath);
  try {
    const stream = await TestStream.open(relay.url, k1.id, k1.token);
    const poll = fetch(`${relay.url}/v1/kiosks/K1/events?after=0&wait=30`, {
      headers: { authorization: `Bearer ${k1.token}` },
    });
    for (;;) {
      const metrics = await (await fetch(`${relay.url}/metrics`)).text();
      if (/^relay_longpoll_waiting 1$/m.test(metrics)) break;
      await new Promise((r) => setTimeout(r, 5));
    }
    await relay.close();
    assert.deepEqual(((await (await poll).json()) as { events: unknown[] }).events, []);
    assert.equal(await stream.closed, 1001);
    await assert.rejects(postNotify(relay.url, signedNotify()), 'nothing listens after close');
    await relay.close(); // idempotent
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
