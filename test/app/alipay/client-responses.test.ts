// How the client reads each kind of gateway answer, byte for byte, through an injected fetch: which answers
// are success, a business failure, retryable or unknown (the kiosk queries before deciding anything on an
// unknown), which are sent again, and the detail that reaches the sale log.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, test } from 'node:test';
import { AlipayClient, signContent } from '../../../app/alipay/index.ts';
import type { AlipayClientOptions } from '../../../app/alipay/index.ts';

const app = generateKeyPairSync('rsa', { modulusLength: 2048 });
const alipay = generateKeyPairSync('rsa', { modulusLength: 2048 });

type Reply = { body: string; status?: number } | Error | string;

/** A client whose gateway answers the scripted replies in turn (the last one again when they run out). */
function clientWith(
  replies: Reply[],
  extra: Partial<AlipayClientOptions> = {},
): { client: AlipayClient; calls: () => number } {
  let calls = 0;
  const fetchImpl = (async () => {
    const reply = replies[Math.min(calls, replies.length - 1)]!;
    calls++;
    if (reply instanceof Error || typeof reply === 'string') throw reply;
    return new Response(reply.body, { status: reply.status ?? 200 });
  }) as unknown as typeof fetch;
  const client = new AlipayClient({
    gatewayUrl: 'http://127.0.0.1:9/gateway.do',
    appId: '2021000000000001',
    privateKey: app.privateKey,
    alipayPublicKey: alipay.publicKey,
    retries: 2,
    retryDelayMs: 0,
    fetchImpl,
    ...extra,
  });
  return { client, calls: () => calls };
}

/** The gateway's answer: the node's exact text signed with Alipay's key, as Alipay does. */
function signed(method: string, node: Record<string, string>, extra = ''): { body: string } {
  const text = JSON.stringify(node);
  const sign = signContent(text, alipay.privateKey);
  return { body: `{"${method.replace(/\./g, '_')}_response":${text},"sign":"${sign}"${extra}}` };
}

const QUERY = 'alipay.trade.query';
const paid = {
  code: '10000',
  msg: 'Success',
  trade_status: 'TRADE_SUCCESS',
  trade_no: '2026',
  total_amount: '3.50',
};
const query = (c: AlipayClient) => c.query({ outTradeNo: 'K1_1' });

/** A transport error as undici raises it: a TypeError whose cause carries the system code. */
function transportError(code: string | undefined, message = 'fetch failed'): Error {
  const err = new TypeError(message);
  if (code !== undefined)
    (err as Error & { cause?: unknown }).cause = Object.assign(new Error(code), { code });
  return err;
}

describe('gateway answers', () => {
  test('a signed 10000 is success, read from the signed bytes', async () => {
    const { client, calls } = clientWith([signed(QUERY, paid)]);
    assert.deepEqual(await query(client), {
      kind: 'success',
      value: { tradeStatus: 'TRADE_SUCCESS', tradeNo: '2026', totalFen: 350 },
    });
    assert.equal(calls(), 1);
  });

  test('a business failure carries its codes and is not sent again; msg stands in for a missing sub_msg', async () => {
    const { client, calls } = clientWith([
      signed(QUERY, {
        code: '40004',
        msg: 'Business Failed',
        sub_code: 'ACQ.TRADE_NOT_EXIST',
        sub_msg: '交易不存在',
      }),
    ]);
    assert.deepEqual(await query(client), {
      kind: 'business_failure',
      code: '40004',
      subCode: 'ACQ.TRADE_NOT_EXIST',
      subMsg: '交易不存在',
    });
    assert.equal(calls(), 1);
    const bare = clientWith([signed(QUERY, { code: '40004', msg: 'Business Failed' })]);
    assert.deepEqual(await query(bare.client), {
      kind: 'business_failure',
      code: '40004',
      subCode: '',
      subMsg: 'Business Failed',
    });
    const empty = clientWith([signed(QUERY, {})]);
    assert.deepEqual(await query(empty.client), {
      kind: 'business_failure',
      code: '',
      subCode: '',
      subMsg: '',
    });
  });

  test('20000, ACQ.SYSTEM_ERROR and any *.unknow-error are unknown (it may have happened), and a query asks again', async () => {
    const cases: Array<[Record<string, string>, string]> = [
      [
        { code: '20000', msg: 'Service Currently Unavailable', sub_code: 'isp.unknow-error' },
        'gateway 20000 isp.unknow-error: Service Currently Unavailable',
      ],
      [
        { code: '40004', sub_code: 'ACQ.SYSTEM_ERROR', sub_msg: '系统错误' },
        'gateway 40004 ACQ.SYSTEM_ERROR: 系统错误',
      ],
      [{ code: '40004', sub_code: 'aop.unknow-error', sub_msg: 'x' }, 'gateway 40004 aop.unknow-error: x'],
      [{ code: '20000' }, 'gateway 20000 :'],
    ];
    for (const [node, detail] of cases) {
      const { client, calls } = clientWith([signed(QUERY, node)]);
      assert.deepEqual(await query(client), { kind: 'unknown', detail }, detail);
      assert.equal(calls(), 3, 'a query is safe to repeat: one try and two retries');
    }
    const recovered = clientWith([signed(QUERY, { code: '20000' }), signed(QUERY, paid)]);
    assert.equal((await query(recovered.client)).kind, 'success');
    assert.equal(recovered.calls(), 2, 'no retry after a success');
  });

  test('40005 (rate limited) is retryable and retried even for a precreate, which is never repeated otherwise', async () => {
    const limited = signed('alipay.trade.precreate', { code: '40005', sub_code: 'aop.ACQ.rate-limit' });
    const { client, calls } = clientWith([limited]);
    const input = { outTradeNo: 'K1_2', totalFen: 350, subject: 'Cola' };
    assert.deepEqual(await client.precreate(input), {
      kind: 'retryable',
      detail: 'rate limited aop.ACQ.rate-limit',
    });
    assert.equal(calls(), 3);
    const bare = clientWith([signed('alipay.trade.precreate', { code: '40005' })]);
    assert.deepEqual(await bare.client.precreate(input), { kind: 'retryable', detail: 'rate limited' });
    const once = clientWith([signed('alipay.trade.precreate', { code: '20000' })]);
    assert.equal((await once.client.precreate(input)).kind, 'unknown');
    assert.equal(once.calls(), 1, 'an unknown precreate is not sent again: the kiosk queries instead');
  });

  test('cancel is sent again after a business failure only when Alipay says retry_flag Y', async () => {
    const CANCEL = 'alipay.trade.cancel';
    const fail = (flag: string) =>
      signed(CANCEL, { code: '40004', sub_code: 'ACQ.SELLER_BALANCE_NOT_ENOUGH', retry_flag: flag });
    const again = clientWith([fail('Y')]);
    assert.equal((await again.client.cancel({ outTradeNo: 'K1_3' })).kind, 'business_failure');
    assert.equal(again.calls(), 3);
    const no = clientWith([fail('N')]);
    await no.client.cancel({ outTradeNo: 'K1_3' });
    assert.equal(no.calls(), 1);
    const done = clientWith([signed(CANCEL, { code: '10000', action: 'close', retry_flag: 'Y' })]);
    assert.deepEqual(await done.client.cancel({ outTradeNo: 'K1_3' }), {
      kind: 'success',
      value: { action: 'close', retryFlag: 'Y' },
    });
    assert.equal(done.calls(), 1, 'a cancel that succeeded is never sent again');
    const other = clientWith([signed(QUERY, { code: '40004', sub_code: 'X', retry_flag: 'Y' })]);
    await query(other.client);
    assert.equal(other.calls(), 1, 'retry_flag means something only for cancel');
  });

  test('a verified 10000 the client cannot read is unknown, not success', async () => {
    const { client } = clientWith([signed(QUERY, { ...paid, total_amount: '3.5x' })]);
    assert.deepEqual(await query(client), {
      kind: 'unknown',
      detail: 'success response malformed: bad total_amount',
    });
  });
});

describe('answers that are not trusted', () => {
  test('unsigned, forged and garbled answers are unknown with the reason', async () => {
    const unsigned = { body: `{"alipay_trade_query_response":${JSON.stringify(paid)}}` };
    const unsignedError = { body: '{"error_response":{"code":"40002","sub_code":"isv.invalid-app-id"}}' };
    const forged = signed(QUERY, paid);
    forged.body = forged.body.replace('3.50', '0.01');
    const cases: Array<[Reply, string]> = [
      [unsigned, 'unsigned alipay_trade_query_response 10000'],
      [unsignedError, 'unsigned error_response 40002 isv.invalid-app-id'],
      [{ body: '{"alipay_trade_query_response":{}}' }, 'unsigned alipay_trade_query_response ?'],
      [forged, 'response signature invalid'],
      [{ body: '<html>502</html>' }, 'garbled response: response is not valid JSON'],
    ];
    for (const [reply, detail] of cases) {
      const { client } = clientWith([reply]);
      assert.deepEqual(await query(client), { kind: 'unknown', detail }, detail);
    }
  });

  test('in certificate mode an answer signed under another alipay_cert_sn is unknown; one without an sn is verified by key', async () => {
    const sn = 'a7e5d5a2f0c0b8e4';
    const other = clientWith([signed(QUERY, paid, ',"alipay_cert_sn":"0000"')], { alipayCertSn: sn });
    assert.deepEqual(await query(other.client), {
      kind: 'unknown',
      detail: 'response signed by unknown alipay_cert_sn 0000',
    });
    const same = clientWith([signed(QUERY, paid, `,"alipay_cert_sn":"${sn}"`)], { alipayCertSn: sn });
    assert.equal((await query(same.client)).kind, 'success');
    const none = clientWith([signed(QUERY, paid)], { alipayCertSn: sn });
    assert.equal((await query(none.client)).kind, 'success');
    const keyMode = clientWith([signed(QUERY, paid, ',"alipay_cert_sn":"0000"')]);
    assert.equal(
      (await query(keyMode.client)).kind,
      'success',
      'without certificate mode the sn is not checked',
    );
  });
});

describe('transport failures', () => {
  test('a connection that never reached the gateway is retryable; anything later is unknown', async () => {
    for (const code of ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']) {
      const { client, calls } = clientWith([transportError(code)]);
      const input = { outTradeNo: 'K1_4', totalFen: 100, subject: 'x' };
      assert.deepEqual(
        await client.precreate(input),
        { kind: 'retryable', detail: `connect failed ${code}` },
        code,
      );
      assert.equal(calls(), 3, `${code}: nothing was sent, so even a precreate is tried again`);
    }
    const cases: Array<[Reply, string]> = [
      [transportError('ECONNRESET'), 'transport error ECONNRESET'],
      [transportError(undefined, 'other side closed'), 'transport error other side closed'],
      [
        Object.assign(new Error('The operation was aborted due to timeout'), { name: 'TimeoutError' }),
        'timeout',
      ],
      [Object.assign(new Error('This operation was aborted'), { name: 'AbortError' }), 'timeout'],
      ['a thrown string', 'transport error unknown'],
    ];
    for (const [reply, detail] of cases) {
      const { client, calls } = clientWith([reply]);
      assert.deepEqual(await client.close({ outTradeNo: 'K1_5' }), { kind: 'unknown', detail }, detail);
      assert.equal(calls(), 1, `${detail}: close is never sent twice`);
    }
    const nullCause = transportError(undefined);
    (nullCause as Error & { cause?: unknown }).cause = null;
    const { client } = clientWith([nullCause]);
    assert.deepEqual(await client.close({ outTradeNo: 'K1_5' }), {
      kind: 'unknown',
      detail: 'transport error fetch failed',
    });
  });
});
