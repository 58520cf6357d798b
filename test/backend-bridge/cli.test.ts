// The notify-relay program: configuration parsing and the real process (ready line, SIGTERM exit 0).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseRelayCli, RelayConfigError } from '../../backend-bridge/index.ts';
import { APP_ID, TestStream, alipayPublicKey, postNotify, signedNotify, tempDir } from './helpers.ts';

const BIN = fileURLToPath(new URL('../../bin/notify-relay.js', import.meta.url));

function fixture(): { dir: string; keyFile: string; tokenFile: string } {
  const dir = tempDir();
  const keyFile = path.join(dir, 'alipay_public.pem');
  fs.writeFileSync(keyFile, alipayPublicKey.export({ type: 'spki', format: 'pem' }));
  const tokenFile = path.join(dir, 'K1.token');
  fs.writeFileSync(tokenFile, 'cli-token-for-k1-000000\n', { mode: 0o600 });
  return { dir, keyFile, tokenFile };
}

describe('parseRelayCli', () => {
  test('flags: kiosk tokens come from files (@ or bare path) or env, never from the argument itself', () => {
    const { dir, keyFile, tokenFile } = fixture();
    try {
      const r = parseRelayCli(
        [
          '--db',
          path.join(dir, 'r.db'),
          '--app-id',
          APP_ID,
          '--alipay-public-key',
          keyFile,
          '--port',
          '8080',
          '--kiosk',
          `K1:@${tokenFile}`,
          '--kiosk',
          `K2:${tokenFile}`,
          '--kiosk',
          'K3:env:K3_TOKEN',
        ],
        { K3_TOKEN: 'from-env-token' },
      );
      assert.equal(r.help, false);
      if (r.help) return;
      assert.equal(r.options.port, 8080);
      assert.equal(r.options.host, '127.0.0.1');
      assert.deepEqual(r.options.kiosks, [
        { id: 'K1', token: 'cli-token-for-k1-000000' },
        { id: 'K2', token: 'cli-token-for-k1-000000' },
        { id: 'K3', token: 'from-env-token' },
      ]);
      assert.deepEqual(r.warnings, []);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('config file with paths relative to it; flags override it', () => {
    const { dir } = fixture();
    try {
      const cfg = path.join(dir, 'relay.json');
      fs.writeFileSync(
        cfg,
        JSON.stringify({
          port: 9000,
          db: 'relay.db',
          alipay: { appId: APP_ID, publicKeyFile: 'alipay_public.pem', sellerId: '2088' },
          kiosks: [{ id: 'K1', tokenFile: 'K1.token' }],
        }),
      );
      const r = parseRelayCli(['--config', cfg, '--port', '0'], {});
      if (r.help) throw new Error('unexpected help');
      assert.equal(r.options.dbPath, path.join(dir, 'relay.db'));
      assert.equal(r.options.port, 0);
      assert.equal(r.options.alipay.sellerId, '2088');
      assert.equal(r.options.kiosks[0]?.token, 'cli-token-for-k1-000000');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('bad configurations are refused with a message that says what to fix', () => {
    const { dir, keyFile, tokenFile } = fixture();
    const base = ['--db', path.join(dir, 'r.db'), '--app-id', APP_ID, '--alipay-public-key', keyFile];
    const refuses = (argv: string[], pattern: RegExp, env: NodeJS.ProcessEnv = {}): void =>
      assert.throws(
        () => parseRelayCli(argv, env),
        (e: unknown) => e instanceof RelayConfigError && pattern.test(e.message),
      );
    try {
      refuses(['--app-id', APP_ID], /no database/);
      refuses([...base.slice(0, 4)], /no Alipay public key/);
      refuses([...base, '--kiosk', 'K1'], /expected ID:@TOKENFILE/);
      refuses([...base, '--kiosk', 'K1:env:MISSING'], /MISSING is not set/);
      refuses([...base, '--kiosk', `K1:@${path.join(dir, 'nope')}`], /cannot read token file of kiosk K1/);
      refuses(['--db', 'x', '--app-id', APP_ID, '--alipay-public-key', tokenFile], /Alipay public key/);
      refuses([...base, '--port', 'eighty'], /not a port/);
      refuses([...base, '--bogus'], /bogus/);
      const pg = ['--app-id', APP_ID, '--alipay-public-key', keyFile];
      refuses([...pg, '--database', 'postgres://relay:hunter2@db/relay'], /carries a password.*PGPASSWORD/);
      refuses([...pg, '--database', 'mysql://db/relay'], /must start with postgres/);
      const cfg = path.join(dir, 'bad.json');
      fs.writeFileSync(cfg, JSON.stringify({ db: 'x', kiosks: [{ id: 'K1', token: 'inline-secret' }] }));
      refuses(['--config', cfg], /config file .*kiosks/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('--database or database.url selects PostgreSQL instead of the SQLite file', () => {
    const { dir, keyFile } = fixture();
    try {
      const cfg = path.join(dir, 'pg.json');
      const url = 'postgres://relay@127.0.0.1:5432/relay';
      fs.writeFileSync(
        cfg,
        JSON.stringify({ database: { url }, alipay: { appId: APP_ID, publicKeyFile: keyFile } }),
      );
      const fromFile = parseRelayCli(['--config', cfg], {});
      const fromFlag = parseRelayCli(
        ['--database', url, '--app-id', APP_ID, '--alipay-public-key', keyFile],
        {},
      );
      for (const r of [fromFile, fromFlag]) {
        if (r.help) throw new Error('unexpected help');
        assert.equal(r.options.databaseUrl, url);
        assert.equal(r.options.dbPath, undefined);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a world-readable token file is accepted with a warning', () => {
    const { dir, keyFile, tokenFile } = fixture();
    try {
      fs.chmodSync(tokenFile, 0o644);
      const r = parseRelayCli(
        ['--db', 'x', '--app-id', APP_ID, '--alipay-public-key', keyFile, '--kiosk', `K1:@${tokenFile}`],
        {},
      );
      if (r.help) throw new Error('unexpected help');
      assert.match(r.warnings.join('\n'), /chmod 600/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('notify-relay process', () => {
  test('prints the ready line, relays a notify to a kiosk, and exits 0 on SIGTERM', async () => {
    const { dir, keyFile, tokenFile } = fixture();
    const child = spawn(
      process.execPath,
      [
        BIN,
        '--db',
        path.join(dir, 'relay.db'),
        '--app-id',
        APP_ID,
        '--alipay-public-key',
        keyFile,
        '--kiosk',
        `K1:@${tokenFile}`,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const lines = createInterface({ input: child.stdout });
      const first = await new Promise<string>((resolve, reject) => {
        lines.once('line', resolve);
        child.once('exit', () => reject(new Error(`exited before ready: ${stderr}`)));
      });
      const ready = JSON.parse(first) as { ready: boolean; url: string };
      assert.equal(ready.ready, true);
      assert.match(ready.url, /^http:\/\/127\.0\.0\.1:\d+$/);

      const stream = await TestStream.open(ready.url, 'K1', 'cli-token-for-k1-000000');
      stream.send({ type: 'hello', lastSeq: 0 });
      const body = signedNotify({ out_trade_no: 'K1_cli-1' });
      assert.equal((await postNotify(ready.url, body)).text, 'success');
      assert.equal((await stream.next()).body, body);

      child.kill('SIGTERM');
      assert.equal(await exited, 0);
      assert.equal(await stream.closed, 1001);
      assert.ok(!stderr.includes('cli-token-for-k1-000000'), 'token never logged');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      await exited;
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
