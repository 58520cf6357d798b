// The secrets the configuration names, read and checked in one place: at start, and by
// `kiosk-agent --check-config` before an operator restarts a kiosk. A file that exists but cannot be used is a
// problem naming the file, never a stack trace, and never the secret itself. Every file is tried, so one
// pass lists every bad file.
import { createPublicKey, type KeyObject } from 'node:crypto';
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

/** Reads every secret file; `problems` lists each one that cannot be used (then `secrets` is null). */
export function readAgentSecrets(config: AgentConfig): {
  secrets: AgentSecrets | null;
  problems: string[];
} {
  const problems: string[] = [];
  const attempt = <T>(file: string, load: () => T): T | null => {
    try {
      return load();
    } catch (err) {
      problems.push(err instanceof ConfigError ? err.message : `${file}: ${(err as Error).message}`);
      return null;
    }
  };
  const { privateKeyFile, alipayPublicKeyFile } = config.alipay;
  const privateKey = attempt(privateKeyFile, () =>
    loadPrivateKey(readSecretFile(privateKeyFile, 'app private key')),
  );
  const alipayPublicKey = attempt(alipayPublicKeyFile, () =>
    loadPublicKey(readSecretFile(alipayPublicKeyFile, 'Alipay public key')),
  );
  if (privateKey && alipayPublicKey && createPublicKey(privateKey).equals(alipayPublicKey)) {
    // The classic mix-up: the app's own public key (uploaded to Alipay) given where Alipay's belongs.
    // Every notification would then fail verification and no payment could ever be confirmed by push.
    problems.push(
      `${alipayPublicKeyFile}: this is the public key of the app's own private key, not Alipay's; ` +
        'download the "Alipay public key" (支付宝公钥) from the Alipay open platform',
    );
  }
  const relayToken = attempt(config.relay.tokenFile, () =>
    readSecretFile(config.relay.tokenFile, 'relay token'),
  );
  const pinFile = config.maintenance.pinHashFile;
  let pinHash: string | null = null;
  if (pinFile) {
    pinHash = attempt(pinFile, () => {
      const text = readSecretFile(pinFile, 'maintenance PIN hash');
      parsePinHash(text);
      return text;
    });
  }
  if (problems.length > 0 || !privateKey || !alipayPublicKey || relayToken === null)
    return { secrets: null, problems };
  return { secrets: { privateKey, alipayPublicKey, relayToken, pinHash }, problems };
}

export function loadAgentSecrets(config: AgentConfig): AgentSecrets {
  const { secrets, problems } = readAgentSecrets(config);
  if (!secrets) throw new ConfigError(problems.join('\n'));
  return secrets;
}
