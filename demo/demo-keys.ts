// Key material for the demo profile, made on first start and kept in the demo data directory (mode 0600),
// never in the repository: the app key pair (the kiosk signs, alipay-sim verifies), the simulated Alipay
// key pair (alipay-sim signs, the relay and the kiosk verify), the relay token and the maintenance PIN hash.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { hashPin } from '../app/maintenance/index.ts';

/** The demo kiosk's maintenance PIN. Demo only: a production kiosk's PIN hash comes from its configuration. */
export const DEMO_MAINTENANCE_PIN = '2468';

export interface DemoKeyFiles {
  readonly appPrivateKey: string;
  readonly appPublicKey: string;
  readonly alipayPrivateKey: string;
  readonly alipayPublicKey: string;
  readonly relayToken: string;
  readonly maintenancePinHash: string;
}

export function ensureDemoKeys(dir: string): DemoKeyFiles {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const files: DemoKeyFiles = {
    appPrivateKey: path.join(dir, 'app-private-key.pem'),
    appPublicKey: path.join(dir, 'app-public-key.pem'),
    alipayPrivateKey: path.join(dir, 'alipay-sim-private-key.pem'),
    alipayPublicKey: path.join(dir, 'alipay-sim-public-key.pem'),
    relayToken: path.join(dir, 'relay-token'),
    maintenancePinHash: path.join(dir, 'maintenance-pin-hash'),
  };
  writePairIfMissing(files.appPrivateKey, files.appPublicKey);
  writePairIfMissing(files.alipayPrivateKey, files.alipayPublicKey);
  if (!fs.existsSync(files.relayToken)) {
    fs.writeFileSync(files.relayToken, randomBytes(32).toString('hex') + '\n', { mode: 0o600 });
  }
  if (!fs.existsSync(files.maintenancePinHash)) {
    fs.writeFileSync(files.maintenancePinHash, hashPin(DEMO_MAINTENANCE_PIN) + '\n', { mode: 0o600 });
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
