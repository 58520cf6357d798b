import assert from 'node:assert/strict';
import { generateKeyPairSync, randomInt } from 'node:crypto';
import { after, before, test } from 'node:test';
import { AlipaySdk } from 'alipay-sdk';
import {
  extractResponse,
  loadPrivateKey,
  notifySignContent,
  parseNotifyBody,
  signContent,
  signParams,
  verifyNotify,
} from '../../../app/alipay/index.ts';
import type { AlipaySim } from '../../../sim/alipay/index.ts';
import { APP_ID, makeClient, makeKeys, startSim } from '../../sim/alipay/fixtures.ts';
import { vectorFile } from './vectors.ts';

// npm alipay-sdk 4.14 as an independent oracle (research/alipay.md §9).

const pem = (
  k: { export(o: { format: 'pem'; type: 'pkcs8' | 'spki' }): string | Buffer },
  type: 'pkcs8' | 'spki',
): string => k.export({ format: 'pem', type }).toString();

test('our request signature is byte-identical to sdk.sdkExecute for the same params and key', () => {
  const privatePem = vectorFile('keys/nodesdk_app-private-key_pkcs8.pem');
  const sdk = new AlipaySdk({
    appId: '2021000122671080',
    privateKey: privatePem,
    keyType: 'PKCS8',
    signType: 'RSA2',
  });
  const biz = {
    out_trade_no: 'K1-20240101-0001',
    total_amount: '0.01',
    subject: '测试 商品 +&=%',
    store_id: 'S001',
  };
  const query = new URLSearchParams(
    sdk.sdkExecute('alipay.trade.precreate', {
      bizContent: biz,
      notifyUrl: 'https://example.com/alipay/notify',
    }),
  );
  const theirs = Object.fromEntries(query);
  const ours = {
    app_id: '2021000122671080',
    method: 'alipay.trade.precreate',
    charset: 'utf-8',
    sign_type: 'RSA2',
    version: '1.0',
    timestamp: theirs.timestamp, // the SDK uses local time; the instant is taken from its output
    notify_url: 'https://example.com/alipay/notify',
    biz_content: JSON.stringify(biz),
  };
  const { sign: theirSign, ...theirUnsigned } = theirs;
  assert.deepEqual(theirUnsigned, ours, 'same parameter set');
  assert.ok(theirSign);
  assert.equal(signParams(ours, loadPrivateKey(privatePem)), theirSign);
});

const ALPHABET = [
  'a',
  'Z',
  '0',
  '9',
  ' ',
  '+',
  '%',
  '&',
  '=',
  '?',
  '#',
  '/',
  '\\',
  '"',
  "'",
  '<',
  '>',
  '{',
  '}',
  '[',
  ']',
  ':',
  ',',
  '测',
  '试',
  '商',
  '品',
  '😀',
  '🥤',
  '\u00e9',
  '%2B',
  '%E6',
  '&quot;',
  '&amp;',
  '<b>',
  '{"amount":"0.10"}',
  '\t',
  '~',
  '.',
];

function randomValue(): string {
  const n = 1 + randomInt(24);
  let s = '';
  for (let i = 0; i < n; i++) s += ALPHABET[randomInt(ALPHABET.length)] ?? '';
  return s;
}

test('verifyNotify agrees with sdk.checkNotifySignV2 on 1000 generated notifications', () => {
  const alipay = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const sdk = new AlipaySdk({
    appId: APP_ID,
    privateKey: pem(alipay.privateKey, 'pkcs8'),
    keyType: 'PKCS8',
    alipayPublicKey: pem(alipay.publicKey, 'spki'),
  });
  let valid = 0;
  for (let i = 0; i < 1000; i++) {
    const params: Record<string, string> = {
      notify_type: 'trade_status_sync',
      app_id: APP_ID,
      out_trade_no: `O${i}`,
      trade_no: `T${i}`,
      trade_status: 'TRADE_SUCCESS',
      total_amount: '12.30',
      subject: randomValue(),
      body: randomValue(),
      passback_params: randomValue(),
      fund_bill_list: JSON.stringify([{ amount: '12.30', fundChannel: randomValue() }]),
      sign_type: 'RSA2',
    };
    params.sign = signContent(notifySignContent(params), alipay.privateKey);
    if (i % 2 === 1) params.subject = `${params.subject}x`; // every other one tampered
    const body = new URLSearchParams(params).toString();
    const decoded = parseNotifyBody(body);
    const ours = verifyNotify(decoded, alipay.publicKey);
    const theirs = sdk.checkNotifySignV2({ ...decoded });
    assert.equal(ours, theirs, `notification ${i}: ${body.slice(0, 200)}`);
    assert.equal(ours, i % 2 === 0);
    if (ours) valid++;
  }
  assert.equal(valid, 500);
});

let sim: AlipaySim;
const keys = makeKeys();
before(async () => {
  sim = await startSim(keys);
});
after(async () => {
  await sim.close();
});

test('alipay-sim responses pass the SDK checkResponseSign', async () => {
  const bodies: string[] = [];
  const capture: typeof fetch = async (input, init) => {
    const res = await fetch(input, init);
    const text = await res.text();
    bodies.push(text);
    return new Response(text, { status: res.status });
  };
  const client = makeClient(sim, keys, { fetchImpl: capture });
  await client.precreate({ outTradeNo: 'O-sdk', totalFen: 1, subject: 'x' });
  await client.query({ outTradeNo: 'O-sdk' }); // ACQ.TRADE_NOT_EXIST, signed too
  const sdk = new AlipaySdk({
    appId: APP_ID,
    privateKey: pem(keys.app.privateKey, 'pkcs8'),
    keyType: 'PKCS8',
    alipayPublicKey: pem(keys.alipay.publicKey, 'spki'),
  });
  const methods = ['alipay.trade.precreate', 'alipay.trade.query'];
  assert.equal(bodies.length, 2);
  bodies.forEach((raw, i) => {
    const method = methods[i] ?? '';
    if (i === 0) assert.ok(raw.includes('"http:\\/\\/127.0.0.1'), 'qr_code slashes escaped like Alipay');
    const { sign } = extractResponse(raw, method);
    assert.ok(sign);
    assert.doesNotThrow(() =>
      sdk.checkResponseSign(raw, `${method.replace(/\./g, '_')}_response`, sign, 'trace'),
    );
    assert.throws(() =>
      sdk.checkResponseSign(
        raw.replace('"code"', ' "code"'),
        `${method.replace(/\./g, '_')}_response`,
        sign,
        'trace',
      ),
    );
  });
});
