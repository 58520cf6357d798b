import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  buildSignContent,
  extractResponse,
  loadPrivateKey,
  loadPublicKey,
  signContent,
  signParams,
  verifyContent,
} from '../../../app/alipay/index.ts';
import { changeOneChar, vectorFile, vectors } from './vectors.ts';

const golden = vectors.request_sign_selfmade;

test('the golden precreate request signs byte-identically from its params', () => {
  const key = loadPrivateKey(vectorFile(golden.key_private));
  const params = {
    app_id: '2021000122671080',
    method: 'alipay.trade.precreate',
    format: 'JSON',
    charset: 'utf-8',
    sign_type: 'RSA2',
    timestamp: '2024-01-01 12:00:00',
    version: '1.0',
    notify_url: 'https://example.com/alipay/notify',
    app_auth_token: '', // empty: must be dropped
    sign: 'ignored',
    biz_content:
      '{"out_trade_no":"K1-20240101-0001","total_amount":"0.01","subject":"测试商品","store_id":"S001","terminal_id":"K1","timeout_express":"5m"}',
  };
  assert.equal(buildSignContent(params), golden.content);
  assert.equal(signParams(params, key), golden.sign);
  assert.equal(
    signParams(params, loadPrivateKey(vectorFile('keys/nodesdk_app-private-key_pkcs8.pem'))),
    golden.sign,
  );
  const pub = loadPublicKey(vectorFile(golden.key_public));
  assert.ok(verifyContent(golden.content, golden.sign, pub));
});

test('buildSignContent drops sign, excluded, empty, null and undefined; sorts; no encoding', () => {
  assert.equal(
    buildSignContent({ b: '2', a: '1 +&=%', sign: 'x', sign_type: 'RSA2', e: '', n: null, u: undefined }, [
      'sign_type',
    ]),
    'a=1 +&=%&b=2',
  );
});

test('every signed vector verifies, and fails with any single byte changed', () => {
  const cases: { name: string; content: string; sign: string; key: string }[] = [];
  cases.push({ name: 'request', content: golden.content, sign: golden.sign, key: golden.key_public });
  for (const r of vectors.responses_reconstructed)
    cases.push({ name: r.name, content: r.source, sign: r.sign, key: r.key });
  for (const n of vectors.notify) {
    cases.push({
      name: n.name,
      content: buildSignContent(n.params, n.exclude),
      sign: n.params.sign ?? '',
      key: n.key,
    });
  }
  for (const r of vectors.return_url) {
    const params = Object.fromEntries(new URLSearchParams(r.query));
    cases.push({
      name: r.name,
      content: buildSignContent(params, r.exclude),
      sign: params.sign ?? '',
      key: r.key,
    });
  }
  for (const r of vectors.responses) {
    const extracted = extractResponse(r.raw, r.method);
    cases.push({ name: r.name, content: extracted.signedText, sign: extracted.sign ?? '', key: r.key });
  }
  assert.ok(cases.length >= 11);
  for (const c of cases) {
    const key = loadPublicKey(vectorFile(c.key));
    assert.ok(verifyContent(c.content, c.sign, key), `${c.name} verifies`);
    for (let i = 0; i < c.content.length; i += Math.max(1, Math.floor(c.content.length / 40))) {
      assert.ok(
        !verifyContent(changeOneChar(c.content, i), c.sign, key),
        `${c.name}: content byte ${i} changed`,
      );
    }
    for (let i = 0; i < c.sign.length - 2; i += 17) {
      assert.ok(
        !verifyContent(c.content, changeOneChar(c.sign, i), key),
        `${c.name}: sign char ${i} changed`,
      );
    }
  }
});

test('escaped slashes are part of what Alipay signed: unescaping breaks the precreate vector', () => {
  const pre = vectors.responses_reconstructed.find((r) => r.method === 'alipay.trade.precreate');
  assert.ok(pre);
  const key = loadPublicKey(vectorFile(pre.key));
  assert.ok(verifyContent(pre.source, pre.sign, key));
  assert.ok(!verifyContent(JSON.stringify(JSON.parse(pre.source)), pre.sign, key));
});

test('verifyContent never throws on garbage signatures or wrong key types', () => {
  const key = loadPublicKey(vectorFile(golden.key_public));
  for (const sign of [
    '',
    '!!!',
    'abc',
    `${golden.sign}\n`,
    ` ${golden.sign}`,
    golden.sign.replace(/==$/, ''),
  ]) {
    assert.equal(verifyContent(golden.content, sign, key), false);
  }
  const priv = loadPrivateKey(vectorFile(golden.key_private));
  assert.equal(verifyContent(golden.content, golden.sign, priv), true, 'a private key object can verify too');
  assert.throws(() => signContent('x', key), { code: 'invalid_key' });
});
