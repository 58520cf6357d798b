// Composes the agent core from its configuration: store, Alipay client, dispenser driver, relay link, sale
// service and the UI contract. Both hosts (browser, Electron) start the agent through this one function and
// differ only in how they serve `dispatch` and `events`.
import type { Duplex } from 'node:stream';
import path from 'node:path';
import { AlipayClient } from '../alipay/index.ts';
import {
  createFafbDispenser,
  createZdm8Dispenser,
  openSerialPort,
  type Dispenser,
} from '../dispenser/index.ts';
import { KioskStatusReporter, OutboxUploader, RelayClient } from '../link/index.ts';
import { MaintenanceService, MaintenanceSessions, RecentLog, verifyPin } from '../maintenance/index.ts';
import {
  createDispatcher,
  createRpcHandlers,
  describeKiosk,
  EventHub,
  toSaleView,
  type RpcDispatch,
} from '../rpc/index.ts';
import { SaleService } from '../sale/index.ts';
import { openStore, OrderRetention, type Store } from '../store/index.ts';
import { dispenserBaudRate, type AgentConfig } from './agent-config.ts';
import { loadAgentSecrets } from './agent-secrets.ts';
import { prepareDataDir } from './data-dir.ts';
import { readyBoardWhilePaying } from './board-readiness.ts';
import { loadProductImages } from './product-images.ts';
import { AGENT_VERSION } from './version.ts';

export interface AgentOverrides {
  /** Opens the board's serial stream; the demo passes an in-memory port to the board simulator. */
  readonly openPort?: () => Promise<Duplex>;
  readonly log?: (line: string) => void;
  readonly now?: () => number;
}

export interface Agent {
  readonly dispatch: RpcDispatch;
  readonly events: EventHub;
  readonly sales: SaleService;
  readonly store: Store;
  readonly dispenser: Dispenser;
  readonly relay: RelayClient;
  readonly telemetry: OutboxUploader;
  readonly status: KioskStatusReporter;
  close(): Promise<void>;
}

export async function startAgent(config: AgentConfig, overrides: AgentOverrides = {}): Promise<Agent> {
  const baseLog = overrides.log ?? ((line: string) => console.error(`[agent] ${line}`));
  // The last lines are kept for the technicians' screen too.
  const recentLog = new RecentLog(50, overrides.now ?? Date.now);
  const log = (line: string): void => {
    recentLog.add(line);
    baseLog(line);
  };
  const now = overrides.now ?? Date.now;

  const { privateKey, alipayPublicKey, relayToken, pinHash } = loadAgentSecrets(config);
  prepareDataDir(config.dataDir); // fails at once on a path that cannot be made (e.g. under /proc)

  const store = openStore(path.join(config.dataDir, 'kiosk.sqlite'), now);
  store.lanes.seedIfEmpty(config.planogram.map((l) => ({ ...l, enabled: true })));

  const gateway = new AlipayClient({
    gatewayUrl: config.alipay.gatewayUrl,
    appId: config.alipay.appId,
    privateKey,
    alipayPublicKey,
    timeoutMs: config.alipay.timeoutMs,
  });

  const dispenser = createDispenser(config, overrides, log);

  let relay: RelayClient | null = null;
  const sales = new SaleService(
    {
      kioskId: config.kioskId,
      store,
      gateway,
      dispenser,
      alipay: {
        appId: config.alipay.appId,
        ...(config.alipay.sellerId ? { sellerId: config.alipay.sellerId } : {}),
        publicKey: alipayPublicKey,
        notifyUrl: config.alipay.notifyUrl,
      },
      paymentTimeoutMs: config.sale.paymentTimeoutSeconds * 1000,
      now,
      log,
    },
    {
      relayLinkUp: () => relay?.delivering ?? false,
      recoveryEvidenceMs: config.sale.recoveryEvidenceSeconds * 1000,
    },
  );

  relay = new RelayClient({
    url: config.relay.url,
    kioskId: config.kioskId,
    token: relayToken,
    cursor: store.relayCursor,
    handle: async (event) => {
      if (event.kind === 'alipay_notify') await sales.handleNotification(event.body);
    },
    log: (line) => log(`relay: ${line}`),
  });

  const sessions = pinHash ? new MaintenanceSessions((pin) => verifyPin(pin, pinHash), now) : null;
  if (!sessions) log('no maintenance PIN configured: the maintenance screen stays closed');

  const events = new EventHub();
  const maintenance = new MaintenanceService(store, dispenser, {
    relayLink: () => (relay?.delivering ? 'up' : 'down'),
    recentLog,
    now,
  });
  const deps = {
    kioskId: config.kioskId,
    demo: config.demo,
    store,
    sales,
    dispenser,
    maintenance,
    sessions,
    support: { phone: config.support.phone ?? null, text: config.support.text ?? null },
    version: AGENT_VERSION,
    images: loadProductImages(config.planogram, (problem) => log(`product picture not shown: ${problem}`)),
  };
  sales.onChange((order) =>
    events.publish('sale.updated', toSaleView(order, store.refunds.forOrder(order.outTradeNo))),
  );
  const stopBoardReadiness = readyBoardWhilePaying(config.dispenser, dispenser, sales, log);
  const telemetry = new OutboxUploader({
    url: config.relay.url,
    kioskId: config.kioskId,
    token: relayToken,
    outbox: store.outbox,
    log: (line) => log(`telemetry: ${line}`),
  });
  dispenser.onEvent((event) => {
    if (event.type === 'fully_loaded') {
      maintenance.fullyLoaded();
      log('board: technician pressed "fully loaded"; every lane is at capacity');
      events.publish('kiosk.updated', describeKiosk(deps)); // screens re-read the catalog
    }
    if (event.type === 'link') {
      store.outbox.record('board.link', { state: event.state, detail: event.detail });
      log(`board link ${event.state}: ${event.detail}`);
      events.publish('kiosk.updated', describeKiosk(deps));
    }
  });
  const status = new KioskStatusReporter({
    sources: {
      lanes: () => store.lanes.list(),
      boardLink: () => dispenser.linkState,
      refunds: () => [...store.refunds.pending(), ...store.refunds.failed(1000)],
      outboxDepth: () => store.outbox.unsentCount(),
    },
    outbox: store.outbox,
    now,
    log,
  });
  const dispatch = createDispatcher(createRpcHandlers(deps), log);

  const retention = new OrderRetention({
    db: store.db,
    keepDays: config.sale.keepFinishedOrdersDays,
    now,
    log,
  });

  await sales.recover();
  sales.start();
  retention.start();
  relay.start();
  status.start();
  telemetry.start();

  return {
    dispatch,
    events,
    sales,
    store,
    dispenser,
    relay,
    telemetry,
    status,
    close: async () => {
      status.stop();
      await telemetry.stop();
      await relay?.stop();
      await sales.stop();
      await retention.stop();
      stopBoardReadiness?.();
      await dispenser.close();
      store.close();
    },
  };
}

/** The board driver the configuration names, on the configured serial device (or the override's port). */
function createDispenser(
  config: AgentConfig,
  overrides: AgentOverrides,
  log: (line: string) => void,
): Dispenser {
  const d = config.dispenser;
  const openPort = overrides.openPort ?? (() => openSerialPort(d.path, dispenserBaudRate(d)));
  const options = {
    openPort,
    dropSensor: d.dropSensor,
    lift: d.lift,
    log: (line: string) => log(`dispenser: ${line}`),
  };
  return d.driver === 'zdm8'
    ? createZdm8Dispenser({ ...options, unit: d.unit })
    : createFafbDispenser({ ...options, ...(d.fafbProfile && { profile: d.fafbProfile }) });
}
