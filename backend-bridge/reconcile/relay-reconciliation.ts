// Builds the relay's reconciliation from its options: an AlipayClient signed with the app private key (which
// stays in this client and never reaches a log), the relay store's reconciliation tables and sources (either backend), the metrics sink.
// Without Alipay credentials for it (`reconcile` unset) the relay has no reconciliation and the API says so.
import type { KeyObject } from 'node:crypto';
import { AlipayClient, fetchTradeBill } from '../../app/alipay/index.ts';
import type { RelayLogger } from '../logging.ts';
import type { RelayStore } from '../store.ts';
import type { ReconcileMetricsSink } from './service.ts';
import { ReconciliationService } from './service.ts';
import type { ReconciliationStore } from './store.ts';

export type ReconcileOptions = {
  /** Alipay's gateway, e.g. `https://openapi.alipay.com/gateway.do`. */
  gatewayUrl: string;
  /** The app private key that signs the bill and refund calls. */
  privateKey: KeyObject;
  /** Run every day at this Beijing time (`HH:MM`); absent: only on demand (API, command line). */
  dailyAt?: string;
  /** Refund "paid, nothing delivered, nothing refunded" after each run without waiting for an operator. */
  autoRefund?: boolean;
  /** Per HTTP attempt to the gateway (default 10 s). */
  timeoutMs?: number;
};

export type ReconciliationParts = {
  store: ReconciliationStore;
  service: ReconciliationService;
};

export function createReconciliation(args: {
  relayStore: RelayStore;
  appId: string;
  alipayPublicKey: KeyObject;
  options: ReconcileOptions;
  kioskOf: (outTradeNo: string) => string | null;
  now: () => Date;
  log: RelayLogger;
  metrics?: ReconcileMetricsSink;
}): ReconciliationParts {
  const client = new AlipayClient({
    gatewayUrl: args.options.gatewayUrl,
    appId: args.appId,
    privateKey: args.options.privateKey,
    alipayPublicKey: args.alipayPublicKey,
    ...(args.options.timeoutMs !== undefined ? { timeoutMs: args.options.timeoutMs } : {}),
  });
  const { results: store, sources } = args.relayStore.reconciliation;
  const service = new ReconciliationService({
    store,
    sources,
    bill: (day) => fetchTradeBill(client, day),
    gateway: client,
    kioskOf: args.kioskOf,
    now: args.now,
    log: args.log,
    autoRefund: args.options.autoRefund ?? false,
    ...(args.metrics ? { metrics: args.metrics } : {}),
  });
  return { store, service };
}
