// Key material for the demo profile, made on first start and kept in the demo data directory (mode 0600),
// never in the repository: the app key pair (the kiosk signs, alipay-sim verifies), the simulated Alipay
// key pair (alipay-sim signs, the relay and the kiosk verify) and the relay token.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export interface DemoKeyFiles {
  readonly appPrivateKey: string;
  readonly appPublicKey: string;
  readonly alipayPrivateKey: string;
  readonly alipayPublicKey: string;
  readonly relayToken: string;
}

export function ensureDemoKeys(dir: string): DemoKeyFiles {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const files: DemoKeyFiles = {
    appPrivateKey: path.join(dir, 'app-private-key.pem'),
    appPublicKey: path.join(dir, 'app-public-key.pem'),
    alipayPrivateKey: path.join(dir, 'alipay-sim-private-key.pem'),
    alipayPublicKey: path.join(dir, 'alipay-sim-public-key.pem'),
    relayToken: path.join(dir, 'relay-token'),
  };
  writePairIfMissing(files.appPrivateKey, files.appPublicKey);
  writePairIfMissing(files.alipayPrivateKey, files.alipayPublicKey);
  if (!fs.existsSync(files.relayToken)) {
    fs.writeFileSync(files.relayToken, randomBytes(32).toString('hex') + '\n', { mode: 0o600 });
  }
  return files;
}

function writePairIfMissing(privateFile: string, publicFile: string): void {
  if (fs.existsSync(privateFile) && fs.existsSync(publicFile)) return;
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  fs.writeFileSync(privateFile, privateKey, { mode: 0o600 });
  fs.writeFileSync(publicFile, publicKey, { mode: 0o644 });
}
