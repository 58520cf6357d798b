import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { AlipayError } from './errors.ts';

// Alipay's key tool emits bare base64 (PKCS#8 by default); the Node SDK defaults to PKCS#1 PEM.
// Accept all of them so a misconfigured key format is never the reason a payment fails.
const BASE64_BODY = /^[A-Za-z0-9+/]+={0,2}$/;

function bareBase64(text: string): Buffer | null {
  const compact = text.replace(/\s+/g, '');
  if (compact.length === 0 || !BASE64_BODY.test(compact)) return null;
  return Buffer.from(compact, 'base64');
}

function requireRsa(key: KeyObject, what: string): KeyObject {
  if (key.asymmetricKeyType !== 'rsa') {
    throw new AlipayError('invalid_key', `${what} must be an RSA key (RSA2 = SHA256withRSA)`);
  }
  return key;
}

/** PEM PKCS#1 / PKCS#8 private key, or bare base64 DER (PKCS#8 first, then PKCS#1). */
export function loadPrivateKey(text: string): KeyObject {
  const trimmed = String(text).trim();
  if (trimmed.includes('-----BEGIN')) {
    if (!trimmed.includes('PRIVATE KEY-----')) {
      throw new AlipayError('invalid_key', 'expected a private key PEM (got another PEM type)');
    }
    try {
      return requireRsa(createPrivateKey(trimmed), 'private key');
    } catch (err) {
      if (err instanceof AlipayError) throw err;
      throw new AlipayError('invalid_key', 'private key PEM could not be parsed');
    }
  }
  const der = bareBase64(trimmed);
  if (!der) throw new AlipayError('invalid_key', 'private key is neither PEM nor base64');
  for (const type of ['pkcs8', 'pkcs1'] as const) {
    try {
      return requireRsa(createPrivateKey({ key: der, format: 'der', type }), 'private key');
    } catch (err) {
      if (err instanceof AlipayError) throw err;
    }
  }
  throw new AlipayError('invalid_key', 'private key base64 is not a PKCS#8 or PKCS#1 RSA key');
}

/**
 * PEM public key, bare base64 SubjectPublicKeyInfo, or an X.509 certificate PEM (public-key-certificate
 * mode) → its public key. A private key is refused: "wrong key in the wrong slot" is the most common
 * Alipay integration bug and deriving the public half would hide it.
 */
export function loadPublicKey(text: string): KeyObject {
  const trimmed = String(text).trim();
  if (trimmed.includes('PRIVATE KEY-----')) {
    throw new AlipayError('invalid_key', 'a private key was given where a public key is expected');
  }
  if (trimmed.includes('-----BEGIN CERTIFICATE-----')) {
    try {
      return requireRsa(new X509Certificate(trimmed).publicKey, 'certificate key');
    } catch (err) {
      if (err instanceof AlipayError) throw err;
      throw new AlipayError('invalid_certificate', 'certificate PEM could not be parsed');
    }
  }
  if (trimmed.includes('-----BEGIN')) {
    try {
      return requireRsa(createPublicKey(trimmed), 'public key');
    } catch (err) {
      if (err instanceof AlipayError) throw err;
      throw new AlipayError('invalid_key', 'public key PEM could not be parsed');
    }
  }
  const der = bareBase64(trimmed);
  if (!der) throw new AlipayError('invalid_key', 'public key is neither PEM nor base64');
  for (const type of ['spki', 'pkcs1'] as const) {
    try {
      return requireRsa(createPublicKey({ key: der, format: 'der', type }), 'public key');
    } catch (err) {
      if (err instanceof AlipayError) throw err;
    }
  }
  throw new AlipayError('invalid_key', 'public key base64 is not an RSA SubjectPublicKeyInfo');
}
