// The demo profile: everything a new user needs to watch a whole sale on one machine with no credentials.
// It starts, in this process, the Alipay gateway simulator, a notify relay on SQLite, the dispenser-board
// simulator on an in-memory serial port, and the agent configured against them. The screen says DEMO MODE.
import path from 'node:path';
import { loadPublicKey, loadPrivateKey } from '../app/alipay/index.ts';
import { parseAgentConfig, startAgent, readSecretFile, type Agent } from '../app/agent/index.ts';
import { startRelay } from '../backend-bridge/index.ts';
import { startAlipaySim } from '../sim/alipay/index.ts';
import { createMemoryLine, startVmcControlServer, startVmcSim } from '../sim/vmc/index.ts';
import { DEMO_PLANOGRAM } from './demo-planogram.ts';
import { ensureDemoKeys } from './demo-keys.ts';

export const DEMO_KIOSK_ID = 'DEMO1';
export const DEMO_APP_ID = '2021000000000001';

export interface Demo {
  readonly agent: Agent;
  readonly alipaySimUrl: string;
  readonly relayUrl: string;
  /** The board simulator's control port: POST /sim/faults {"kind":"jam","lane":3}, {"kind":"clear"}, … */
  readonly boardControlUrl: string;
  close(): Promise<void>;
}

export async function startDemo(dataDir: string, log: (line: string) => void): Promise<Demo> {
  const keys = ensureDemoKeys(path.join(dataDir, 'keys'));
  const appPublicKey = loadPublicKey(readSecretFile(keys.appPublicKey, 'demo app public key'));
  const alipayPrivateKey = loadPrivateKey(readSecretFile(keys.alipayPrivateKey, 'demo Alipay private key'));
  const alipayPublicKey = loadPublicKey(readSecretFile(keys.alipayPublicKey, 'demo Alipay public key'));
  const relayToken = readSecretFile(keys.relayToken, 'demo relay token');

  const sim = await startAlipaySim({ appId: DEMO_APP_ID, appPublicKey, privateKey: alipayPrivateKey });
  const relay = await startRelay({
    dbPath: path.join(dataDir, 'relay.sqlite'),
    alipay: { appId: DEMO_APP_ID, publicKey: alipayPublicKey },
    kiosks: [{ id: DEMO_KIOSK_ID, token: relayToken }],
    log: (line) => log(`[relay] ${line}`),
  });
  const line = createMemoryLine();
  const board = startVmcSim({
    stream: line.board,
    lanes: DEMO_PLANOGRAM.map((l) => ({
      lane: l.lane,
      stock: l.stock,
      capacity: l.capacity,
      dropSensor: true,
    })),
  });

  const boardControl = await startVmcControlServer(board);

  const config = parseAgentConfig({
    kioskId: DEMO_KIOSK_ID,
    dataDir,
    demo: true,
    alipay: {
      gatewayUrl: `${sim.url}/gateway.do`,
      appId: DEMO_APP_ID,
      privateKeyFile: keys.appPrivateKey,
      alipayPublicKeyFile: keys.alipayPublicKey,
      notifyUrl: `${relay.url}/alipay/notify`,
    },
    relay: { url: relay.url, tokenFile: keys.relayToken },
    dispenser: { driver: 'fafb', path: 'memory:demo-board' },
    maintenance: { pinHashFile: keys.maintenancePinHash },
    planogram: DEMO_PLANOGRAM,
  });
  const agent = await startAgent(config, {
    openPort: () => line.openHost(),
    log: (line) => log(`[agent] ${line}`),
  });
  for (const hint of demoHints(sim.url, boardControl.url)) log(hint);

  return {
    agent,
    alipaySimUrl: sim.url,
    relayUrl: relay.url,
    boardControlUrl: boardControl.url,
    close: async () => {
      await agent.close();
      await boardControl.close();
      await board.close();
      await relay.close();
      await sim.close();
    },
  };
}

/** What a newcomer can do with the demo's simulators, printed once at start. */
export function demoHints(alipaySimUrl: string, boardControlUrl: string): string[] {
  const faults = `curl -X POST ${boardControlUrl}/sim/faults -d`;
  return [
    `DEMO Alipay simulator: ${alipaySimUrl} — the QR code on screen is the buyer page's URL (open it in a browser`,
    `     to pay), or pay the latest trade with: curl -X POST ${alipaySimUrl}/sim/pay -d '{"outTradeNo":"…"}';`,
    `     trades: ${alipaySimUrl}/sim/trades`,
    `DEMO board control: ${boardControlUrl} — lanes ${boardControlUrl}/sim/lanes; try a fault:`,
    `     jam lane 3:     ${faults} '{"kind":"jam","lane":3}'`,
    `     no drop lane 2: ${faults} '{"kind":"no_drop","lane":2}'`,
    `     board offline:  ${faults} '{"kind":"silence","ms":60000}'`,
    `     clear faults:   ${faults} '{"kind":"clear"}'`,
  ];
}
