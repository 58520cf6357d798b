import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { AlipayClient } from '../../../app/alipay/index.ts';
import { repoRoot } from '../../app/alipay/vectors.ts';

test('alipay-sim CLI prints ready JSON, serves the gateway, exits 0 on SIGTERM', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'alipay-sim-cli-'));
  try {
    const app = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const alipay = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const appPub = path.join(dir, 'app.pub.pem');
    const simKey = path.join(dir, 'sim.key.pem');
    writeFileSync(appPub, app.publicKey.export({ format: 'pem', type: 'spki' }));
    writeFileSync(simKey, alipay.privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600 });
    const child = spawn(
      process.execPath,
      [
        path.join(repoRoot, 'bin', 'alipay-sim.js'),
        '--host',
        '127.0.0.1',
        '--port',
        '0',
        '--app-id',
        'A1',
        '--app-public-key',
        appPub,
        '--private-key',
        simKey,
        '--time-scale',
        '60',
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const firstLine = await new Promise<string>((resolve) =>
      createInterface({ input: child.stdout }).once('line', resolve),
    );
    const ready = JSON.parse(firstLine) as { ready: boolean; url: string };
    assert.equal(ready.ready, true);
    assert.match(ready.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const client = new AlipayClient({
      gatewayUrl: `${ready.url}/gateway.do`,
      appId: 'A1',
      privateKey: app.privateKey,
      alipayPublicKey: alipay.publicKey,
    });
    const res = await client.precreate({ outTradeNo: 'CLI-1', totalFen: 1, subject: 'x' });
    assert.ok(res.kind === 'success' && res.value.qrCode.startsWith(`${ready.url}/qr/`));
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('alipay-sim --help and bad arguments', async () => {
  const run = (args: string[]): Promise<{ code: number | null; out: string }> =>
    new Promise((resolve) => {
      const child = spawn(process.execPath, [path.join(repoRoot, 'bin', 'alipay-sim.js'), ...args], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      child.on('exit', (code) => resolve({ code, out }));
    });
  const help = await run(['--help']);
  assert.equal(help.code, 0);
  assert.match(help.out, /--app-public-key/);
  const missing = await run(['--app-id', 'A1']);
  assert.equal(missing.code, 2);
  assert.match(missing.out, /required/);
});
