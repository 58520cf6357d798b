// `notify-relay reconcile` in-process against a real alipay-sim and a relay database on disk: what it prints,
// its exit codes, --refund compensating once, and the configuration errors it refuses with.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { lateRefundNo } from '../../app/alipay/index.ts';
import { RelayConfigError, runReconcileCommand } from '../../backend-bridge/index.ts';
import { openRelayDb } from '../../backend-bridge/db.ts';
import type { AlipaySim, LedgerEntry } from '../../sim/alipay/index.ts';
import { APP_ID, makeClient, makeKeys, simGet, simPost, startSim } from '../sim/alipay/fixtures.ts';
import { tempDir } from './helpers.ts';

const keys = makeKeys();
const dir = tempDir();
const dbPath = path.join(dir, 'relay.db');
const outTradeNo = 'K1_20261129120000_cli1';
let sim: AlipaySim;
let day = '';

function write(name: string, text: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text, { mode: 0o600 });
  return file;
}
const publicKeyFile = write(
  'alipay_public.pem',
  keys.alipay.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
);
const privateKeyFile = write(
  'app_private.pem',
  keys.app.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
);

async function command(extra: string[], withCredentials = true) {
  const out: string[] = [];
  const err: string[] = [];
  const flags = ['--db', dbPath, '--app-id', APP_ID, '--alipay-public-key', publicKeyFile];
  if (withCredentials)
    flags.push('--alipay-gateway', `${sim.url}/gateway.do`, '--alipay-private-key', privateKeyFile);
  const code = await runReconcileCommand(
    [...extra, ...flags],
    {},
    (l) => out.push(l),
    (l) => err.push(l),
  );
  return { code, out, err: err.join('\n') };
}

before(async () => {
  sim = await startSim(keys);
  const client = makeClient(sim, keys);
  assert.equal((await client.precreate({ outTradeNo, totalFen: 450, subject: 'tea' })).kind, 'success');
  await simPost(sim, '/sim/pay', { outTradeNo });
  day = (await simGet<{ payments: LedgerEntry[] }>(sim, '/sim/ledger')).payments[0]?.at.slice(0, 10) ?? '';
  // The kiosk's account as the relay stored it: the order expired unpaid (its notify and query were lost).
  const db = openRelayDb(dbPath);
  db.prepare(
    'INSERT INTO telemetry (kiosk_id, event_id, type, at, data_json, received_at) VALUES (?, ?, ?, ?, ?, ?)',
  ).run(
    'K1',
    `sale:${outTradeNo}:expired`,
    'sale.settled',
    new Date().toISOString(),
    JSON.stringify({
      outTradeNo,
      state: 'expired',
      totalFen: 450,
      deliveredFen: 0,
      items: [{ priceFen: 450, vendState: 'pending' }],
    }),
    new Date().toISOString(),
  );
  db.close();
});

after(async () => {
  await sim?.close();
});

test('a day with a paid, undelivered sale: printed, exit 1; --refund compensates it once; then it agrees', async () => {
  const first = await command(['--date', day]);
  assert.equal(first.code, 1, first.err);
  assert.match(first.out[0] ?? '', new RegExp(`^${day}\\tdifferences\\t1 difference\\(s\\)\\tran `));
  assert.match(
    first.out[1] ?? '',
    new RegExp(`^${outTradeNo}\\tpaid_not_delivered\\tK1\\talipay 450\\tkiosk 0\\t`),
  );
  assert.equal(
    (await simGet<{ refunds: LedgerEntry[] }>(sim, '/sim/ledger')).refunds.length,
    0,
    'no refund without --refund',
  );

  const refund = await command(['--date', day, '--refund']);
  assert.equal(refund.code, 1);
  assert.ok(
    refund.out.includes(
      `refund\t${outTradeNo}\t${lateRefundNo(outTradeNo)}\t450\trefunded\tAlipay refunded 450 fen (trade refunded 450 fen in all)`,
    ),
    refund.out.join('\n'),
  );
  const ledger = await simGet<{ refunds: LedgerEntry[] }>(sim, '/sim/ledger');
  assert.deepEqual(
    ledger.refunds.map((r) => [r.outTradeNo, r.fen]),
    [[outTradeNo, 450]],
  );

  const after = await command([`--date=${day}`, '--refund']);
  assert.equal(after.code, 0, after.out.join('\n'));
  assert.deepEqual(after.out.slice(1), [], 'nothing differs, nothing refunded again');
  assert.ok(
    !after.err.includes('PRIVATE KEY') &&
      !after.err.includes(
        keys.app.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString().split('\n')[1] ?? '-',
      ),
  );
});

test('no bill yet: exit 3 with the reason', async () => {
  await simPost(sim, '/sim/faults', { billNotReadyNext: 1 });
  const run = await command(['--date', day]);
  assert.equal(run.code, 3);
  assert.match(run.out.join('\n'), /failed[\s\S]*error\tnot_ready: /);
});

test('refused: a bad date, no Alipay credentials, a stray argument', async () => {
  for (const [args, withCredentials, message] of [
    [['--date', '2026-02-30'], true, /not a day/],
    [['--date'], true, /--date "--db" is not a day/],
    [['--date', day], false, /needs the Alipay gateway and app private key/],
    [['--date', day, 'extra'], true, /extra/],
    [['--date', day, '--refund=yes'], true, /--refund takes no value/],
  ] as const) {
    await assert.rejects(command([...args], withCredentials), (err: unknown) => {
      assert.ok(err instanceof RelayConfigError, String(err));
      assert.match(err.message, message);
      return true;
    });
  }
});
