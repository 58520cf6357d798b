// Reconciliation's configuration through the relay's own parser: the credentials from files only, the schedule's
// defaults, and every wrong setting refused with a message that names the setting and never the key.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { parseRelayCli, RelayConfigError } from '../../../backend-bridge/index.ts';
import { pick, randomInt, seededRandom } from '../../helpers/seeded-random.ts';
import { APP_ID, alipayPublicKey, tempDir } from '../helpers.ts';

const appKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
const PEM = appKey.export({ type: 'pkcs8', format: 'pem' }).toString();

function setup(reconcile: unknown, alipay: Record<string, unknown> = {}, keyMode = 0o600) {
  const dir = tempDir();
  fs.writeFileSync(
    path.join(dir, 'alipay_public.pem'),
    alipayPublicKey.export({ type: 'spki', format: 'pem' }),
  );
  fs.writeFileSync(path.join(dir, 'app_private.pem'), PEM, { mode: keyMode });
  fs.chmodSync(path.join(dir, 'app_private.pem'), keyMode);
  const config = {
    db: 'relay.db',
    alipay: {
      appId: APP_ID,
      publicKeyFile: 'alipay_public.pem',
      gatewayUrl: 'https://openapi.alipay.com/gateway.do',
      privateKeyFile: 'app_private.pem',
      ...alipay,
    },
    ...(reconcile !== undefined ? { reconcile } : {}),
  };
  const file = path.join(dir, 'relay.json');
  fs.writeFileSync(file, JSON.stringify(config));
  return { dir, file };
}

function options(file: string) {
  const r = parseRelayCli(['--config', file], {});
  assert.ok(!r.help);
  return r;
}

test('credentials and a reconcile section: a daily run at 10:00 Beijing, no auto-refund, unless configured', () => {
  const plain = options(setup({}).file);
  assert.equal(plain.options.reconcile?.dailyAt, '10:00');
  assert.equal(plain.options.reconcile?.autoRefund, false);
  assert.equal(plain.options.reconcile?.gatewayUrl, 'https://openapi.alipay.com/gateway.do');
  assert.equal(plain.options.reconcile?.privateKey.type, 'private');

  const set = options(setup({ at: '11:30', autoRefund: true }).file);
  assert.equal(set.options.reconcile?.dailyAt, '11:30');
  assert.equal(set.options.reconcile?.autoRefund, true);

  const off = options(setup({ enabled: false }).file);
  assert.ok(off.options.reconcile, 'on demand (API, command line) it still works');
  assert.equal(off.options.reconcile.dailyAt, undefined);

  const none = options(setup(undefined).file);
  assert.equal(none.options.reconcile?.dailyAt, undefined, 'credentials alone schedule nothing');

  const bare = options(setup(undefined, { gatewayUrl: undefined, privateKeyFile: undefined }).file);
  assert.equal(bare.options.reconcile, undefined);
});

test('flags give the gateway and the key file; a key readable by others is warned about', () => {
  const { dir, file } = setup(undefined, { gatewayUrl: undefined, privateKeyFile: undefined }, 0o644);
  const r = parseRelayCli(
    [
      '--config',
      file,
      '--alipay-gateway',
      'http://127.0.0.1:9/gateway.do',
      '--alipay-private-key',
      path.join(dir, 'app_private.pem'),
    ],
    {},
  );
  assert.ok(!r.help);
  assert.equal(r.options.reconcile?.gatewayUrl, 'http://127.0.0.1:9/gateway.do');
  assert.ok(r.warnings.some((w) => /app private key .* readable by group\/others/.test(w)));
});

test('wrong settings are refused with the setting named and the key never shown', () => {
  const bad: Array<[unknown, Record<string, unknown>, RegExp]> = [
    [{ at: '25:00' }, {}, /reconcile\.at: must be HH:MM/],
    [{ at: '9:00' }, {}, /reconcile\.at/],
    [{ every: 'day' }, {}, /reconcile/],
    [{ autoRefund: 'yes' }, {}, /reconcile\.autoRefund/],
    [{}, { gatewayUrl: undefined, privateKeyFile: undefined }, /reconcile needs the Alipay gateway/],
    [undefined, { gatewayUrl: undefined }, /set alipay\.gatewayUrl too/],
    [undefined, { privateKeyFile: undefined }, /set alipay\.privateKeyFile too/],
    [undefined, { gatewayUrl: 'ftp://example.com/' }, /not an http\(s\) URL/],
    [undefined, { gatewayUrl: 'not a url' }, /alipay\.gatewayUrl/],
    [undefined, { privateKeyFile: 'missing.pem' }, /cannot read app private key/],
    [undefined, { privateKeyFile: 'alipay_public.pem' }, /app private key .*alipay_public\.pem/],
  ];
  for (const [reconcile, alipay, message] of bad) {
    const { file } = setup(reconcile, alipay);
    assert.throws(
      () => parseRelayCli(['--config', file], {}),
      (err: unknown) => {
        assert.ok(err instanceof RelayConfigError, String(err));
        assert.match(err.message, message);
        assert.ok(!err.message.includes('PRIVATE KEY') && !err.message.includes(PEM.split('\n')[1] ?? ''));
        return true;
      },
      JSON.stringify([reconcile, alipay]),
    );
  }
});

test('random reconcile sections and Alipay settings: parsed, or refused with a RelayConfigError, nothing else', () => {
  const seed = Number(process.env['FUZZ_SEED'] ?? Date.now() % 100_000);
  const random = seededRandom(seed);
  const values: unknown[] = [
    true,
    false,
    null,
    0,
    -1,
    Number.MAX_VALUE * 2,
    '',
    '10:00',
    '24:00',
    '23:59',
    'https://openapi.alipay.com/gateway.do',
    'javascript:alert(1)',
    '../../etc/passwd',
    'app_private.pem',
    'alipay_public.pem',
    '\u0000',
    [],
    {},
    { at: '10:00' },
    'x'.repeat(5000),
  ];
  const keys = ['enabled', 'at', 'autoRefund', 'every', '__proto__', 'constructor'];
  for (let i = 0; i < 150; i++) {
    const section: Record<string, unknown> = {};
    for (let k = randomInt(random, 4); k > 0; k--) section[pick(random, keys)] = pick(random, values);
    const alipay = {
      gatewayUrl: pick(random, [...values, undefined]),
      privateKeyFile: pick(random, [...values, undefined]),
    };
    const { file } = setup(pick(random, [section, undefined, pick(random, values)]), alipay);
    try {
      const r = parseRelayCli(['--config', file], {});
      assert.ok(!r.help);
      const reconcile = r.options.reconcile;
      if (reconcile) {
        assert.equal(reconcile.privateKey.type, 'private', `seed ${seed}`);
        assert.ok(reconcile.dailyAt === undefined || /^\d\d:\d\d$/.test(reconcile.dailyAt), `seed ${seed}`);
      }
    } catch (err) {
      assert.ok(err instanceof RelayConfigError, `seed ${seed}: ${String(err)}`);
      assert.ok(!err.message.includes('PRIVATE KEY'), `seed ${seed}: ${err.message}`);
    }
  }
});
