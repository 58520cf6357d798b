// Shared setup for tests that run the AlipayClient against the simulator over real loopback HTTP.
import { generateKeyPairSync } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { AlipayClient } from '../../../app/alipay/index.ts';
import type { AlipayClientOptions } from '../../../app/alipay/index.ts';
import { startAlipaySim } from '../../../sim/alipay/index.ts';
import type { AlipaySim, AlipaySimOptions } from '../../../sim/alipay/index.ts';

export const APP_ID = '2021000000000001';

// Fresh keys per test run: 2048-bit generation is done once per file.
export type KeySet = {
  app: { privateKey: KeyObject; publicKey: KeyObject };
  alipay: { privateKey: KeyObject; publicKey: KeyObject };
};

export function makeKeys(): KeySet {
  return {
    app: generateKeyPairSync('rsa', { modulusLength: 2048 }),
    alipay: generateKeyPairSync('rsa', { modulusLength: 2048 }),
  };
}

export async function startSim(keys: KeySet, extra: Partial<AlipaySimOptions> = {}): Promise<AlipaySim> {
  return startAlipaySim({
    host: '127.0.0.1',
    port: 0,
    appId: APP_ID,
    appPublicKey: keys.app.publicKey,
    privateKey: keys.alipay.privateKey,
    ...extra,
  });
}

export function makeClient(
  sim: AlipaySim,
  keys: KeySet,
  extra: Partial<AlipayClientOptions> = {},
): AlipayClient {
  return new AlipayClient({
    gatewayUrl: `${sim.url}/gateway.do`,
    appId: APP_ID,
    privateKey: keys.app.privateKey,
    alipayPublicKey: keys.alipay.publicKey,
    timeoutMs: 2000,
    retryDelayMs: 5,
    ...extra,
  });
}

export async function simGet<T>(sim: AlipaySim, path: string): Promise<T> {
  const res = await fetch(`${sim.url}${path}`);
  return (await res.json()) as T;
}

export async function simPost<T>(
  sim: AlipaySim,
  path: string,
  body: unknown,
): Promise<{ status: number; body: T }> {
  const res = await fetch(`${sim.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as T };
}

export type SimRequest = {
  method: string | null;
  outTradeNo: string | null;
  outRequestNo: string | null;
  code: string | null;
  subCode: string | null;
  fault: string | null;
};
export type SimLedger = {
  payments: { outTradeNo: string; fen: number }[];
  refunds: { outTradeNo: string; fen: number; outRequestNo: string }[];
};
