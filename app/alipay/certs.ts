import { createHash, X509Certificate } from 'node:crypto';
import { AlipayError } from './errors.ts';

// Public-key-certificate mode (公钥证书模式), research/alipay.md §5:
// SN = md5hex(issuer DN most-specific-first joined by "," + decimal serial).

function parseCertificate(pem: string): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch {
    throw new AlipayError('invalid_certificate', 'certificate PEM could not be parsed');
  }
}

function snOf(cert: X509Certificate): string {
  const issuer = cert.issuer.split('\n').reverse().join(',');
  const serial = BigInt(`0x${cert.serialNumber}`).toString(10);
  return createHash('md5').update(`${issuer}${serial}`, 'utf8').digest('hex');
}

/** `app_cert_sn` of appCertPublicKey_<appid>.crt, or the SN of alipayCertPublicKey_RSA2.crt. */
export function certSn(pem: string): string {
  return snOf(parseCertificate(String(pem)));
}

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;
const RSA_SIGNATURE_OID_PREFIX = '1.2.840.113549.1.1.';

/** `alipay_root_cert_sn`: SNs of the RSA-signed certificates of alipayRootCert.crt, file order, joined by `_`. */
export function rootCertSn(bundlePem: string): string {
  const blocks = String(bundlePem).match(PEM_BLOCK) ?? [];
  if (blocks.length === 0) throw new AlipayError('invalid_certificate', 'no certificate in root bundle');
  const sns = blocks
    .map((block) => parseCertificate(block))
    .filter((cert) => signatureAlgorithmOid(cert.raw).startsWith(RSA_SIGNATURE_OID_PREFIX))
    .map(snOf);
  if (sns.length === 0)
    throw new AlipayError('invalid_certificate', 'root bundle has no RSA-signed certificate');
  return sns.join('_');
}

/**
 * node:crypto does not expose the signature algorithm, so read it from the DER:
 * Certificate ::= SEQUENCE { tbsCertificate SEQUENCE, signatureAlgorithm SEQUENCE { OID, ... }, ... }.
 */
function signatureAlgorithmOid(der: Buffer): string {
  const outer = readTlv(der, 0);
  const tbs = readTlv(der, outer.contentStart);
  const algorithm = readTlv(der, tbs.end);
  const oid = readTlv(der, algorithm.contentStart);
  if (oid.tag !== 0x06)
    throw new AlipayError('invalid_certificate', 'certificate signature algorithm unreadable');
  return decodeOid(der.subarray(oid.contentStart, oid.end));
}

function readTlv(der: Buffer, at: number): { tag: number; contentStart: number; end: number } {
  const tag = der[at];
  let lengthByte = der[at + 1];
  if (tag === undefined || lengthByte === undefined) {
    throw new AlipayError('invalid_certificate', 'truncated certificate');
  }
  let offset = at + 2;
  let length = lengthByte;
  if (lengthByte & 0x80) {
    const count = lengthByte & 0x7f;
    if (count === 0 || count > 4) throw new AlipayError('invalid_certificate', 'bad DER length');
    length = 0;
    for (let k = 0; k < count; k++) {
      lengthByte = der[offset + k];
      if (lengthByte === undefined) throw new AlipayError('invalid_certificate', 'truncated certificate');
      length = length * 256 + lengthByte;
    }
    offset += count;
  }
  if (offset + length > der.length) throw new AlipayError('invalid_certificate', 'truncated certificate');
  return { tag, contentStart: offset, end: offset + length };
}

function decodeOid(bytes: Buffer): string {
  const parts: number[] = [];
  let value = 0;
  for (const byte of bytes) {
    value = value * 128 + (byte & 0x7f);
    if ((byte & 0x80) === 0) {
      parts.push(value);
      value = 0;
    }
  }
  const first = parts.shift() ?? 0;
  const head = first < 80 ? [Math.floor(first / 40), first % 40] : [2, first - 80];
  return [...head, ...parts].join('.');
}
