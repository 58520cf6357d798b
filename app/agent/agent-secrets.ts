// The secrets the configuration names, read and checked in one place: at start, and by
// `kiosk-agent --check-config` before an operator restarts a kiosk. A file that exists but cannot be used is a
// ConfigError naming the file, never a stack trace, and never the secret itself.
import type { KeyObject } from 'node:crypto';
import { loadPrivateKey, loadPublicKey } from '../alipay/index.ts';
import { parsePinHash } from '../maintenance/index.ts';
import { ConfigError, readSecretFile, type AgentConfig } from './agent-config.ts';

export interface AgentSecrets {
  readonly privateKey: KeyObject;
  readonly alipayPublicKey: KeyObject;
  readonly relayToken: string;
  /** null when no maintenance PIN is configured. */
  readonly pinHash: string | null;
}

export function loadAgentSecrets(config: AgentConfig): AgentSecrets {
  const privateKey = asConfig(config.alipay.privateKeyFile, () =>
    loadPrivateKey(readSecretFile(config.alipay.privateKeyFile, 'app private key')),
  );
  const alipayPublicKey = asConfig(config.alipay.alipayPublicKeyFile, () =>
    loadPublicKey(readSecretFile(config.alipay.alipayPublicKeyFile, 'Alipay public key')),
  );
  const relayToken = readSecretFile(config.relay.tokenFile, 'relay token');
  const pinFile = config.maintenance.pinHashFile;
  const pinHash = pinFile ? readSecretFile(pinFile, 'maintenance PIN hash') : null;
  if (pinFile && pinHash) asConfig(pinFile, () => parsePinHash(pinHash));
  return { privateKey, alipayPublicKey, relayToken, pinHash };
}

/** Reports a key or hash file that exists but cannot be used as a configuration error naming the file. */
function asConfig<T>(file: string, load: () => T): T {
  try {
    return load();
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError(`${file}: ${(err as Error).message}`);
  }
}
