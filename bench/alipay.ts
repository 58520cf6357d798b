// Sign/verify throughput: this module vs alipay-sdk vs raw node:crypto, same key, same content.
import { createSign, createVerify, generateKeyPairSync } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { AlipaySdk } from 'alipay-sdk';
import { notifySignContent, signContent, signParams, verifyNotify } from '../app/alipay/index.ts';

function opsPerSecond(fn: () => void, minMs = 500): number {
  let n = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < minMs) {
    for (let i = 0; i < 20; i++) fn();
    n += 20;
    elapsed = performance.now() - start;
  }
  return Math.round((n * 1000) / elapsed);
}

export async function runAlipayBench(): Promise<void> {
  const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const privatePem = keys.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  const publicPem = keys.publicKey.export({ format: 'pem', type: 'spki' }).toString();
  const sdk = new AlipaySdk({
    appId: '2021',
    privateKey: privatePem,
    keyType: 'PKCS8',
    alipayPublicKey: publicPem,
  });
  const params: Record<string, string> = {
    app_id: '2021',
    method: 'alipay.trade.precreate',
    charset: 'utf-8',
    sign_type: 'RSA2',
    timestamp: '2024-01-01 12:00:00',
    version: '1.0',
    biz_content: JSON.stringify({ out_trade_no: 'K1-1', total_amount: '0.01', subject: '测试' }),
  };
  const notify: Record<string, string> = {
    notify_type: 'trade_status_sync',
    app_id: '2021',
    out_trade_no: 'K1-1',
    trade_no: '2024',
    trade_status: 'TRADE_SUCCESS',
    total_amount: '0.01',
    subject: '测试 + & =',
    sign_type: 'RSA2',
  };
  notify.sign = signContent(notifySignContent(notify), keys.privateKey);
  const content = notifySignContent(notify);

  const rows = [
    {
      op: 'sign request',
      ours: opsPerSecond(() => signParams(params, keys.privateKey)),
      'alipay-sdk': opsPerSecond(() =>
        sdk.sdkExecute('alipay.trade.precreate', { bizContent: { out_trade_no: 'K1-1' } }),
      ),
      'node:crypto': opsPerSecond(() =>
        createSign('RSA-SHA256').update(content, 'utf8').sign(keys.privateKey, 'base64'),
      ),
    },
    {
      op: 'verify notify',
      ours: opsPerSecond(() => verifyNotify(notify, keys.publicKey)),
      'alipay-sdk': opsPerSecond(() => sdk.checkNotifySignV2({ ...notify })),
      'node:crypto': opsPerSecond(() =>
        createVerify('RSA-SHA256')
          .update(content, 'utf8')
          .verify(keys.publicKey, notify.sign ?? '', 'base64'),
      ),
    },
  ];
  console.log('alipay RSA2 (2048-bit) ops/s');
  console.table(rows);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await runAlipayBench();
