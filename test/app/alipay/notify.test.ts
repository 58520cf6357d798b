import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { test } from 'node:test';
import {
  AlipayError,
  checkNotifyBusiness,
  classifyNotify,
  loadPublicKey,
  notifySignContent,
  parseNotifyBody,
  signContent,
  verifyNotify,
  withoutEmptyValues,
} from '../../../app/alipay/index.ts';
import { changeOneChar, vectorFile, vectors } from './vectors.ts';

const tradeVectors = vectors.notify.filter((n) => n.exclude.includes('sign_type'));

test('the real trade notifies verify from their form-encoded bodies, with sign_type excluded', () => {
  assert.equal(tradeVectors.length, 2);
  for (const n of tradeVectors) {
    const key = loadPublicKey(vectorFile(n.key));
    const body = new URLSearchParams(n.params).toString();
    const params = parseNotifyBody(body);
    assert.deepEqual(params, n.params);
    assert.equal(verifyNotify(params, key), true, n.name);
  }
});

test('the sandbox notify with "+" in the subject survives exactly one form decode', () => {
  const n = tradeVectors.find((v) => v.params.subject?.includes('+'));
  assert.ok(n);
  const key = loadPublicKey(vectorFile(n.key));
  const body = new URLSearchParams(n.params).toString();
  assert.match(body, /subject=yansongda%2B%E6%B5%8B%E8%AF%95\+-\+1/);
  assert.equal(parseNotifyBody(body).subject, 'yansongda+测试 - 1');
  // Decoding a second time (or with decodeURIComponent only) corrupts it and fails verification.
  const twice = Object.fromEntries(
    Object.entries(parseNotifyBody(body)).map(([k, v]) => [k, decodeURIComponent(v.replace(/\+/g, ' '))]),
  );
  assert.equal(verifyNotify(twice, key), false);
});

test('a one-byte-changed notify fails, field by field and in the raw body', () => {
  for (const n of tradeVectors) {
    const key = loadPublicKey(vectorFile(n.key));
    for (const field of Object.keys(n.params)) {
      if (field === 'sign_type') continue;
      const changed = { ...n.params, [field]: changeOneChar(n.params[field] ?? '', 0) };
      assert.equal(verifyNotify(changed, key), false, `${n.name}.${field}`);
    }
    const body = new URLSearchParams(n.params).toString();
    const amount = body.replace('total_amount=0.', 'total_amount=1.');
    assert.notEqual(amount, body);
    assert.equal(verifyNotify(parseNotifyBody(amount), key), false);
    const extra = { ...n.params, passback_params: 'x' };
    assert.equal(verifyNotify(extra, key), false, 'an added parameter fails');
    const { sign: _sign, ...unsigned } = n.params;
    assert.equal(verifyNotify(unsigned, key), false, 'no sign → false');
  }
});

test('a notify is rejected with the wrong key (wrong key in the wrong slot)', () => {
  const n = tradeVectors[0];
  assert.ok(n);
  assert.equal(verifyNotify(n.params, loadPublicKey(vectorFile('keys/nodesdk_app-public-key.pem'))), false);
});

test('parseNotifyBody refuses duplicate keys with a typed error and keeps __proto__ as data', () => {
  assert.throws(
    () => parseNotifyBody('a=1&b=2&a=1'),
    (e: unknown) => e instanceof AlipayError && e.code === 'duplicate_param',
  );
  const p = parseNotifyBody('__proto__=x&a=%ZZ&b=%E6%B5%8B+1');
  assert.equal(Object.getPrototypeOf(p), Object.prototype);
  assert.equal(Object.getOwnPropertyDescriptor(p, '__proto__')?.value, 'x');
  assert.equal(p.a, '%ZZ');
  assert.equal(p.b, '测 1');
});

const base = {
  notify_type: 'trade_status_sync',
  app_id: '2021',
  out_trade_no: 'K1-1',
  trade_no: '2024',
  total_amount: '12.34',
  seller_id: '2088',
};

test('classifyNotify: payment, refund (partial and full), closed, pending, other', () => {
  assert.deepEqual(classifyNotify({ ...base, trade_status: 'TRADE_SUCCESS' }), {
    kind: 'payment',
    outTradeNo: 'K1-1',
    tradeNo: '2024',
    totalFen: 1234,
    tradeStatus: 'TRADE_SUCCESS',
    appId: '2021',
    sellerId: '2088',
  });
  assert.equal(classifyNotify({ ...base, trade_status: 'TRADE_FINISHED' }).kind, 'payment');
  assert.deepEqual(
    classifyNotify({
      ...base,
      trade_status: 'TRADE_SUCCESS',
      refund_fee: '1.00',
      out_biz_no: 'r1',
      gmt_refund: '2024-01-01 12:00:00',
    }),
    {
      kind: 'refund',
      outTradeNo: 'K1-1',
      tradeNo: '2024',
      refundFeeFen: 100,
      outBizNo: 'r1',
      gmtRefund: '2024-01-01 12:00:00',
    },
  );
  assert.equal(
    classifyNotify({ ...base, trade_status: 'TRADE_CLOSED', refund_fee: '12.34', out_biz_no: 'r' }).kind,
    'refund',
  );
  assert.deepEqual(classifyNotify({ ...base, trade_status: 'TRADE_CLOSED' }), {
    kind: 'closed',
    outTradeNo: 'K1-1',
    tradeNo: '2024',
  });
  assert.deepEqual(classifyNotify({ out_trade_no: 'K1-1', trade_status: 'WAIT_BUYER_PAY' }), {
    kind: 'pending',
    outTradeNo: 'K1-1',
  });
  assert.equal(
    classifyNotify({ ...base, trade_status: 'TRADE_SUCCESS', total_amount: '0.1x' }).kind,
    'other',
  );
  assert.equal(classifyNotify({ ...base, trade_status: 'WEIRD' }).kind, 'other');
  assert.equal(classifyNotify({ trade_status: 'TRADE_SUCCESS' }).kind, 'other');
  assert.equal(classifyNotify({ ...base, notify_type: 'servicemarket_order_notify' }).kind, 'other');
  const real = tradeVectors[0];
  assert.ok(real);
  const c = classifyNotify(real.params);
  assert.ok(c.kind === 'payment' && c.totalFen === 10);
});

test('checkNotifyBusiness: the four documented checks', () => {
  const expected = { appId: '2021', sellerId: '2088', order: { outTradeNo: 'K1-1', totalFen: 1234 } };
  assert.deepEqual(checkNotifyBusiness(base, expected), { ok: true });
  assert.deepEqual(checkNotifyBusiness({ ...base, app_id: '9' }, expected), {
    ok: false,
    reason: 'app_id_mismatch',
  });
  assert.deepEqual(checkNotifyBusiness({ ...base, seller_id: '9' }, expected), {
    ok: false,
    reason: 'seller_id_mismatch',
  });
  assert.deepEqual(checkNotifyBusiness(base, { ...expected, order: null }), {
    ok: false,
    reason: 'unknown_order',
  });
  assert.deepEqual(checkNotifyBusiness({ ...base, out_trade_no: 'K1-2' }, expected), {
    ok: false,
    reason: 'unknown_order',
  });
  assert.deepEqual(checkNotifyBusiness({ ...base, total_amount: '12.35' }, expected), {
    ok: false,
    reason: 'amount_mismatch',
  });
  assert.deepEqual(checkNotifyBusiness({ ...base, total_amount: '12.340' }, expected), {
    ok: false,
    reason: 'malformed',
  });
  assert.deepEqual(checkNotifyBusiness({ ...base, app_id: '' }, expected), {
    ok: false,
    reason: 'malformed',
  });
  assert.deepEqual(
    checkNotifyBusiness(base, { appId: '2021', order: expected.order }),
    { ok: true },
    'seller check optional',
  );
});

// The one strict notion of "what was signed" (issue 9, finding 6), shared by relay and kiosk.
const strictKeys = generateKeyPairSync('rsa', { modulusLength: 2048 });
function signedBody(extra: Record<string, string> = {}, signType = 'RSA2'): string {
  const params: Record<string, string> = {
    ...base,
    trade_status: 'TRADE_SUCCESS',
    notify_id: 'n-strict-1',
    ...extra,
  };
  const sign = signContent(notifySignContent(params), strictKeys.privateKey);
  return new URLSearchParams({ ...params, sign, sign_type: signType }).toString();
}

test('strict: sign_type must be RSA2; RSA or a missing sign_type is refused though the bytes verify', () => {
  assert.equal(verifyNotify(parseNotifyBody(signedBody()), strictKeys.publicKey), true);
  assert.equal(verifyNotify(parseNotifyBody(signedBody({}, 'RSA')), strictKeys.publicKey), false);
  assert.equal(verifyNotify(parseNotifyBody(signedBody({}, '')), strictKeys.publicKey), false);
  const { sign_type: _dropped, ...noType } = parseNotifyBody(signedBody());
  assert.equal(verifyNotify(noType, strictKeys.publicKey), false);
});

test('strict: an appended empty parameter is the same as absent (signature, class, refund fields)', () => {
  const genuine = signedBody();
  const copy = `${genuine}&gmt_refund=&refund_fee=&out_biz_no=`;
  const params = parseNotifyBody(copy);
  assert.deepEqual(params, parseNotifyBody(genuine), 'empty values are dropped at parse time');
  assert.equal(verifyNotify(params, strictKeys.publicKey), true);
  assert.equal(classifyNotify(params).kind, 'payment');
  // Callers that build the record themselves get the same answer.
  const raw = Object.fromEntries(new URLSearchParams(copy));
  assert.equal(classifyNotify(raw).kind, 'payment');
  assert.equal(
    checkNotifyBusiness({ ...raw, seller_id: '' }, { appId: '2021', sellerId: '2088', order: null }).ok,
    false,
  );
  assert.deepEqual(withoutEmptyValues({ a: '', b: 'x' }), { b: 'x' });
});

test('strict: a leading BOM and a repeated key (even an empty one) are refused', () => {
  assert.throws(
    () => parseNotifyBody(`\uFEFF${signedBody()}`),
    (e: unknown) => e instanceof AlipayError && e.code === 'invalid_notify',
  );
  assert.throws(
    () => parseNotifyBody(`${signedBody()}&app_id=`),
    (e: unknown) => e instanceof AlipayError && e.code === 'duplicate_param',
  );
});

// What the kiosk and the relay do with a notify depends on its class; an `other` carries the reason the
// operator reads in the log.
test('classifyNotify: refund fields, missing fields and odd statuses, each with its reason', () => {
  const success = { ...base, trade_status: 'TRADE_SUCCESS' };
  // Any one refund field makes it a refund, never a second payment (without a valid refund_fee it is
  // neither: `other`, which nothing acts on).
  assert.equal(classifyNotify({ ...success, refund_fee: '1.00' }).kind, 'refund');
  const refundFields: Array<Record<string, string>> = [
    { out_biz_no: 'r1' },
    { gmt_refund: '2024-01-01 12:00:00' },
    { refund_fee: '1.0x' },
  ];
  for (const field of refundFields) {
    assert.deepEqual(
      classifyNotify({ ...success, ...field }),
      { kind: 'other', reason: 'refund notify without a valid refund_fee' },
      JSON.stringify(field),
    );
  }
  assert.deepEqual(classifyNotify({ ...base, trade_status: 'TRADE_FINISHED', refund_fee: '0.50' }), {
    kind: 'refund',
    outTradeNo: 'K1-1',
    tradeNo: '2024',
    refundFeeFen: 50,
  });
  // A refund field on a trade that is not paid is not a refund.
  assert.deepEqual(classifyNotify({ ...base, trade_status: 'WEIRD', refund_fee: '0.50' }), {
    kind: 'other',
    reason: 'trade_status WEIRD',
  });
  assert.deepEqual(classifyNotify({ ...base, trade_status: 'TRADE_SUCCESS', total_amount: '0.1x' }), {
    kind: 'other',
    reason: 'payment notify without a valid total_amount',
  });
  const { total_amount: _t, ...noTotal } = success;
  assert.deepEqual(classifyNotify(noTotal), {
    kind: 'other',
    reason: 'payment notify without a valid total_amount',
  });
  const { app_id: _a, ...noApp } = success;
  assert.deepEqual(classifyNotify(noApp), { kind: 'other', reason: 'payment notify without app_id' });
  const { seller_id: _s, notify_type: _n, ...bare } = success;
  assert.deepEqual(classifyNotify(bare), {
    kind: 'payment',
    outTradeNo: 'K1-1',
    tradeNo: '2024',
    totalFen: 1234,
    tradeStatus: 'TRADE_SUCCESS',
    appId: '2021',
  });
  const { trade_no: _n2, ...noTradeNo } = success;
  assert.deepEqual(classifyNotify(noTradeNo), { kind: 'other', reason: 'missing trade_no' });
  assert.deepEqual(classifyNotify({ trade_status: 'TRADE_SUCCESS' }), {
    kind: 'other',
    reason: 'missing out_trade_no',
  });
  assert.deepEqual(classifyNotify({ ...success, notify_type: 'servicemarket_order_notify' }), {
    kind: 'other',
    reason: 'notify_type servicemarket_order_notify',
  });
  const { trade_status: _st, ...noStatus } = success;
  assert.deepEqual(classifyNotify(noStatus), { kind: 'other', reason: 'missing trade_status' });
  assert.deepEqual(classifyNotify({ ...base, trade_status: 'TRADE_CLOSED', trade_no: '' }), {
    kind: 'other',
    reason: 'missing trade_no',
  });
});

test('checkNotifyBusiness: less money than the order is refused as surely as more; missing fields are malformed', () => {
  const expected = { appId: '2021', sellerId: '2088', order: { outTradeNo: 'K1-1', totalFen: 1234 } };
  for (const amount of ['12.33', '0.01', '0', '12.3']) {
    assert.deepEqual(
      checkNotifyBusiness({ ...base, total_amount: amount }, expected),
      { ok: false, reason: 'amount_mismatch' },
      amount,
    );
  }
  const { out_trade_no: _o, ...noOrder } = base;
  const { total_amount: _t, ...noTotal } = base;
  const { seller_id: _s, ...noSeller } = base;
  assert.deepEqual(checkNotifyBusiness(noOrder, expected), { ok: false, reason: 'malformed' });
  assert.deepEqual(checkNotifyBusiness(noTotal, expected), { ok: false, reason: 'malformed' });
  assert.deepEqual(checkNotifyBusiness(noSeller, expected), { ok: false, reason: 'seller_id_mismatch' });
  // The amount is read from digits only, so "12.3" is the same money as 1230 fen.
  assert.deepEqual(
    checkNotifyBusiness(
      { ...base, total_amount: '12.3' },
      { ...expected, order: { outTradeNo: 'K1-1', totalFen: 1230 } },
    ),
    { ok: true },
  );
});

test('verifyNotify: no signature, or an empty one, is refused before any RSA work', () => {
  const params = parseNotifyBody(signedBody());
  assert.equal(verifyNotify(params, strictKeys.publicKey), true);
  const { sign: _sign, ...unsigned } = params;
  assert.equal(verifyNotify(unsigned, strictKeys.publicKey), false);
  assert.equal(verifyNotify({ ...params, sign: '' }, strictKeys.publicKey), false);
});

test('parseNotifyBody: what is refused says why', () => {
  assert.throws(() => parseNotifyBody(1 as unknown as string), {
    code: 'invalid_notify',
    message: 'notify body must be a string',
  });
  assert.throws(() => parseNotifyBody('\uFEFFa=1'), {
    code: 'invalid_notify',
    message: 'notify body starts with a BOM',
  });
  assert.throws(() => parseNotifyBody('a=1&a=2'), {
    code: 'duplicate_param',
    message: 'notify repeats parameter "a"',
  });
  assert.deepEqual(parseNotifyBody('a=1&b=&c=x'), { a: '1', c: 'x' });
  // A repeated key is quoted at most 64 characters long, however long the hostile body makes it.
  const key = 'k'.repeat(100);
  assert.throws(() => parseNotifyBody(`${key}=1&${key}=2`), {
    code: 'duplicate_param',
    message: `notify repeats parameter "${'k'.repeat(64)}"`,
  });
});
