// `kiosk-agent --check-config`: every problem in one pass, the mistakes operators really make, no hang on a
// path that cannot be made, and a usage line (not a stack trace) for a flag it does not know.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { checkConfigFile } from '../../../app/agent/index.ts';
import { writeKeyPair } from '../../helpers/key-files.ts';
import { repoRoot } from '../../helpers/processes.ts';
import { tempDir } from '../../helpers/temp-dir.ts';

const bin = path.join(repoRoot, 'bin', 'kiosk-agent.js');

function writeConfig(patch: (config: Record<string, unknown>) => Record<string, unknown>) {
  const dir = tempDir();
  const app = writeKeyPair(dir, 'app');
  const alipay = writeKeyPair(dir, 'alipay');
  fs.writeFileSync(path.join(dir, 'relay-token'), 'a-relay-token\n');
  const config = {
    kioskId: 'K0042',
    dataDir: 'data',
    alipay: {
      gatewayUrl: 'https://openapi.alipay.com/gateway.do',
      appId: '2021001161683774',
      privateKeyFile: app.privateKeyFile,
      alipayPublicKeyFile: alipay.publicKeyFile,
      notifyUrl: 'https://relay.example.com/alipay/notify',
    },
    relay: { url: 'https://relay.example.com', tokenFile: 'relay-token' },
    dispenser: { driver: 'fafb', path: '/dev/serial/by-id/usb-x' },
    planogram: [
      { lane: 1, productId: 'W', name: 'Water', priceFen: 200, stock: 5, capacity: 10 },
      { lane: 2, productId: 'C', name: 'Cola', priceFen: 300, stock: 5, capacity: 10 },
    ],
  };
  const file = path.join(dir, 'agent.json');
  fs.writeFileSync(file, JSON.stringify(patch(config as unknown as Record<string, unknown>)));
  return { file, app, alipay, config };
}

test('field errors and rule errors come in one pass: a bad field, a duplicate lane, stock above capacity, a query in notifyUrl, an http gateway', () => {
  const { file } = writeConfig((c) => ({
    ...c,
    kioskId: 'K_42',
    alipay: {
      ...(c['alipay'] as object),
      gatewayUrl: 'http://openapi.alipay.com/gateway.do',
      notifyUrl: 'https://relay.example.com/alipay/notify?kiosk=K42',
    },
    planogram: [
      { lane: 1, productId: 'W', name: 'Water', priceFen: 200, stock: 12, capacity: 10 },
      { lane: 1, productId: 'C', name: 'Cola', priceFen: 300, stock: 5, capacity: 10 },
    ],
  }));
  const { problems } = checkConfigFile(file);
  const text = problems.join('\n');
  for (const expected of [
    /^kioskId: /m,
    /planogram\.1: lane 1 appears twice/,
    /planogram\.0\.stock: 12 is more than the lane's capacity 10/,
    /alipay\.notifyUrl: must not carry a query string/,
    /alipay\.gatewayUrl: must be https:\/\//,
  ]) {
    assert.match(text, expected);
  }
  assert.equal(problems.length, 5, text);
});

test('a retention out of range is a problem naming the key and its bound; the valid default is reported', () => {
  const { file } = writeConfig((c) => ({ ...c, sale: { keepFinishedOrdersDays: 3 } }));
  assert.deepEqual(checkConfigFile(file).problems, [
    'sale.keepFinishedOrdersDays: Too small: expected number to be >=7',
  ]);
  const run = spawnSync(process.execPath, [bin, '--check-config', file], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  assert.equal(run.status, 1, run.stderr);
  assert.match(run.stderr, /sale\.keepFinishedOrdersDays: Too small: expected number to be >=7/);
  assert.doesNotMatch(run.stderr, /\n\s+at /, 'no stack trace');
  const good = writeConfig((c) => c);
  assert.match(checkConfigFile(good.file).checked.join('\n'), /finished orders kept 90 days/);
});

test("the app's own public key given as Alipay's public key is refused, naming the file", () => {
  const { file, app } = writeConfig((c) => c);
  const config = JSON.parse(fs.readFileSync(file, 'utf8')) as { alipay: Record<string, string> };
  config.alipay['alipayPublicKeyFile'] = app.publicKeyFile;
  fs.writeFileSync(file, JSON.stringify(config));
  const { problems } = checkConfigFile(file);
  assert.equal(problems.length, 1, problems.join('\n'));
  assert.ok(problems[0]!.startsWith(app.publicKeyFile), problems[0]);
  assert.match(problems[0]!, /public key of the app's own private key, not Alipay's/);
});

test('every bad file is listed together with an unwritable data directory under /proc, without hanging', () => {
  const { file } = writeConfig((c) => ({
    ...c,
    dataDir: '/proc/f2f',
    relay: { url: 'https://relay.example.com', tokenFile: 'missing-token' },
    maintenance: { pinHashFile: 'missing-pin-hash' },
  }));
  const run = spawnSync(process.execPath, [bin, '--check-config', file], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  assert.equal(run.signal, null, 'the check finished on its own');
  assert.equal(run.status, 1, run.stderr);
  assert.match(run.stderr, /3 problem\(s\)/);
  assert.match(run.stderr, /relay token from .*missing-token/);
  assert.match(run.stderr, /maintenance PIN hash from .*missing-pin-hash/);
  assert.match(run.stderr, /data directory \/proc\/f2f is not writable/);
  assert.doesNotMatch(run.stderr, /\n\s+at /, 'no stack trace');
});

test('a valid configuration is reported valid, with what was checked', () => {
  const { file } = writeConfig((c) => ({ ...c, host: { browser: { args: ['--ozone-platform=x11'] } } }));
  const { problems, checked } = checkConfigFile(file);
  assert.deepEqual(problems, []);
  assert.match(checked.join('\n'), /screen: the agent starts \/usr\/bin\/chromium full screen/);
});

test('an unknown flag or a bad --port gets one usage line and exit code 2, not a stack trace', () => {
  for (const args of [['--bogus'], ['--port', 'eighty']]) {
    const run = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(run.status, 2, run.stderr);
    assert.match(run.stderr, /^kiosk-agent: .+\nusage: kiosk-agent /);
    assert.doesNotMatch(run.stderr, /\n\s+at /);
    assert.equal(run.stdout, '');
  }
});

test('product pictures: a good one loads, a missing, oversized or mislabelled one is a problem naming the file', () => {
  const { file } = writeConfig((c) => c);
  const dir = path.dirname(file);
  const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0]);
  fs.writeFileSync(path.join(dir, 'cola.png'), png);
  fs.writeFileSync(path.join(dir, 'fake.jpg'), png);
  fs.writeFileSync(path.join(dir, 'huge.png'), Buffer.concat([png, Buffer.alloc(300 * 1024)]));
  const config = JSON.parse(fs.readFileSync(file, 'utf8')) as { planogram: Array<Record<string, unknown>> };
  const base = config.planogram[0]!;
  config.planogram = [
    { ...base, lane: 1, productId: 'A', image: 'cola.png' },
    { ...base, lane: 2, productId: 'B', image: 'fake.jpg' },
    { ...base, lane: 3, productId: 'C', image: 'huge.png' },
    { ...base, lane: 4, productId: 'D', image: 'missing.webp' },
    { ...base, lane: 5, productId: 'E', image: 'notes.txt' },
  ];
  fs.writeFileSync(file, JSON.stringify(config));
  const { problems } = checkConfigFile(file);
  const text = problems.join('\n');
  assert.equal(problems.length, 4, text);
  assert.match(text, /fake\.jpg: the file is not an image\/jpeg picture/);
  assert.match(text, /huge\.png: \d+ bytes; a product picture may have at most 262144/);
  assert.match(text, /missing\.webp: cannot read the product picture/);
  assert.match(text, /notes\.txt: a product picture must be \.png, \.jpg or \.webp/);
  assert.doesNotMatch(text, /cola\.png/);
});
