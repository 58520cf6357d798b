import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { test } from 'node:test';
import {
  certSn,
  loadPrivateKey,
  loadPublicKey,
  rootCertSn,
  signContent,
  verifyContent,
} from '../../../app/alipay/index.ts';
import { vectorFile, vectors } from './vectors.ts';

const bare = (pem: string): string => pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');

test('private keys load from PKCS#1 PEM, PKCS#8 PEM and bare base64 of both', () => {
  const pkcs1 = vectorFile('keys/nodesdk_app-private-key_pkcs1.pem');
  const pkcs8 = vectorFile('keys/nodesdk_app-private-key_pkcs8.pem');
  const pub = loadPublicKey(vectorFile('keys/nodesdk_app-public-key.pem'));
  for (const text of [pkcs1, pkcs8, bare(pkcs1), bare(pkcs8), `\n  ${pkcs8}  \n`]) {
    const key = loadPrivateKey(text);
    assert.ok(verifyContent('hello', signContent('hello', key), pub));
  }
});

test('public keys load from PEM, bare base64 SPKI and certificates', () => {
  const pem = vectorFile('keys/nodesdk_alipay-public-key.pem');
  assert.equal(
    loadPublicKey(bare(pem)).export({ format: 'pem', type: 'spki' }),
    loadPublicKey(pem).export({ format: 'pem', type: 'spki' }),
  );
  const certKey = loadPublicKey(vectorFile('keys/alipayCertPublicKey_RSA2.crt'));
  assert.equal(certKey.asymmetricKeyType, 'rsa');
});

test('bad key material gives typed errors; a private key in the public slot is refused', () => {
  const pkcs8 = vectorFile('keys/nodesdk_app-private-key_pkcs8.pem');
  assert.throws(() => loadPublicKey(pkcs8), { name: 'AlipayError', code: 'invalid_key' });
  assert.throws(() => loadPrivateKey(vectorFile('keys/nodesdk_app-public-key.pem')), { code: 'invalid_key' });
  assert.throws(() => loadPrivateKey('not a key!'), { code: 'invalid_key' });
  assert.throws(() => loadPrivateKey('QUJD'), { code: 'invalid_key' });
  assert.throws(() => loadPublicKey('QUJD'), { code: 'invalid_key' });
  assert.throws(() => loadPublicKey('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----'), {
    code: 'invalid_certificate',
  });
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  assert.throws(() => loadPublicKey(ec.publicKey.export({ format: 'pem', type: 'spki' }).toString()), {
    code: 'invalid_key',
  });
  assert.throws(() => loadPrivateKey(ec.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString()), {
    code: 'invalid_key',
  });
});

test('certificate serial numbers match every vector (app_cert_sn, alipay_root_cert_sn)', () => {
  assert.ok(vectors.cert_sn.length >= 5);
  for (const entry of vectors.cert_sn) {
    const text = vectorFile(entry.file);
    assert.equal(entry.root ? rootCertSn(text) : certSn(text), entry.sn, entry.file);
  }
  assert.throws(() => rootCertSn('nothing here'), { code: 'invalid_certificate' });
  assert.throws(() => certSn('garbage'), { code: 'invalid_certificate' });
});
