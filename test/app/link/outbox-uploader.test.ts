// Fleet telemetry: how each sale ended and what technicians did reach the relay at least once, and the
// kiosk keeps them while the relay is away.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import path from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { OutboxUploader } from '../../../app/link/index.ts';
import { openStore } from '../../../app/store/index.ts';
import { startRelay } from '../../../backend-bridge/index.ts';
import { startHarness, waitFor } from '../../helpers/agent-harness.ts';
import { tempDir } from '../../helpers/temp-dir.ts';

function relayTelemetry(dir: string): Array<{ event_id: string; type: string; data_json: string }> {
  const db = new Database(path.join(dir, 'relay.sqlite'), { readonly: true });
  try {
    return db.prepare('SELECT event_id, type, data_json FROM telemetry ORDER BY at').all() as Array<{
      event_id: string;
      type: string;
      data_json: string;
    }>;
  } finally {
    db.close();
  }
}

test('a settled sale reaches the relay once, with what came out and what was refunded', async () => {
  const h = await startHarness({ faults: [{ kind: 'jam', lane: 1, times: 1 }] });
  const sale = await h.agent.sales.checkout([
    { lane: 1, quantity: 1 },
    { lane: 2, quantity: 1 },
  ]);
  await h.pay(sale.outTradeNo);
  await waitFor(
    () => h.agent.store.orders.mustGet(sale.outTradeNo).state === 'refunded',
    'the sale to settle',
  );
  await h.agent.telemetry.flush();
  await h.agent.telemetry.flush(); // a second upload sends nothing new

  const settled = relayTelemetry(h.dir).filter((e) => e.type === 'sale.settled');
  assert.deepEqual(
    settled.map((e) => e.event_id),
    [`sale:${sale.outTradeNo}:refunded`],
  );
  const data = JSON.parse(settled[0]!.data_json) as {
    totalFen: number;
    deliveredFen: number;
    items: Array<{ vendState: string }>;
  };
  assert.equal(data.totalFen, 550);
  assert.equal(data.deliveredFen, 350);
  assert.deepEqual(
    data.items.map((i) => i.vendState),
    ['not_delivered', 'delivered'],
  );
  assert.ok(
    relayTelemetry(h.dir).some((e) => e.type === 'board.link'),
    'board link changes are reported',
  );
  assert.equal(h.agent.store.outbox.unsentCount(), 0);
});

test('while the relay is unreachable, telemetry waits in the outbox and nothing is dropped', async () => {
  const store = openStore(path.join(tempDir(), 'k.sqlite'));
  store.outbox.record('board.link', { state: 'down' });
  store.outbox.record('board.link', { state: 'up' });
  const uploader = new OutboxUploader({
    url: 'http://127.0.0.1:9',
    kioskId: 'K1',
    token: 't',
    outbox: store.outbox,
  });
  await assert.rejects(uploader.flush());
  assert.equal(store.outbox.unsentCount(), 2);
  store.close();
});

test('against the real relay: every event reaches it once, in batches, and leaves the outbox; a wrong token keeps them', async () => {
  const dir = tempDir();
  const relay = await startRelay({
    dbPath: path.join(dir, 'relay.sqlite'),
    alipay: { appId: '2021000000000009', publicKey: generateKeyPairSync('ed25519').publicKey },
    kiosks: [{ id: 'K1', token: 'kiosk-token' }],
  });
  const store = openStore(path.join(dir, 'kiosk.sqlite'));
  try {
    for (let n = 1; n <= 5; n++) store.outbox.record('board.link', { n }, `ev${n}`);
    const upload = (token: string): OutboxUploader =>
      new OutboxUploader({ url: relay.url, kioskId: 'K1', token, outbox: store.outbox, batchSize: 2 });
    await assert.rejects(upload('not-the-token').flush(), /relay answered HTTP 401 to the outbox upload/);
    assert.equal(store.outbox.unsentCount(), 5, 'nothing leaves the outbox the relay did not take');
    assert.equal(await upload('kiosk-token').flush(), 5);
    assert.equal(store.outbox.unsentCount(), 0);
    assert.deepEqual(
      relayTelemetry(dir)
        .map((e) => [e.event_id, e.type, e.data_json])
        .sort(),
      [1, 2, 3, 4, 5].map((n) => [`ev${n}`, 'board.link', JSON.stringify({ n })]),
    );
  } finally {
    store.close();
    await relay.close();
  }
});
