// kiosk-agent: the agent under plain Node with the browser host. With --config it runs the production
// profile (real Alipay, relay and serial board); without, the demo profile (simulators on this machine).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  checkConfigFile,
  ConfigError,
  loadAgentConfig,
  prepareDataDir,
  startAgent,
  type Agent,
} from '../app/agent/index.ts';
import {
  findChromium,
  loadScreenHandover,
  saveScreenPort,
  startBrowserHost,
  startScreenBrowser,
  writeLaunchPage,
  type BrowserHost,
  type ScreenBrowser,
} from '../app/host/index.ts';
import { hashPin, PIN_PATTERN } from '../app/maintenance/index.ts';

const HELP = `kiosk-agent — the f2f-kiosk agent with its browser host

Usage:
  kiosk-agent [--config FILE] [--port N] [--kiosk-browser [--browser-path PATH]] [--data-dir DIR]
  kiosk-agent --hash-pin < pin.txt > pin-hash      # make a maintenance PIN hash file
  kiosk-agent --check-config FILE                   # check a configuration and its files, start nothing

Without --config the demo profile runs: an Alipay gateway simulator, a notify relay and a dispenser-board
simulator start on this machine, and the screen says DEMO MODE. With --config the agent uses the real
Alipay gateway, relay and serial board named in FILE (docs/configuration.md).

Options:
  --config FILE    production configuration (JSON)
  --port N         port of the browser host on 127.0.0.1 (default: the config's host.port, else any free port)
  --kiosk-browser  show the screen unattended: start Chromium full screen on it, and again whenever it
                   exits (as the config's host.browser does); a browser left open by an earlier run is
                   kept and reconnects by itself. --open is the same.
  --browser-path PATH  the Chromium executable for --kiosk-browser (default: the config's, else the first of
                   /usr/bin/chromium, chromium-browser, google-chrome)
  --data-dir DIR   demo profile only: where its database and keys live (default ./.data/demo)
  --browser        accepted for clarity: this program always serves the browser host
  --check-config   with --config FILE (or as --check-config FILE): validate the configuration, read and
                   check every key, token and PIN-hash file it names, check the data directory is
                   writable and the serial device exists; print what was checked; start nothing
  --hash-pin       read a maintenance PIN (4-12 digits) from stdin, print its hash for maintenance.pinHashFile
  -h, --help       this text

Prints one JSON line {"ready":true,"url":...} on stdout when the screen is ready; logs go to stderr. The
screen's token stays the same until the machine reboots; it is kept in DATA_DIR/screen/ (mode 0700).`;

const USAGE =
  'usage: kiosk-agent [--config FILE] [--port N] [--kiosk-browser] | --check-config FILE | --hash-pin | --help';

class UsageError extends Error {}

/** The checkout's root: the nearest folder up with a package.json, from cli/ or from the bundle in dist/cli. */
function findRepoRoot(from: string): string {
  let dir = from;
  while (!fs.existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return dir;
}
const repoRoot = findRepoRoot(path.dirname(fileURLToPath(import.meta.url)));

async function main(): Promise<void> {
  const { values } = parseFlags();
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

  let port: number | undefined = values.port === undefined ? undefined : Number(values.port);
  if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port <= 65535)) {
    throw new UsageError(`--port must be a port number, got ${values.port}`);
  }
  let agent: Agent;
  let dataDir: string;
  let closeRest = async () => {};
  let browserSetting: { executable: string; args: readonly string[] } | null = null;
  if (values.config) {
    const config = loadAgentConfig(values.config);
    port ||= config.host.port || undefined;
    dataDir = config.dataDir;
    if (config.host.browser) browserSetting = config.host.browser;
    prepareDataDir(dataDir);
    agent = await startAgent(config, { log: (line) => log(`[agent] ${line}`) });
  } else {
    dataDir = path.resolve(values['data-dir'] ?? path.join(process.cwd(), '.data', 'demo'));
    prepareDataDir(dataDir);
    log(`DEMO MODE: simulated Alipay and dispenser board; data in ${dataDir}`);
    // Loaded only for the demo profile: the simulators and the relay it starts (fastify, pino) are not part
    // of a production start.
    const { startDemo } = await import('../demo/start-demo.ts');
    const demo = await startDemo(dataDir, log);
    agent = demo.agent;
    closeRest = async () => {
      await demo.close();
    };
  }
  if (values['kiosk-browser'] || values.open || values['browser-path'] !== undefined) {
    const executable = values['browser-path'] ?? browserSetting?.executable ?? findChromium();
    if (executable === null)
      throw new ConfigError('--kiosk-browser: no Chromium found; name it with --browser-path PATH');
    browserSetting = { executable, args: browserSetting?.args ?? [] };
  }

  const handover = loadScreenHandover(dataDir);
  const host = await startScreenHost(
    {
      rendererDir,
      dispatch: agent.dispatch,
      events: agent.events,
      token: handover.token,
      log: (line) => log(`[host] ${line}`),
    },
    port,
    handover.port,
  );
  saveScreenPort(dataDir, handover, Number(new URL(host.origin).port));
  console.log(JSON.stringify({ ready: true, url: host.url }));
  // The URL with its token goes to stdout only (the ready line above), not into the log stream that a
  // supervisor keeps.
  log(`kiosk screen ready at ${host.origin} (open the URL printed on stdout)`);
  let screen: ScreenBrowser | null = null;
  if (browserSetting !== null) {
    screen = startScreenBrowser({
      executable: browserSetting.executable,
      args: browserSetting.args,
      dataDir,
      launchUrl: writeLaunchPage(dataDir, host.url),
      log: (line) => log(`[host] ${line}`),
    });
  }

  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    log(`${signal}: shutting down`);
    await screen?.close();
    await host.close();
    if (values.config) await agent.close();
    await closeRest();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

/**
 * Serves the screen on the configured port; without one, on the port this boot's earlier run used (so an open
 * page finds the agent again after a restart), else on any free port.
 */
async function startScreenHost(
  options: Parameters<typeof startBrowserHost>[0],
  configured: number | undefined,
  earlier: number | null,
): Promise<BrowserHost> {
  if (configured !== undefined && configured !== 0) return startBrowserHost({ ...options, port: configured });
  if (earlier !== null) {
    try {
      return await startBrowserHost({ ...options, port: earlier });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    }
  }
  return startBrowserHost({ ...options, port: 0 });
}

function parseFlags() {
  try {
    return parseFlagsStrict();
  } catch (err) {
    if ((err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS'))
      throw new UsageError((err as Error).message);
    throw err;
  }
}

function parseFlagsStrict() {
  return parseArgs({
    options: {
      config: { type: 'string' },
      port: { type: 'string' },
      open: { type: 'boolean', default: false },
      'kiosk-browser': { type: 'boolean', default: false },
      browser: { type: 'boolean', default: false },
      'browser-path': { type: 'string' },
      'data-dir': { type: 'string' },

      'hash-pin': { type: 'boolean', default: false },
      'check-config': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
}

/** Everything startAgent would refuse, all listed at once, found without touching the board or Alipay. */
function checkConfig(file: string): void {
  if (!file) throw new UsageError('--check-config needs a configuration file');
  const { checked, problems } = checkConfigFile(file);
  if (problems.length > 0) {
    throw new ConfigError(
      `configuration ${file}: ${problems.length} problem(s)\n${problems.map((p) => `  ${p}`).join('\n')}`,
    );
  }
  for (const line of checked) console.log(line);
}

main().catch((err: unknown) => {
  if (err instanceof UsageError) {
    console.error(`kiosk-agent: ${err.message}\n${USAGE}`);
    process.exit(2);
  }
  console.error(
    err instanceof ConfigError ? err.message : `kiosk-agent failed: ${(err as Error).stack ?? String(err)}`,
  );
  process.exit(1);
});
