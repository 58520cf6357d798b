// Fleet enrollment with the real CLI against the database of a running relay process: a new token works at
// once, a revoked or rotated one closes its open stream at once, only digests are stored; and the
// operator read API behind its admin token.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { TestStream, postNotify, signedNotify, tempDir } from './helpers.ts';
import { startRelayProcess } from './relay-process.ts';

const BIN = fileURLToPath(new URL('../../bin/notify-relay.js', import.meta.url));
const ADMIN = 'admin-token-0123456789abcdef';

function kioskCommand(dir: string, ...args: string[]): { status: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [BIN, 'kiosk', ...args, '--config', path.join(dir, 'relay.json')], {
    encoding: 'utf8',
  });
  return { status: r.status, out: r.stdout.trim(), err: r.stderr };
}

test('kiosk add/revoke/rotate on a running relay, and the admin read API', async () => {
  const dir = tempDir();
  fs.writeFileSync(path.join(dir, 'admin.token'), ADMIN, { mode: 0o600 });
  const relay = await startRelayProcess({ admin: { tokenFile: 'admin.token' } }, { dir });
  try {
    const added = kioskCommand(dir, 'add', 'K9');
    assert.equal(added.status, 0, added.err);
    const token = added.out;
    assert.match(token, /^[A-Za-z0-9_-]{40,}$/, 'the new token, printed once');
    assert.equal(kioskCommand(dir, 'add', 'K9').status, 2, 'an enrolled id is not enrolled twice');

    const stream = await TestStream.open(relay.url, 'K9', token);
    stream.send({ type: 'hello', lastSeq: 0 });
    const body = signedNotify({ out_trade_no: 'K9_enrolled-1' });
    assert.equal((await postNotify(relay.url, body)).text, 'success');
    assert.equal((await stream.next()).body, body, 'an enrolled kiosk gets its payments');

    const admin = (p: string, auth = ADMIN) =>
      fetch(`${relay.url}/admin/v1/${p}`, { headers: { authorization: `Bearer ${auth}` } });
    assert.equal((await admin('kiosks', 'wrong')).status, 401);
    const fleet = (await (await admin('kiosks')).json()) as {
      kiosks: Array<{ id: string; source: string; connected: boolean; lastSeq: number; lastSeenAt: string }>;
    };
    const k9 = fleet.kiosks.find((k) => k.id === 'K9');
    assert.deepEqual(k9 && { source: k9.source, connected: k9.connected, lastSeq: k9.lastSeq }, {
      source: 'enrolled',
      connected: true,
      lastSeq: 1,
    });
    assert.ok(k9 && !Number.isNaN(Date.parse(k9.lastSeenAt)));
    assert.equal(fleet.kiosks.find((k) => k.id === 'K1')?.source, 'config');

    // Revoked: the open stream is closed at once (4001) and the token is refused from then on.
    assert.equal(kioskCommand(dir, 'revoke', 'K9').status, 0);
    assert.equal(await stream.closed, 4001);
    await assert.rejects(TestStream.open(relay.url, 'K9', token), /HTTP 401/);
    assert.match(kioskCommand(dir, 'list').out, /^K9\trevoked /m);

    // Rotated: the old token's stream closes, the new token works.
    const k8 = kioskCommand(dir, 'add', 'K8').out;
    const old = await TestStream.open(relay.url, 'K8', k8);
    const rotated = kioskCommand(dir, 'rotate', 'K8').out;
    assert.notEqual(rotated, k8);
    assert.equal(await old.closed, 4001);
    await assert.rejects(TestStream.open(relay.url, 'K8', k8), /HTTP 401/);
    const fresh = await TestStream.open(relay.url, 'K8', rotated);
    await fresh.close();

    const dbBytes = fs.readFileSync(path.join(dir, 'relay.db')).toString('latin1');
    const walBytes = fs.existsSync(path.join(dir, 'relay.db-wal'))
      ? fs.readFileSync(path.join(dir, 'relay.db-wal')).toString('latin1')
      : '';
    for (const t of [token, k8, rotated])
      assert.ok(!(dbBytes + walBytes).includes(t), 'only digests are stored');
    assert.ok(!relay.logs.some((l) => JSON.stringify(l).includes(rotated)), 'tokens never logged');
  } finally {
    await relay.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
