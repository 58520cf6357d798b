// `kiosk-agent --check-config`: everything startAgent would refuse, found in one pass without touching the
// board or Alipay. Every problem is collected (fields, rules, every named file, the data directory), so an
// operator fixes them all at once instead of learning about the next one after each fix.
import fs from 'node:fs';
import type { ConfigError } from './agent-config.ts';
import { parseAgentConfig, readConfigJson, resolveConfigPaths } from './agent-config.ts';
import { readAgentSecrets } from './agent-secrets.ts';
import { prepareDataDir } from './data-dir.ts';
import { loadProductImages } from './product-images.ts';

export interface ConfigCheck {
  /** What was verified, one line each (printed when there is no problem). */
  readonly checked: string[];
  /** Everything wrong, one line each; empty when the configuration is usable. */
  readonly problems: string[];
}

function problemsOf(work: () => void): string[] {
  try {
    work();
    return [];
  } catch (err) {
    return (err as Error).message.split('\n').filter((line) => line.trim() !== '');
  }
}

export function checkConfigFile(file: string): ConfigCheck {
  let raw: unknown;
  try {
    raw = readConfigJson(file);
  } catch (err) {
    return { checked: [], problems: [(err as ConfigError).message] };
  }
  let config;
  try {
    config = resolveConfigPaths(parseAgentConfig(raw, file), file);
  } catch (err) {
    const problems = (err as Error).message
      .split('\n')
      .slice(1)
      .map((line) => line.trim());
    return { checked: [], problems };
  }
  const { secrets, problems } = readAgentSecrets(config);
  const images = loadProductImages(config.planogram, (problem) => problems.push(problem));
  problems.push(...problemsOf(() => prepareDataDir(config.dataDir)));
  if (problems.length > 0) return { checked: [], problems };
  const device = fs.existsSync(config.dispenser.path)
    ? `serial device ${config.dispenser.path}: present (${config.dispenser.driver})`
    : `serial device ${config.dispenser.path}: NOT PRESENT now (${config.dispenser.driver}); the agent will keep retrying`;
  return {
    problems: [],
    checked: [
      `configuration ${file}: valid`,
      `kiosk ${config.kioskId}, ${config.planogram.length} lanes, payment timeout ${config.sale.paymentTimeoutSeconds} s, finished orders kept ${config.sale.keepFinishedOrdersDays} days`,
      `Alipay app ${config.alipay.appId} at ${config.alipay.gatewayUrl}: app private key and Alipay public key load`,
      `relay ${config.relay.url}: token file readable`,
      secrets?.pinHash
        ? 'maintenance PIN hash: valid'
        : 'maintenance PIN: none configured (maintenance screen closed)',
      `data directory ${config.dataDir}: writable`,
      `product pictures: ${images.size} load`,
      device,
      config.host.browser
        ? `screen: the agent starts ${config.host.browser.executable} full screen`
        : 'screen: served on 127.0.0.1; no browser started by the agent (host.browser not set)',
    ],
  };
}
