// The relay's storage, behind one asynchronous interface with two implementations: SQLite (the default,
// embedded: event-store.ts over db.ts) and PostgreSQL (pg-store.ts over pg-db.ts) for a fleet of instances.
// Everything the routes, the hub and the CLI need from the database goes through RelayStore; a new table
// gets its methods here (or in a sub-interface like EnrollmentStore) and in both implementations.

import type { FleetQueries } from './operator/fleet-queries.ts';
import type { ReconcileSources } from './reconcile/run-day.ts';
import type { ReconciliationStore } from './reconcile/store.ts';

/** What a kiosk receives: the raw form body so it can re-verify Alipay's signature itself. */
export interface RelayEvent {
  seq: number;
  kind: 'alipay_notify';
  body: string;
  receivedAt: string;
}

export interface NotifyRecord {
  dedupKey: string;
  notifyId: string | undefined;
  outTradeNo: string | undefined;
  notifyKind: string;
  /** undefined: no configured kiosk owns this out_trade_no; stored as a dead letter. */
  kioskId: string | undefined;
  rawBody: string;
  params: Record<string, string>;
  receivedAt: string;
}

/** A notify's columns in the order both backends insert them (dedup_key … received_at). */
export function notifyColumns(
  rec: NotifyRecord,
): [string, string | null, string | null, string, string | null, string, string, string] {
  return [
    rec.dedupKey,
    rec.notifyId ?? null,
    rec.outTradeNo ?? null,
    rec.notifyKind,
    rec.kioskId ?? null,
    rec.rawBody,
    JSON.stringify(rec.params),
    rec.receivedAt,
  ];
}

export type StoreOutcome =
  | { outcome: 'stored'; kioskId: string; seq: number }
  | { outcome: 'unroutable' }
  | { outcome: 'duplicate'; sameBody: boolean };

export interface TelemetryEvent {
  id: string;
  type: string;
  at: string;
  data: unknown;
}

export interface EnrolledKiosk {
  id: string;
  createdAt: string;
  rotatedAt: string | null;
  revokedAt: string | null;
}

/** Fleet enrollment: kiosks and the SHA-256 of their tokens (the token itself is never stored). */
export interface EnrollmentStore {
  /** Enrolls (or re-enrolls a revoked) kiosk; false when it is enrolled and not revoked. */
  enroll(id: string, tokenSha256: string, nowIso: string): Promise<boolean>;
  /** A new digest for an enrolled, unrevoked kiosk; false when there is none. */
  rotate(id: string, tokenSha256: string, nowIso: string): Promise<boolean>;
  /** false when the kiosk is not enrolled or already revoked. */
  revoke(id: string, nowIso: string): Promise<boolean>;
  list(): Promise<EnrolledKiosk[]>;
  /** The token digest an enrolled, unrevoked kiosk authenticates with. */
  digest(id: string): Promise<string | undefined>;
}

/**
 * What other writers of the same database did: another relay instance stored an event or took a kiosk's
 * stream, the enrollment CLI changed a token. On SQLite only enrollment changes can come from outside.
 */
export interface StoreListener {
  /** Events may have been stored for this kiosk (undefined: for any kiosk; a catch-up after a lost wake-up). */
  eventsStored(kioskId: string | undefined): void;
  /** A stream of this kiosk opened with this session ticket, on some instance. */
  sessionOpened(kioskId: string, ticket: number): void;
  enrollmentChanged(): void;
}

/**
 * Reconciliation against Alipay's bill: its own tables (days, differences, refund audit) and its reads of the
 * relay's notifications and telemetry. One implementation over either backend's plain SQL (plain-sql.ts).
 */
export interface ReconciliationStorage {
  readonly results: ReconciliationStore;
  readonly sources: ReconcileSources;
}

export interface RelayStore {
  readonly backend: 'sqlite' | 'postgres';
  readonly enrollment: EnrollmentStore;
  readonly reconciliation: ReconciliationStorage;
  /** The operator console's reads: kiosk registry and telemetry (operator/fleet-queries.ts). */
  readonly fleet: FleetQueries;
  /** The current epoch of the log; valid once openEpoch() resolved. */
  readonly epoch: string;
  /**
   * Joins the log's epoch (created with the database) or begins a new one when the database is not the one
   * this log left (a restored backup): see docs/relay.md, Epochs and restores. Called once by a relay.
   */
  openEpoch(nowIso: string): Promise<string>;
  /** Durably records a verified notification; resolves only after its commit. */
  storeNotify(rec: NotifyRecord): Promise<StoreOutcome>;
  /** Events of one kiosk with seq > afterSeq, oldest first. */
  eventsAfter(kioskId: string, afterSeq: number, limit: number): Promise<RelayEvent[]>;
  /** Monotonic, clamped to what was assigned; returns the kiosk's acked seq. */
  ack(kioskId: string, seq: number): Promise<number>;
  /** Where delivery to a kiosk resumes, given the (epoch, lastSeq) it says it holds. */
  resumePoint(kioskId: string, epoch: string | undefined, lastSeq: number): Promise<number>;
  /** Records that the kiosk was heard from (hello, long-poll, telemetry). */
  touch(kioskId: string, nowIso: string): Promise<void>;
  cursor(kioskId: string): Promise<{ lastSeq: number; ackedSeq: number }>;
  deadLetterCount(): Promise<number>;
  /** Stores telemetry idempotently; resolves to the ids that were new. */
  storeTelemetry(
    kioskId: string,
    events: readonly TelemetryEvent[],
    receivedAt: string,
  ): Promise<Set<string>>;
  /** Proves the database accepts a durable write within a short time; rejects otherwise. */
  probeWritable(nowIso: string): Promise<void>;
  /** Forgets acked events, and notifications and telemetry received before the cutoff. */
  pruneBefore(cutoffIso: string): Promise<{ events: number; notifies: number; telemetry: number }>;
  /** Starts reporting other writers' changes to the listener (once per store). */
  watch(listener: StoreListener): void;
  /** A kiosk's stream opened here: a ticket newer than any before, announced to the other instances. */
  openSession(kioskId: string): Promise<number>;
  /** That stream closed (nothing when a newer one of the kiosk has opened since). */
  closeSession(kioskId: string, ticket: number): Promise<void>;
  /**
   * Kiosks whose stream another instance holds, for the operator's "connected" (PostgreSQL); empty on
   * SQLite, where this process's hub holds every stream and knows.
   */
  liveStreams(): Promise<Set<string>>;
  close(): Promise<void>;
}

/** A postgres:// (or postgresql://) URL names PostgreSQL; anything else is a SQLite file path. */
export function isPostgresUrl(location: string): boolean {
  return /^postgres(ql)?:\/\//i.test(location);
}

/** Opens (creating and migrating) the database at `location`: a SQLite file path or a postgres:// URL. */
export async function openRelayStore(
  location: string,
  opts: { watchMs?: number | undefined } = {},
): Promise<RelayStore> {
  if (isPostgresUrl(location)) {
    const { PgStore } = await import('./pg-store.ts');
    return PgStore.open(location, opts);
  }
  const { SqliteStore } = await import('./event-store.ts');
  return SqliteStore.open(location, opts);
}
