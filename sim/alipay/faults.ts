import type { NotifyMode } from './notifier.ts';

// Injected failures, set through POST /sim/faults. Counters count gateway responses down to zero.
export type Faults = {
  /** Delay before every gateway response (timeouts). */
  latencyMs: number;
  /** Next N answers: code 20000 isp.unknow-error (not processed unless processBeforeError). */
  serviceUnavailableNext: number;
  /** Next N answers: 40004 ACQ.SYSTEM_ERROR (not processed unless processBeforeError). */
  systemErrorNext: number;
  /** Next N requests are processed but the connection is destroyed without an answer. */
  dropResponseNext: number;
  /** Next N answers carry a signature with one character changed. */
  tamperSignatureNext: number;
  /** Next N answers carry no signature at all. */
  unsignedNext: number;
  /** Apply the error faults after the request took effect (the nastiest "unknown"). */
  processBeforeError: boolean;
  /** Restrict counters to these methods (empty = all). */
  methods: string[];
  notify: NotifyMode;
  notifyDelayMs: number;
  /** Next N bill link queries: isp.bill_not_exist (the file is not built yet). */
  billNotReadyNext: number;
  /** Next N bill links are dead on arrival (the file server answers with an error page). */
  billUrlExpiredNext: number;
  /** Next N bill links serve only the first half of the archive. */
  billTruncatedNext: number;
  /**
   * Next N alipay.trade.cancel: 40004 ACQ.SYSTEM_ERROR without effect, whatever `methods` says (a paid trade
   * stays paid: the kiosk's expiry cannot refund it, so reconciliation has to).
   */
  cancelFailsNext: number;
  /** Next N alipay.trade.refund: refused, 40004 ACQ.SELLER_BALANCE_NOT_ENOUGH, nothing refunded. */
  refundRefusedNext: number;
};

export function defaultFaults(): Faults {
  return {
    latencyMs: 0,
    serviceUnavailableNext: 0,
    systemErrorNext: 0,
    dropResponseNext: 0,
    tamperSignatureNext: 0,
    unsignedNext: 0,
    processBeforeError: false,
    methods: [],
    notify: 'normal',
    notifyDelayMs: 0,
    billNotReadyNext: 0,
    billUrlExpiredNext: 0,
    billTruncatedNext: 0,
    cancelFailsNext: 0,
    refundRefusedNext: 0,
  };
}

const NUMERIC = [
  'latencyMs',
  'serviceUnavailableNext',
  'systemErrorNext',
  'dropResponseNext',
  'tamperSignatureNext',
  'unsignedNext',
  'notifyDelayMs',
  'billNotReadyNext',
  'billUrlExpiredNext',
  'billTruncatedNext',
  'cancelFailsNext',
  'refundRefusedNext',
] as const;
const NOTIFY_MODES: readonly NotifyMode[] = ['normal', 'delay', 'duplicate', 'never'];

/** Merges a JSON patch into the faults; `{"reset":true}` first restores defaults. Throws on bad input. */
export function applyFaultPatch(current: Faults, patch: unknown): Faults {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch))
    throw new Error('faults must be an object');
  const input = patch as Record<string, unknown>;
  const next: Faults = input.reset === true ? defaultFaults() : { ...current };
  for (const key of NUMERIC) {
    const value = input[key];
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0)
      throw new Error(`${key} must be a non-negative integer`);
    next[key] = value;
  }
  if (input.processBeforeError !== undefined) {
    if (typeof input.processBeforeError !== 'boolean') throw new Error('processBeforeError must be boolean');
    next.processBeforeError = input.processBeforeError;
  }
  if (input.methods !== undefined) {
    if (!Array.isArray(input.methods) || !input.methods.every((m) => typeof m === 'string')) {
      throw new Error('methods must be a list of method names');
    }
    next.methods = input.methods as string[];
  }
  if (input.notify !== undefined) {
    if (!NOTIFY_MODES.includes(input.notify as NotifyMode))
      throw new Error(`notify must be one of ${NOTIFY_MODES.join(', ')}`);
    next.notify = input.notify as NotifyMode;
  }
  return next;
}
