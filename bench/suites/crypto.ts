// Sign/verify throughput: this module vs alipay-sdk vs raw node:crypto, same key, same content.
import { createSign, createVerify, generateKeyPairSync } from 'node:crypto';
import { AlipaySdk } from 'alipay-sdk';
import { notifySignContent, signContent, signParams, verifyNotify } from '../../app/alipay/index.ts';
import { opsPerSecond } from '../lib/figures.ts';
import type { Suite } from '../lib/suite.ts';

export const cryptoSuite: Suite = {
  name: 'crypto',
  title: 'RSA2 sign and verify per second: ours, alipay-sdk, raw node:crypto',
  async run({ quick, figures }) {
    const ms = quick ? 100 : 1000;
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

    const contenders: Record<string, Record<string, () => unknown>> = {
      sign: {
        ours: () => signParams(params, keys.privateKey),
        alipay_sdk: () => sdk.sdkExecute('alipay.trade.precreate', { bizContent: { out_trade_no: 'K1-1' } }),
        node_crypto: () => createSign('RSA-SHA256').update(content, 'utf8').sign(keys.privateKey, 'base64'),
      },
      verify_notify: {
        ours: () => verifyNotify(notify, keys.publicKey),
        alipay_sdk: () => sdk.checkNotifySignV2({ ...notify }),
        node_crypto: () =>
          createVerify('RSA-SHA256')
            .update(content, 'utf8')
            .verify(keys.publicKey, notify.sign ?? '', 'base64'),
      },
    };
    for (const [op, fns] of Object.entries(contenders)) {
      // Interleaved rounds, so that a neighbour's load falls on all three alike; the median round counts.
      const rounds: Record<string, number[]> = { ours: [], alipay_sdk: [], node_crypto: [] };
      for (let r = 0; r < (quick ? 1 : 5); r++)
        for (const [who, fn] of Object.entries(fns)) rounds[who]!.push(opsPerSecond(fn, ms / 5));
      const median: Record<string, number> = {};
      for (const [who, samples] of Object.entries(rounds))
        median[who] = figures.samples(`${op}.${who}_per_s`, `${op}: ${who}`, 'ops/s', samples).p50;
      figures.value(
        `${op}.ours_over_alipay_sdk`,
        `${op}: ours / alipay-sdk`,
        'x',
        median['ours']! / median['alipay_sdk']!,
      );
      figures.value(
        `${op}.ours_over_node_crypto`,
        `${op}: ours / raw node:crypto`,
        'x',
        median['ours']! / median['node_crypto']!,
      );
    }
  },
};
