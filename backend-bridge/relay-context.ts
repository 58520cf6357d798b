// The parts every route and hook of one relay shares: the store, the kiosk hub, metrics, authentication and
// the bad-notify limiter, plus the hourly retention sweep. Built once per relay by buildRelayApp.
import { KioskAuthenticator } from './auth.ts';
import { openRelayDb } from './db.ts';
import { enrolledDigest } from './enrollment.ts';
import type { RelayDb } from './db.ts';
import { EventStore } from './event-store.ts';
import type { KioskApiDeps } from './kiosk-api.ts';
import { KioskHub } from './kiosk-hub.ts';
import type { RelayLogger } from './logging.ts';
import { RelayMetrics } from './metrics.ts';
import type { NotifyDeps } from './notify.ts';
import { BadNotifyLimiter } from './rate-limit.ts';
import type { RelayOptions } from './index.ts';
import { OperatorAccess } from './console/access.ts';
import { consoleSettings } from './console/settings.ts';
import { Calendar } from './operator/calendar.ts';
import { createReconciliation } from './reconcile/relay-reconciliation.ts';
import type { ReconciliationParts } from './reconcile/relay-reconciliation.ts';
import { startDailySchedule } from './reconcile/schedule.ts';
import { kioskIdFromOutTradeNo } from './routing.ts';

export interface RelayContext {
  readonly opts: RelayOptions;
  readonly log: RelayLogger;
  readonly db: RelayDb;
  readonly store: EventStore;
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
  /** Stops the retention sweep; the database itself is closed by the app's onClose hook. */
  stopTimers(): void;
}

const HOUR_MS = 3_600_000;
/**
 * A silent link (cable cut, kiosk powered off) is found by its missed pong: terminated at the second beat
 * after its last sign of life, so within 40 s, and the console shows the kiosk offline within 60 s.
 */
export const DEFAULT_PING_INTERVAL_MS = 20_000;

export function createRelayContext(opts: RelayOptions, log: RelayLogger): RelayContext {
  const now = opts.now ?? ((): Date => new Date());
  const db = openRelayDb(opts.dbPath);
  const store = new EventStore(db);
  store.beginEpoch(now().toISOString());
  const auth = new KioskAuthenticator(opts.kiosks, (id) => enrolledDigest(db, id));
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

  const retentionMs = (opts.retentionDays ?? 90) * 86_400_000;
  const prune = (): void => {
    try {
      const removed = store.pruneBefore(new Date(now().getTime() - retentionMs).toISOString());
      if (removed.events + removed.notifies + removed.telemetry > 0) log.info(removed, 'pruned');
    } catch (err) {
      log.error({ error: (err as Error).message }, 'prune failed');
    }
  };
  prune();
  const pruneTimer = setInterval(prune, HOUR_MS);
  pruneTimer.unref();
  // Enrollment changes come from other processes (`notify-relay kiosk revoke`): SQLite's data_version moves
  // when another connection commits, and then every open stream is checked against its token again.
  let dataVersion = db.pragma('data_version', { simple: true }) as number;
  const watchTimer = setInterval(() => {
    try {
      const current = db.pragma('data_version', { simple: true }) as number;
      if (current === dataVersion) return;
      dataVersion = current;
      hub.revalidate();
    } catch (err) {
      log.error({ error: (err as Error).message }, 'enrollment watch failed');
    }
  }, opts.enrollmentWatchMs ?? 250);
  watchTimer.unref();

  const reconciliation = opts.reconcile
    ? createReconciliation({
        db,
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
    db,
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
      clearInterval(watchTimer);
      schedule?.stop();
    },
  };
  return ctx;
}
