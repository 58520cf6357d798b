import { sign as rsaSign, verify as rsaVerify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { AlipayError } from './errors.ts';

export type SignableParams = Readonly<Record<string, string | undefined | null>>;

/**
 * Alipay's sign content: every param except `sign` (and `exclude`), empty values dropped, keys sorted by
 * code unit (= ASCII for Alipay's keys), raw `k=v` joined with `&`, no URL-encoding.
 */
export function buildSignContent(params: SignableParams, exclude: readonly string[] = []): string {
  const keys = Object.keys(params)
    .filter((key) => key !== 'sign' && !exclude.includes(key))
    .filter((key) => {
      const value = params[key];
      return typeof value === 'string' && value !== '';
    })
    .sort();
  return keys.map((key) => `${key}=${params[key] as string}`).join('&');
}

/** RSA2 (SHA256withRSA, PKCS#1 v1.5) over the sign content, standard base64. */
export function signContent(content: string, privateKey: KeyObject): string {
  if (privateKey.type !== 'private') throw new AlipayError('invalid_key', 'signing needs a private key');
  return rsaSign('sha256', Buffer.from(content, 'utf8'), privateKey).toString('base64');
}

export function signParams(params: SignableParams, privateKey: KeyObject): string {
  return signContent(buildSignContent(params), privateKey);
}

const STRICT_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * True only for a valid signature. Never throws: a garbled signature or a wrong key type is simply
 * "not verified". Strict base64 so that a changed padding/whitespace byte is not silently ignored.
 */
export function verifyContent(content: string, signBase64: string, publicKey: KeyObject): boolean {
  if (typeof content !== 'string' || typeof signBase64 !== 'string') return false;
  if (signBase64.length === 0 || !STRICT_BASE64.test(signBase64)) return false;
  try {
    return rsaVerify('sha256', Buffer.from(content, 'utf8'), publicKey, Buffer.from(signBase64, 'base64'));
  } catch {
    return false;
  }
}
