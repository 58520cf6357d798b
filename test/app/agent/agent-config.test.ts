import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import {
  ConfigError,
  dispenserBaudRate,
  loadAgentConfig,
  parseAgentConfig,
} from '../../../app/agent/index.ts';
import { repoRoot } from '../../helpers/processes.ts';
import { tempDir } from '../../helpers/temp-dir.ts';

const valid = {
  kioskId: 'K0042',
  dataDir: 'data',
  alipay: {
    gatewayUrl: 'https://openapi.alipay.com/gateway.do',
    appId: '2021001161683774',
    privateKeyFile: 'keys/app.pem',
    alipayPublicKeyFile: 'keys/alipay.pem',
    notifyUrl: 'https://relay.example.com/alipay/notify',
  },
  relay: { url: 'https://relay.example.com', tokenFile: 'relay-token' },
  dispenser: { driver: 'fafb', path: '/dev/serial/by-id/usb-x' },
  planogram: [{ lane: 1, productId: 'W', name: 'Water', priceFen: 200, stock: 5, capacity: 10 }],
};

test('a valid config gets its defaults, and its file names are resolved against the config file', () => {
  const dir = tempDir();
  const file = path.join(dir, 'agent.json');
  fs.writeFileSync(file, JSON.stringify(valid));
  const config = loadAgentConfig(file);
  assert.equal(config.sale.paymentTimeoutSeconds, 120);
  assert.equal(dispenserBaudRate(config.dispenser), 57600);
  assert.equal(dispenserBaudRate({ ...config.dispenser, driver: 'zdm8' }), 9600);
  assert.equal(config.alipay.privateKeyFile, path.join(dir, 'keys/app.pem'));
  assert.equal(config.dataDir, path.join(dir, 'data'));
});

test('a wrong config names every problem at once', () => {
  const wrong = {
    ...valid,
    kioskId: 'K_42',
    alipay: { ...valid.alipay, appId: '123', notifyUrl: 'not a url' },
    planogram: [{ lane: 1, productId: 'W', name: 'Water', priceFen: 1.5, stock: 5, capacity: 10 }],
    privateKey: '-----BEGIN PRIVATE KEY-----',
  };
  assert.throws(
    () => parseAgentConfig(wrong),
    (err: Error) => {
      assert.ok(err instanceof ConfigError);
      for (const where of ['kioskId', 'alipay.appId', 'alipay.notifyUrl', 'planogram.0.priceFen', '(root)']) {
        assert.ok(err.message.includes(where), `${where} in:\n${err.message}`);
      }
      assert.ok(!err.message.includes('BEGIN PRIVATE KEY'), 'a secret pasted into the config is not echoed');
      return true;
    },
  );
});

test('a board profile (fafb) is optional, and names codes 0..255 only', () => {
  assert.equal(parseAgentConfig(valid).dispenser.fafbProfile, undefined, 'default: the conservative table');
  const profile = { model: 'X-100', notDelivered: [3] };
  assert.deepEqual(
    parseAgentConfig({ ...valid, dispenser: { ...valid.dispenser, fafbProfile: profile } }).dispenser
      .fafbProfile,
    profile,
  );
  assert.throws(
    () =>
      parseAgentConfig({
        ...valid,
        dispenser: { ...valid.dispenser, fafbProfile: { model: 'X', notDelivered: [300] } },
      }),
    /dispenser\.fafbProfile\.notDelivered\.0/,
  );
});

test('finished orders are kept 90 days unless sale.keepFinishedOrdersDays says 7 to 3650; anything else is refused by name', () => {
  assert.equal(parseAgentConfig(valid).sale.keepFinishedOrdersDays, 90, 'absent: the default');
  assert.equal(parseAgentConfig({ ...valid, sale: {} }).sale.keepFinishedOrdersDays, 90);
  for (const days of [7, 365, 3650]) {
    assert.equal(
      parseAgentConfig({ ...valid, sale: { keepFinishedOrdersDays: days } }).sale.keepFinishedOrdersDays,
      days,
    );
  }
  for (const [days, why] of [
    [6, /sale\.keepFinishedOrdersDays: Too small: expected number to be >=7/],
    [3651, /sale\.keepFinishedOrdersDays: Too big: expected number to be <=3650/],
    [30.5, /sale\.keepFinishedOrdersDays: .*expected int/],
    [null, /sale\.keepFinishedOrdersDays: .*expected number, received null/],
    ['90', /sale\.keepFinishedOrdersDays: .*expected number, received string/],
  ] as const) {
    assert.throws(
      () => parseAgentConfig({ ...valid, sale: { keepFinishedOrdersDays: days } }),
      (err: Error) => err instanceof ConfigError && why.test(err.message),
      String(days),
    );
  }
});

test('two products in one lane are refused', () => {
  const lane = valid.planogram[0]!;
  assert.throws(
    () => parseAgentConfig({ ...valid, planogram: [lane, { ...lane, productId: 'X' }] }),
    /lane 1 appears twice/,
  );
});

test('kiosk-agent with a broken config exits 1 with the reasons and starts nothing', () => {
  const dir = tempDir();
  const file = path.join(dir, 'agent.json');
  fs.writeFileSync(file, JSON.stringify({ ...valid, dispenser: { driver: 'mdb' } }));
  const run = spawnSync(process.execPath, [path.join(repoRoot, 'bin', 'kiosk-agent.js'), '--config', file], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  assert.equal(run.status, 1);
  assert.match(run.stderr, /dispenser\.driver/);
  assert.equal(run.stdout, '');
  const missing = spawnSync(
    process.execPath,
    [path.join(repoRoot, 'bin', 'kiosk-agent.js'), '--config', path.join(dir, 'nope.json')],
    {
      encoding: 'utf8',
      timeout: 30_000,
    },
  );
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /cannot read config/);
});

test('kiosk-agent --help explains the demo and production profiles', () => {
  const run = spawnSync(process.execPath, [path.join(repoRoot, 'bin', 'kiosk-agent.js'), '--help'], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  assert.equal(run.status, 0);
  assert.match(run.stdout, /demo profile/);
  assert.match(run.stdout, /--config FILE/);
});

test('kiosk-agent --hash-pin turns a PIN from stdin into a hash the agent accepts, and refuses a non-PIN', async () => {
  const { verifyPin } = await import('../../../app/maintenance/index.ts');
  const bin = path.join(repoRoot, 'bin', 'kiosk-agent.js');
  const run = spawnSync(process.execPath, [bin, '--hash-pin'], {
    input: '13579\n',
    encoding: 'utf8',
    timeout: 30_000,
  });
  assert.equal(run.status, 0, run.stderr);
  assert.ok(!run.stdout.includes('13579'));
  assert.equal(verifyPin('13579', run.stdout), true);
  const bad = spawnSync(process.execPath, [bin, '--hash-pin'], {
    input: 'secret\n',
    encoding: 'utf8',
    timeout: 30_000,
  });
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /4 to 12 digits/);
});

test('kiosk-agent --check-config reads every file the config names and says what it checked, or which file is wrong', async () => {
  const { writeKeyPair } = await import('../../helpers/key-files.ts');
  const { hashPin } = await import('../../../app/maintenance/index.ts');
  const dir = tempDir();
  const app = writeKeyPair(dir, 'app');
  const alipay = writeKeyPair(dir, 'alipay');
  fs.writeFileSync(path.join(dir, 'relay-token'), 'a-relay-token\n');
  fs.writeFileSync(path.join(dir, 'pin-hash'), hashPin('2468'));
  const config = {
    ...valid,
    alipay: {
      ...valid.alipay,
      privateKeyFile: app.privateKeyFile,
      alipayPublicKeyFile: alipay.publicKeyFile,
    },
    maintenance: { pinHashFile: 'pin-hash' },
  };
  const file = path.join(dir, 'agent.json');
  fs.writeFileSync(file, JSON.stringify(config));
  const bin = path.join(repoRoot, 'bin', 'kiosk-agent.js');
  const ok = spawnSync(process.execPath, [bin, '--check-config', file], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /app private key and Alipay public key load/);
  assert.match(ok.stdout, /maintenance PIN hash: valid/);
  assert.match(ok.stdout, /serial device \/dev\/serial\/by-id\/usb-x: NOT PRESENT/);
  assert.ok(
    !ok.stdout.includes('a-relay-token') && !ok.stdout.includes('PRIVATE KEY'),
    'no secret is printed',
  );

  // The public key where the private key belongs: the check names the file.
  fs.writeFileSync(
    file,
    JSON.stringify({ ...config, alipay: { ...config.alipay, privateKeyFile: app.publicKeyFile } }),
  );
  const wrong = spawnSync(process.execPath, [bin, '--check-config', file], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  assert.equal(wrong.status, 1);
  assert.ok(wrong.stderr.includes(app.publicKeyFile), wrong.stderr);
  assert.ok(!wrong.stderr.includes('BEGIN'), 'the key itself is not echoed');
});

test("the board's POLL pace: 100 ms while an order is open, 200 ms idle by default; false turns it off; only 0x16's range", () => {
  assert.deepEqual(parseAgentConfig(valid, 'x').dispenser.pollPace, {
    openMs: 100,
    idleMs: 200,
    idleAfterMs: 5000,
  });
  const withPace = (pollPace: unknown) =>
    parseAgentConfig({ ...valid, dispenser: { ...valid.dispenser, pollPace } }, 'x').dispenser.pollPace;
  assert.equal(withPace(false), false);
  assert.deepEqual(withPace({ openMs: 300 }), { openMs: 300, idleMs: 200, idleAfterMs: 5000 });
  for (const bad of [{ openMs: 50 }, { idleMs: 2100 }, { openMs: 150 }, true, { openMs: 100, x: 1 }]) {
    assert.throws(() => withPace(bad), ConfigError, JSON.stringify(bad));
  }
});
