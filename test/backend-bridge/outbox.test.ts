// Kiosk telemetry upload and the operational endpoints.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import type { RunningRelay } from '../../backend-bridge/index.ts';
import { KIOSKS, startTestRelay, tempDir } from './helpers.ts';

const [k1] = KIOSKS as [(typeof KIOSKS)[number]];

describe('telemetry outbox and operations endpoints', () => {
  let dir: string;
  let dbPath: string;
  let relay: RunningRelay;
  const post = (body: string, token = k1.token, type = 'application/json'): Promise<Response> =>
    fetch(`${relay.url}/v1/kiosks/K1/outbox`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': type },
      body,
    });

  before(async () => {
    dir = tempDir();
    dbPath = path.join(dir, 'relay.db');
    relay = await startTestRelay(dbPath, { limits: { maxOutboxBytes: 4096 } });
  });
  after(async () => {
    await relay.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('a batch is stored once per event id; a re-upload is acknowledged but not duplicated', async () => {
    const batch: { events: Array<{ id: string; type: string; at: string; data: unknown }> } = {
      events: [
        { id: 'e1', type: 'sale.paid', at: '2026-11-22T07:00:00Z', data: { fen: 350 } },
        { id: 'e2', type: 'vend.ok', at: '2026-11-22T07:00:02Z', data: null },
      ],
    };
    const r1 = await post(JSON.stringify(batch));
    assert.equal(r1.status, 200);
    assert.deepEqual(await r1.json(), { accepted: ['e1', 'e2'], duplicates: [] });
    batch.events.push({ id: 'e3', type: 'door.open', at: '2026-11-22T07:01:00Z', data: { n: 1 } });
    const r2 = await post(JSON.stringify(batch));
    assert.deepEqual(await r2.json(), { accepted: ['e1', 'e2', 'e3'], duplicates: ['e1', 'e2'] });

    const db = new Database(dbPath, { readonly: true });
    const rows = db.prepare('SELECT event_id, data_json FROM telemetry ORDER BY event_id').all();
    db.close();
    assert.deepEqual(rows, [
      { event_id: 'e1', data_json: '{"fen":350}' },
      { event_id: 'e2', data_json: 'null' },
      { event_id: 'e3', data_json: '{"n":1}' },
    ]);
  });

  test('bad uploads are refused with a clear status and nothing stored', async () => {
    assert.equal((await post('{"events":[{"id":"x"}]}')).status, 400);
    assert.equal((await post('not json')).status, 400);
    assert.equal((await post('{"events":[]}', 'wrong-token')).status, 401);
    assert.equal((await post('{"events":[]}', k1.token, 'text/plain')).status, 415);
    const huge = JSON.stringify({ events: [{ id: 'big', type: 't', at: 'now', data: 'x'.repeat(8000) }] });
    assert.equal((await post(huge)).status, 413);
    const db = new Database(dbPath, { readonly: true });
    const n = (
      db.prepare("SELECT COUNT(*) AS n FROM telemetry WHERE event_id IN ('x','big')").get() as { n: number }
    ).n;
    db.close();
    assert.equal(n, 0);
  });

  test('healthz, readyz and metrics answer; unknown paths are 404', async () => {
    assert.equal(await (await fetch(`${relay.url}/healthz`)).text(), 'ok\n');
    const ready = await fetch(`${relay.url}/readyz`);
    assert.equal(ready.status, 200);
    const metrics = await fetch(`${relay.url}/metrics`);
    assert.match(metrics.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    const text = await metrics.text();
    for (const name of [
      'relay_notifies_received_total',
      'relay_notifies_accepted_total',
      'relay_notifies_rejected_total',
      'relay_events_pushed_total',
      'relay_kiosks_connected',
    ]) {
      assert.match(text, new RegExp(`^# TYPE ${name} `, 'm'));
    }
    assert.match(text, /^relay_telemetry_events_total\{result="duplicate"\} 2$/m);
    assert.equal((await fetch(`${relay.url}/nope`)).status, 404);
    assert.equal((await fetch(`${relay.url}/alipay/notify`)).status, 405);
  });
});

describe('readiness', () => {
  test('readyz turns 503 when the database file cannot be written', async () => {
    const dir = tempDir();
    const dbPath = path.join(dir, 'relay.db');
    const relay = await startTestRelay(dbPath);
    try {
      assert.equal((await fetch(`${relay.url}/readyz`)).status, 200);
      // Another process holds the write lock longer than busy_timeout allows: not ready.
      const other = new Database(dbPath);
      other.pragma('busy_timeout = 0');
      other.exec('BEGIN EXCLUSIVE');
      try {
        const res = await fetch(`${relay.url}/readyz`);
        assert.equal(res.status, 503);
      } finally {
        other.exec('ROLLBACK');
        other.close();
      }
      assert.equal((await fetch(`${relay.url}/readyz`)).status, 200);
    } finally {
      await relay.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
