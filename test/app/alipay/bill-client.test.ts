import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { test } from 'node:test';
import { AlipayClient, fetchTradeBill } from '../../../app/alipay/index.ts';
import { renderResponse } from '../../../sim/alipay/alipay-json.ts';

const app = generateKeyPairSync('rsa', { modulusLength: 2048 });
const alipay = generateKeyPairSync('rsa', { modulusLength: 2048 });
const NODE = 'alipay_data_dataservice_bill_downloadurl_query_response';

/** A client whose gateway answers with `node`, signed by "Alipay"; records the biz_content it sent. */
function clientAnswering(node: Record<string, string>, sent: string[] = []): AlipayClient {
  return new AlipayClient({
    gatewayUrl: 'https://openapi.alipay.com/gateway.do',
    appId: '2021000000000001',
    privateKey: app.privateKey,
    alipayPublicKey: alipay.publicKey,
    retries: 0,
    fetchImpl: async (_url, init) => {
      sent.push(new URLSearchParams(String(init?.body)).get('biz_content') ?? '');
      return new Response(renderResponse({ nodeName: NODE, node, signed: true }, alipay.privateKey));
    },
  });
}

test('the bill link query sends bill_type and bill_date and reads only what the signature covers', async () => {
  const sent: string[] = [];
  const ok = clientAnswering(
    {
      code: '10000',
      msg: 'Success',
      bill_download_url: 'https://dwbillcenter.alipay.com/downloadBillFile.resource?x=1',
    },
    sent,
  );
  assert.deepEqual(await ok.billDownloadUrl({ billType: 'trade', billDate: '2026-11-28' }), {
    kind: 'success',
    value: { billDownloadUrl: 'https://dwbillcenter.alipay.com/downloadBillFile.resource?x=1' },
  });
  assert.deepEqual(JSON.parse(sent[0] ?? ''), { bill_type: 'trade', bill_date: '2026-11-28' });

  const noLink = clientAnswering({ code: '10000', msg: 'Success' });
  assert.deepEqual(await noLink.billDownloadUrl({ billType: 'trade', billDate: '2026-11-28' }), {
    kind: 'unknown',
    detail: 'success response malformed: missing bill_download_url',
  });
  const notReady = clientAnswering({
    code: '40004',
    msg: 'Business Failed',
    sub_code: 'isp.bill_not_exist',
    sub_msg: '账单不存在',
  });
  assert.deepEqual(await fetchTradeBill(notReady, '2026-11-28'), { kind: 'not_ready' });
  await assert.rejects(ok.billDownloadUrl({ billType: 'trade', billDate: '2026-11' }), /yyyy-MM-dd/);
  await assert.rejects(
    ok.billDownloadUrl({ billType: 'signcustomer' as 'trade', billDate: '2026-11-28' }),
    /billType must be trade/,
  );
});
