// RSA key pairs for tests, written as PEM files the programs read (never committed anywhere).
import { generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export interface KeyPairFiles {
  readonly privateKeyFile: string;
  readonly publicKeyFile: string;
  readonly privateKeyPem: string;
  readonly publicKeyPem: string;
}

export function writeKeyPair(dir: string, name: string): KeyPairFiles {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  const privateKeyFile = path.join(dir, `${name}-private.pem`);
  const publicKeyFile = path.join(dir, `${name}-public.pem`);
  fs.writeFileSync(privateKeyFile, privateKey, { mode: 0o600 });
  fs.writeFileSync(publicKeyFile, publicKey);
  return { privateKeyFile, publicKeyFile, privateKeyPem: privateKey, publicKeyPem: publicKey };
}
