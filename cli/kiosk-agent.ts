// kiosk-agent: the agent under plain Node with the browser host. With --config it runs the production
// profile (real Alipay, relay and serial board); without, the demo profile (simulators on this machine).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  ConfigError,
  loadAgentConfig,
  loadAgentSecrets,
  startAgent,
  type Agent,
} from '../app/agent/index.ts';
import { startBrowserHost } from '../app/host/index.ts';
import { hashPin, PIN_PATTERN } from '../app/maintenance/index.ts';
import { startDemo } from '../demo/start-demo.ts';

const HELP = `kiosk-agent — the f2f-kiosk agent with its browser host

Usage:
  kiosk-agent [--config FILE] [--port N] [--open] [--data-dir DIR]
  kiosk-agent --hash-pin < pin.txt > pin-hash      # make a maintenance PIN hash file
  kiosk-agent --check-config FILE                   # check a configuration and its files, start nothing

Without --config the demo profile runs: an Alipay gateway simulator, a notify relay and a dispenser-board
simulator start on this machine, and the screen says DEMO MODE. With --config the agent uses the real
Alipay gateway, relay and serial board named in FILE (docs/configuration.md).

Options:
  --config FILE    production configuration (JSON)
  --port N         port of the browser host on 127.0.0.1 (default: the config's host.port, else any free port)
  --open           open the kiosk screen in Chromium (--app mode) when Chromium is installed
  --data-dir DIR   demo profile only: where its database and keys live (default ./.data/demo)
  --browser        accepted for clarity: this program always serves the browser host
  --check-config   with --config FILE (or as --check-config FILE): validate the configuration, read and
                   check every key, token and PIN-hash file it names, check the data directory is
                   writable and the serial device exists; print what was checked; start nothing
  --hash-pin       read a maintenance PIN (4-12 digits) from stdin, print its hash for maintenance.pinHashFile
  -h, --help       this text

Prints one JSON line {"ready":true,"url":...} on stdout when the screen is ready; logs go to stderr.`;

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      config: { type: 'string' },
      port: { type: 'string' },
      open: { type: 'boolean', default: false },
      'data-dir': { type: 'string' },
      browser: { type: 'boolean', default: false },
      'hash-pin': { type: 'boolean', default: false },
      'check-config': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  if (values['hash-pin']) {
    const pin = fs.readFileSync(0, 'utf8').trim();
    if (!PIN_PATTERN.test(pin)) throw new ConfigError('a maintenance PIN is 4 to 12 digits');
    console.log(hashPin(pin));
    return;
  }
  if (values['check-config'] !== undefined) {
    checkConfig(values['check-config'] || values.config || '');
    return;
  }
  const log = (line: string) => console.error(line);
  const rendererDir = path.join(repoRoot, 'dist', 'renderer');
  if (!fs.existsSync(path.join(rendererDir, 'index.html'))) {
    throw new ConfigError(
      `the kiosk UI is not built (${rendererDir} is missing): run \`npm run build\` first`,
    );
  }

  let agent: Agent;
  let closeRest = async () => {};
  let port: number | undefined = values.port === undefined ? undefined : Number(values.port);
  if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port <= 65535)) {
    throw new ConfigError(`--port must be a port number, got ${values.port}`);
  }
  if (values.config) {
    const config = loadAgentConfig(values.config);
    port ??= config.host.port;
    agent = await startAgent(config, { log: (line) => log(`[agent] ${line}`) });
  } else {
    const dataDir = path.resolve(values['data-dir'] ?? path.join(process.cwd(), '.data', 'demo'));
    log(`DEMO MODE: simulated Alipay and dispenser board; data in ${dataDir}`);
    const demo = await startDemo(dataDir, log);
    agent = demo.agent;
    closeRest = async () => {
      await demo.close();
    };
  }

  const host = await startBrowserHost({
    rendererDir,
    dispatch: agent.dispatch,
    events: agent.events,
    ...(port !== undefined ? { port } : {}),
    log: (line) => log(`[host] ${line}`),
  });
  console.log(JSON.stringify({ ready: true, url: host.url }));
  // The URL with its per-boot token goes to stdout only (the ready line above), not into the log stream that a
  // supervisor keeps.
  log(`kiosk screen ready at ${host.origin} (open the URL printed on stdout)`);
  if (values.open) openChromium(host.url, log);

  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    log(`${signal}: shutting down`);
    await host.close();
    if (values.config) await agent.close();
    await closeRest();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

/** Everything startAgent would refuse, found without touching the board or Alipay. */
function checkConfig(file: string): void {
  if (!file) throw new ConfigError('--check-config needs a configuration file');
  const config = loadAgentConfig(file);
  const secrets = loadAgentSecrets(config);
  try {
    fs.mkdirSync(config.dataDir, { recursive: true });
    fs.accessSync(config.dataDir, fs.constants.W_OK);
  } catch (err) {
    throw new ConfigError(`data directory ${config.dataDir} is not writable: ${(err as Error).message}`);
  }
  const lines = [
    `configuration ${file}: valid`,
    `kiosk ${config.kioskId}, ${config.planogram.length} lanes, payment timeout ${config.sale.paymentTimeoutSeconds} s`,
    `Alipay app ${config.alipay.appId} at ${config.alipay.gatewayUrl}: app private key and Alipay public key load`,
    `relay ${config.relay.url}: token file readable`,
    secrets.pinHash
      ? 'maintenance PIN hash: valid'
      : 'maintenance PIN: none configured (maintenance screen closed)',
    `data directory ${config.dataDir}: writable`,
  ];
  const device = fs.existsSync(config.dispenser.path)
    ? `serial device ${config.dispenser.path}: present (${config.dispenser.driver})`
    : `serial device ${config.dispenser.path}: NOT PRESENT now (${config.dispenser.driver}); the agent will keep retrying`;
  for (const line of [...lines, device]) console.log(line);
}

function openChromium(url: string, log: (line: string) => void): void {
  const candidates = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];
  const binary = candidates.find((c) => fs.existsSync(c));
  if (!binary) {
    log('--open: no Chromium found; open the URL above in a browser');
    return;
  }
  const child = spawn(
    binary,
    [`--app=${url}`, '--kiosk', '--no-first-run', '--disable-background-networking'],
    {
      stdio: 'ignore',
      detached: true,
    },
  );
  child.unref();
}

main().catch((err: unknown) => {
  console.error(
    err instanceof ConfigError ? err.message : `kiosk-agent failed: ${(err as Error).stack ?? String(err)}`,
  );
  process.exit(1);
});
