// The parts every route and hook of one relay shares: the store, the kiosk hub, metrics, authentication and
// the bad-notify limiter, reconciliation, plus the hourly retention sweep and the daily reconciliation. Built once per relay by buildRelayApp.
import { KioskAuthenticator } from './auth.ts';
import type { RelayOptions } from './index.ts';
import type { KioskApiDeps } from './kiosk-api.ts';
import { KioskHub } from './kiosk-hub.ts';
import type { RelayLogger } from './logging.ts';
import { RelayMetrics } from './metrics.ts';
import type { NotifyDeps } from './notify.ts';
import { BadNotifyLimiter } from './rate-limit.ts';
import { OperatorAccess } from './console/access.ts';
import { consoleSettings } from './console/settings.ts';
import { Calendar } from './operator/calendar.ts';
import { createReconciliation } from './reconcile/relay-reconciliation.ts';
import type { ReconciliationParts } from './reconcile/relay-reconciliation.ts';
import { startDailySchedule } from './reconcile/schedule.ts';
import { kioskIdFromOutTradeNo } from './routing.ts';
import { openRelayStore } from './store.ts';
import type { RelayStore } from './store.ts';

export interface RelayContext {
  readonly opts: RelayOptions;
  readonly log: RelayLogger;
  readonly store: RelayStore;
  readonly auth: KioskAuthenticator;
  readonly hub: KioskHub;
  readonly metrics: RelayMetrics;
  readonly notify: NotifyDeps;
  readonly kioskApi: KioskApiDeps;
  readonly now: () => Date;
  /** Who may use the operator API and console (admin token, console sessions, login throttle). */
  readonly access: OperatorAccess;
  /** Calendar days in the operator's time zone (sales today, charts). */
  readonly calendar: Calendar;
  /** Reconciliation against Alipay's bill; null when the relay has no Alipay credentials for it. */
  readonly reconciliation: ReconciliationParts | null;
  /** Open HTTP sockets (websockets included), for the relay_http_connections gauge. */
  openSockets: number;
  /** Stops the retention sweep; the store itself is closed by the app's onClose hook. */
  stopTimers(): void;
}

const HOUR_MS = 3_600_000;
/**
 * A silent link (cable cut, kiosk powered off) is found by its missed pong: terminated at the second beat
 * after its last sign of life, so within 40 s, and the console shows the kiosk offline within 60 s.
 */
export const DEFAULT_PING_INTERVAL_MS = 20_000;

export async function createRelayContext(opts: RelayOptions, log: RelayLogger): Promise<RelayContext> {
  const now = opts.now ?? ((): Date => new Date());
  const location = opts.databaseUrl ?? opts.dbPath ?? '';
  const store = await openRelayStore(location, { watchMs: opts.enrollmentWatchMs });
  try {
    const epoch = await store.openEpoch(now().toISOString());
    log.info({ backend: store.backend, epoch }, 'log epoch');
  } catch (err) {
    await store.close();
    throw err;
  }
  const auth = new KioskAuthenticator(opts.kiosks, (id) => store.enrollment.digest(id));
  // The gauges read the context at scrape time; the hub is created right after.
  const metrics: RelayMetrics = new RelayMetrics({
    httpConnections: () => ctx.openSockets,
    kiosksConnected: () => hub.connectedCount,
    longPollWaiting: () => hub.waitingCount,
    deadLetters: () => store.deadLetterCount(),
  });
  const hub: KioskHub = new KioskHub({
    store,
    auth,
    metrics,
    pingIntervalMs: opts.pingIntervalMs ?? DEFAULT_PING_INTERVAL_MS,
    log,
  });
  // Other writers of the database: relay instances sharing it (PostgreSQL) and the enrollment CLI.
  store.watch({
    eventsStored: (kioskId) => (kioskId === undefined ? hub.wakeAll() : hub.wake(kioskId)),
    sessionOpened: (kioskId, ticket) => hub.sessionOpenedElsewhere(kioskId, ticket),
    enrollmentChanged: () => hub.revalidate(),
  });

  const retentionMs = (opts.retentionDays ?? 90) * 86_400_000;
  const prune = async (): Promise<void> => {
    try {
      const removed = await store.pruneBefore(new Date(now().getTime() - retentionMs).toISOString());
      if (removed.events + removed.notifies + removed.telemetry > 0) log.info(removed, 'pruned');
    } catch (err) {
      log.error({ error: (err as Error).message }, 'prune failed');
    }
  };
  await prune();
  const pruneTimer = setInterval(() => void prune(), HOUR_MS);
  pruneTimer.unref();

  const reconciliation = opts.reconcile
    ? createReconciliation({
        relayStore: store,
        appId: opts.alipay.appId,
        alipayPublicKey: opts.alipay.publicKey,
        options: opts.reconcile,
        kioskOf: (outTradeNo) => kioskIdFromOutTradeNo(outTradeNo) ?? null,
        now,
        log,
        metrics: metrics.reconciliation,
      })
    : null;
  const schedule =
    reconciliation && opts.reconcile?.dailyAt !== undefined
      ? startDailySchedule({
          at: opts.reconcile.dailyAt,
          now,
          runDay: async (day) =>
            (await reconciliation.service.run(day, { trigger: 'auto', actor: 'schedule' })).status !==
            'failed',
          onError: (err) =>
            log.error(
              { error: err instanceof Error ? err.message : String(err) },
              'scheduled reconciliation failed',
            ),
        })
      : null;
  if (reconciliation) {
    // The metrics gauge starts from what the database already knows.
    void reconciliation.store.latestCounts().then(
      (latest) => latest && metrics.reconciliation.showDay(latest.day, latest.byClass),
      (err: unknown) => log.error({ error: (err as Error).message }, 'reconciliation metrics not loaded'),
    );
  }

  const ctx: RelayContext = {
    opts,
    reconciliation,
    log,
    store,
    auth,
    hub,
    metrics,
    now,
    access: new OperatorAccess(
      opts.adminToken,
      consoleSettings(opts.console),
      opts.trustProxy ?? 'loopback',
      () => now().getTime(),
    ),
    calendar: new Calendar(opts.timeZone),
    openSockets: 0,
    notify: {
      store,
      alipay: opts.alipay,
      isKnownKiosk: (id) => auth.isKnownKiosk(id),
      metrics,
      limiter: new BadNotifyLimiter(opts.limits?.badNotifiesPerMinute ?? 60),
      maxBodyBytes: opts.limits?.maxNotifyBytes ?? 64 * 1024,
      trustProxy: opts.trustProxy ?? 'loopback',
      onStored: (kioskId) => hub.wake(kioskId),
      log,
      now,
    },
    kioskApi: {
      store,
      hub,
      metrics,
      maxBodyBytes: opts.limits?.maxOutboxBytes ?? 1024 * 1024,
      now,
    },
    stopTimers: () => {
      clearInterval(pruneTimer);
      schedule?.stop();
    },
  };
  return ctx;
}
