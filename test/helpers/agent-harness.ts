// An agent wired to real parts in this process: alipay-sim on loopback HTTP, a notify relay on a SQLite file,
// vmc-sim on an in-memory serial line, and the agent's own SQLite file. The clock the sale logic reads is
// controllable, so expiry and query cadence are tested without waiting.
import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { parseAgentConfig, startAgent, type Agent, type AgentConfigInput } from '../../app/agent/index.ts';
import { startRelay } from '../../backend-bridge/index.ts';
import { startAlipaySim } from '../../sim/alipay/index.ts';
import {
  createMemoryLine,
  startVmcSim,
  startZdm8Sim,
  type SimFault,
  type Zdm8Fault,
} from '../../sim/vmc/index.ts';
import { onCleanup } from './cleanup.ts';
import { tempDir } from './temp-dir.ts';

export const HARNESS_APP_ID = '2021000000000007';
export const HARNESS_KIOSK = 'KT';

/** What tests need of a board simulator, whichever protocol it speaks. */
export interface BoardSim {
  motorRuns(): ReadonlyArray<{ lane: number; result: string }>;
  close(): Promise<void>;
}

export type BoardKind = 'fafb' | 'zdm8';
export const BOARDS: readonly BoardKind[] = ['fafb', 'zdm8'];

/** Faults both board simulators can show. */
export type CommonFault = {
  readonly kind: 'jam' | 'no_drop';
  readonly lane: number;
  readonly times?: number;
};

export interface Harness {
  readonly dir: string;
  readonly simUrl: string;
  readonly relayUrl: string;
  readonly board: BoardSim;
  readonly alipayPrivateKey: KeyObject;
  agent: Agent;
  clock: { now: number };
  /** Stops the agent (as a crash would: no vends in flight are awaited beyond close()). */
  stopAgent(): Promise<void>;
  /** Starts a new agent on the same data directory. */
  restartAgent(): Promise<Agent>;
  pay(outTradeNo: string): Promise<void>;
  /** POSTs JSON to one of alipay-sim's /sim/ controls (scan, pay, faults); throws unless it answers 200. */
  simControl(pathname: string, body: unknown): Promise<void>;
  ledger(): Promise<{
    payments: Array<{ outTradeNo: string; fen: number }>;
    refunds: Array<{ outTradeNo: string; fen: number; outRequestNo: string }>;
  }>;
  requests(): Promise<Array<{ method: string }>>;
}

export interface HarnessOptions {
  /** Which board protocol the agent drives (default fafb). */
  readonly board?: BoardKind;
  readonly faults?: readonly CommonFault[];
  readonly relay?: boolean;
  readonly planogram?: AgentConfigInput['planogram'];
  /** Extra configuration (e.g. a maintenance PIN hash file written into the harness directory). */
  readonly configure?: (dir: string) => Partial<AgentConfigInput>;
}

const PLANOGRAM: AgentConfigInput['planogram'] = [
  { lane: 1, productId: 'W', name: 'Water', priceFen: 200, stock: 5, capacity: 10 },
  { lane: 2, productId: 'C', name: 'Cola', priceFen: 350, stock: 5, capacity: 10 },
];

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const dir = tempDir('f2f-sale-');
  const pair = () =>
    generateKeyPairSync('rsa', {
      modulusLength: 2048,
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    });
  const app = pair();
  const alipay = pair();
  const write = (name: string, text: string) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, text, { mode: 0o600 });
    return file;
  };
  const token = randomBytes(16).toString('hex');
  const { createPrivateKey, createPublicKey } = await import('node:crypto');

  const sim = await startAlipaySim({
    appId: HARNESS_APP_ID,
    appPublicKey: createPublicKey(app.publicKey),
    privateKey: createPrivateKey(alipay.privateKey),
  });
  onCleanup(() => sim.close());
  let relayUrl = 'http://127.0.0.1:9'; // discard port: nothing listens, the link stays down
  if (options.relay !== false) {
    const relay = await startRelay({
      dbPath: path.join(dir, 'relay.sqlite'),
      alipay: { appId: HARNESS_APP_ID, publicKey: createPublicKey(alipay.publicKey) },
      kiosks: [{ id: HARNESS_KIOSK, token }],
    });
    onCleanup(() => relay.close());
    relayUrl = relay.url;
  }
  const line = createMemoryLine();
  const planogram = options.planogram ?? PLANOGRAM;
  const kind = options.board ?? 'fafb';
  const board: BoardSim =
    kind === 'zdm8'
      ? startZdm8Sim({
          stream: line.board,
          lanes: planogram.map((l) => ({ lane: l.lane, stock: l.stock })),
          motorMs: 20,
          faults: (options.faults ?? []) as readonly Zdm8Fault[],
        })
      : startVmcSim({
          stream: line.board,
          lanes: planogram.map((l) => ({ lane: l.lane, stock: l.stock, dropSensor: true })),
          motorMs: 20,
          faults: (options.faults ?? []) as readonly SimFault[],
        });
  onCleanup(() => board.close());

  const config = parseAgentConfig({
    kioskId: HARNESS_KIOSK,
    dataDir: path.join(dir, 'agent'),
    alipay: {
      gatewayUrl: `${sim.url}/gateway.do`,
      appId: HARNESS_APP_ID,
      privateKeyFile: write('app.pem', app.privateKey),
      alipayPublicKeyFile: write('alipay.pub.pem', alipay.publicKey),
      notifyUrl: `${relayUrl}/alipay/notify`,
      timeoutMs: 3000,
    },
    relay: { url: relayUrl, tokenFile: write('token', token) },
    dispenser: {
      driver: kind,
      path: 'memory:test',
      // The sale tests use vmc-sim's 'jam' as "the board failed and nothing came out" (a refund). Under the
      // default table a jam is unverified (the motor turned), so the simulated board is declared a model
      // whose manual says 03 comes only when the motor could not turn.
      ...(kind === 'fafb' && {
        fafbProfile: { model: 'vmc-sim, jam before the motor turns', notDelivered: [3] },
      }),
    },
    planogram,
    ...options.configure?.(dir),
  });
  const clock = { now: Date.now() };
  const logs: string[] = [];
  const launch = () =>
    startAgent(config, { openPort: () => line.openHost(), now: () => clock.now, log: (l) => logs.push(l) });
  let running = true;
  const harness: Harness = {
    dir,
    simUrl: sim.url,
    relayUrl,
    board,
    alipayPrivateKey: createPrivateKey(alipay.privateKey),
    agent: await launch(),
    clock,
    stopAgent: async () => {
      if (!running) return;
      running = false;
      await harness.agent.close();
    },
    restartAgent: async () => {
      await harness.stopAgent();
      harness.agent = await launch();
      running = true;
      return harness.agent;
    },
    simControl: async (pathname, body) => {
      const res = await fetch(`${sim.url}${pathname}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      if (res.status !== 200) throw new Error(`alipay-sim ${pathname}: ${res.status} ${await res.text()}`);
    },
    pay: (outTradeNo) => harness.simControl('/sim/pay', { outTradeNo }),
    ledger: async () =>
      (await (await fetch(`${sim.url}/sim/ledger`)).json()) as Awaited<ReturnType<Harness['ledger']>>,
    requests: async () => {
      const body = (await (await fetch(`${sim.url}/sim/requests`)).json()) as unknown;
      return (
        Array.isArray(body) ? body : (body as { requests: Array<{ method: string }> }).requests
      ) as Array<{ method: string }>;
    },
  };
  onCleanup(() => harness.stopAgent());
  await waitFor(
    () => harness.agent.dispenser.linkState === 'up',
    'the board link to come up',
    () => logs.join('\n'),
  );
  return harness;
}

export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  what: string,
  context: () => string = () => '',
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${context()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
