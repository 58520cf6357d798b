// The whole system as separate real processes, as an operator would run it: alipay-sim, notify-relay,
// vmc-sim on one end of a socat PTY pair and kiosk-agent (browser host) on the other. The agent can be
// killed and restarted on the same data directory.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { hashPin } from '../../app/maintenance/index.ts';
import { writeKeyPair, type KeyPairFiles } from './key-files.ts';
import { startProgram, type ProgramLaunch, type RunningProgram } from './processes.ts';
import { startSerialTap, type SerialTap } from './serial-tap.ts';
import type { MotorRun } from '../../sim/vmc/index.ts';
import { startPtyPair } from './socat-pty.ts';
import { tempDir } from './temp-dir.ts';

export const STACK_APP_ID = '2021000000000042';
export const STACK_KIOSK_ID = 'K42';
export const STACK_MAINTENANCE_PIN = '5791';

export const STACK_PLANOGRAM = [
  { lane: 1, productId: 'W500', name: '矿泉水 Water', priceFen: 200, stock: 5, capacity: 10 },
  { lane: 2, productId: 'COLA', name: '可乐 Cola', priceFen: 350, stock: 5, capacity: 10 },
  { lane: 3, productId: 'TEA', name: '冰红茶 Iced tea', priceFen: 400, stock: 5, capacity: 10 },
];

export interface Stack {
  readonly dir: string;
  readonly simUrl: string;
  readonly relayUrl: string;
  readonly boardControlUrl: string;
  readonly relayToken: string;
  /** The relay's admin API token (`/admin/v1/`), when started with `reconciliation`. */
  readonly adminToken: string | null;
  readonly alipayKeys: KeyPairFiles;
  readonly appKeys: KeyPairFiles;
  readonly agentDbFile: string;
  agent: RunningProgram;
  relay: RunningProgram;
  /** Starts the relay again on the same port and database (after a crash, say). */
  restartRelay(): Promise<RunningProgram>;
  /** The kiosk screen URL (with the per-boot token) of the running agent. */
  agentUrl(): string;
  /** Starts the agent (a benchmark may add node flags or environment). */
  startAgent(launch?: ProgramLaunch): Promise<RunningProgram>;
  simJson<T>(pathname: string, body?: unknown): Promise<T>;
  /** The board's record of motor runs; `from`: only those after the first `from`. */
  motorRuns(from?: number): Promise<MotorRun[]>;
  /** The wire tap between board and kiosk, when started with `serialTap`. */
  readonly tap: SerialTap | null;
}

export interface StackOptions {
  /** The board simulated by vmc-sim, and the agent's driver for it (default fafb). */
  readonly board?: 'fafb' | 'zdm8';
  readonly boardArgs?: readonly string[];
  /** Changes the agent's configuration before it is written (e.g. host.browser for the unattended screen). */
  readonly agentConfig?: (config: Record<string, unknown>) => Record<string, unknown>;
  readonly planogram?: ReadonlyArray<(typeof STACK_PLANOGRAM)[number]>;
  /** The relay URL the agent is given, from the relay's own (a proxy in front of it, say). */
  readonly agentRelayUrl?: (relayUrl: string) => string | Promise<string>;
  /** Leave the agent stopped: the caller starts it (to time or profile its start-up). */
  readonly deferAgent?: boolean;
  /** Put a wire tap between board and kiosk (the board's own motor-start signal, for chaos kill points). */
  readonly serialTap?: boolean;
  /** Give the relay the admin API and what reconciliation needs to call alipay-sim (gateway, app key). */
  readonly reconciliation?: boolean;
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const dir = tempDir('f2f-stack-');
  const appKeys = writeKeyPair(dir, 'app');
  const alipayKeys = writeKeyPair(dir, 'alipay');
  const relayToken = randomBytes(24).toString('hex');
  const tokenFile = path.join(dir, 'relay-token');
  fs.writeFileSync(tokenFile, relayToken + '\n', { mode: 0o600 });

  // Reconciliation calls alipay-sim as the merchant: the relay gets its gateway, the app's private key and an
  // admin token (the token only through a config file, never as an argument).
  const adminToken = options.reconciliation ? randomBytes(24).toString('hex') : null;
  let reconcileArgs: string[] = [];
  if (adminToken !== null) {
    fs.writeFileSync(path.join(dir, 'admin-token'), adminToken + '\n', { mode: 0o600 });
    fs.writeFileSync(
      path.join(dir, 'relay.json'),
      JSON.stringify({ admin: { tokenFile: 'admin-token' }, reconcile: { enabled: false } }),
    );
  }
  const relayArgs = (port: string) => [
    ...reconcileArgs,
    '--port',
    port,
    '--db',
    path.join(dir, 'relay.sqlite'),
    '--app-id',
    STACK_APP_ID,
    '--alipay-public-key',
    alipayKeys.publicKeyFile,
    '--kiosk',
    `${STACK_KIOSK_ID}:@${tokenFile}`,
  ];
  // The board and the kiosk on the two ends of one PTY pair, or with a tap in between that sees motor starts.
  const tap = options.serialTap ? await startSerialTap(dir) : null;
  const pty = tap
    ? { a: tap.boardPath, b: tap.kioskPath }
    : await startPtyPair(path.join(dir, 'board'), path.join(dir, 'kiosk'));
  const startSim = () =>
    startProgram('alipay-sim', [
      '--port',
      '0',
      '--app-id',
      STACK_APP_ID,
      '--app-public-key',
      appKeys.publicKeyFile,
      '--private-key',
      alipayKeys.privateKeyFile,
    ]);
  const early = adminToken !== null ? await startSim() : null;
  if (early)
    reconcileArgs = [
      '--config',
      path.join(dir, 'relay.json'),
      '--alipay-gateway',
      `${String(early.ready['url'])}/gateway.do`,
      '--alipay-private-key',
      appKeys.privateKeyFile,
    ];
  const [sim, relay, board] = await Promise.all([
    early ?? startSim(),
    startProgram('notify-relay', relayArgs('0')),
    startProgram('vmc-sim', [
      ...(options.board === 'zdm8' ? ['--protocol', 'zdm8'] : []),
      '--device',
      pty.a,
      '--lanes',
      '1-4',
      '--stock',
      '5',
      '--control-port',
      '0',
      ...(options.boardArgs ?? []),
    ]),
  ]);
  const simUrl = String(sim.ready['url']);
  const relayUrl = String(relay.ready['url']);
  const config = {
    kioskId: STACK_KIOSK_ID,
    dataDir: path.join(dir, 'agent'),
    alipay: {
      gatewayUrl: `${simUrl}/gateway.do`,
      appId: STACK_APP_ID,
      privateKeyFile: appKeys.privateKeyFile,
      alipayPublicKeyFile: alipayKeys.publicKeyFile,
      notifyUrl: `${relayUrl}/alipay/notify`,
    },
    relay: { url: (await options.agentRelayUrl?.(relayUrl)) ?? relayUrl, tokenFile },
    dispenser: { driver: options.board ?? 'fafb', path: pty.b },
    sale: { paymentTimeoutSeconds: 120 },
    maintenance: { pinHashFile: path.join(dir, 'maintenance-pin-hash') },
    planogram: options.planogram ?? STACK_PLANOGRAM,
  };
  fs.writeFileSync(path.join(dir, 'maintenance-pin-hash'), hashPin(STACK_MAINTENANCE_PIN), { mode: 0o600 });
  const configFile = path.join(dir, 'agent.json');
  const written = options.agentConfig ? options.agentConfig(config) : config;
  fs.writeFileSync(configFile, JSON.stringify(written, null, 2));

  const stack: Stack = {
    dir,
    simUrl,
    relayUrl,
    boardControlUrl: String(board.ready['controlUrl']),
    relayToken,
    adminToken,
    alipayKeys,
    appKeys,
    agentDbFile: path.join(dir, 'agent', 'kiosk.sqlite'),
    agent: undefined as unknown as RunningProgram,
    relay,
    tap,
    restartRelay: async () => {
      await stack.relay.stop();
      stack.relay = await startProgram('notify-relay', relayArgs(new URL(relayUrl).port));
      return stack.relay;
    },
    agentUrl: () => String(stack.agent.ready['url']),
    startAgent: async (launch = {}) => {
      stack.agent = await startProgram(
        'kiosk-agent',
        ['--config', configFile, '--port', '0'],
        20_000,
        launch,
      );
      return stack.agent;
    },
    simJson: async <T>(pathname: string, body?: unknown): Promise<T> => {
      const res = await fetch(`${simUrl}${pathname}`, {
        method: body === undefined ? 'GET' : 'POST',
        ...(body === undefined
          ? {}
          : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
      });
      if (res.status !== 200)
        throw new Error(`alipay-sim ${pathname}: HTTP ${res.status} ${await res.text()}`);
      return (await res.json()) as T;
    },
    motorRuns: async (from = 0) =>
      (await (
        await fetch(`${stack.boardControlUrl}/sim/motor-runs${from ? `?from=${from}` : ''}`)
      ).json()) as MotorRun[],
  };
  if (!options.deferAgent) await stack.startAgent();
  return stack;
}
