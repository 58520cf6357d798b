import type { KeyObject } from 'node:crypto';
import { randomBytes } from 'node:crypto';
import { signContent, notifySignContent } from '../../app/alipay/index.ts';

// Alipay re-sends a notify until the merchant answers exactly `success`:
// 4m, 10m, 10m, 1h, 2h, 6h, 15h after the first attempt (8 sends), compressed here by timeScale.
export const NOTIFY_RETRY_SCHEDULE_MS = [4, 10, 10, 60, 120, 360, 900].map((minutes) => minutes * 60_000);

export type NotifyMode = 'normal' | 'delay' | 'duplicate' | 'never';

export type NotifyRecord = {
  notifyId: string;
  outTradeNo: string;
  tradeStatus: string;
  url: string;
  attempts: number;
  delivered: boolean;
  lastResult: string | null;
  params: Record<string, string>;
};

export class Notifier {
  readonly records: NotifyRecord[] = [];
  readonly #timers = new Set<NodeJS.Timeout>();
  #closed = false;

  constructor(
    private readonly privateKey: KeyObject,
    private readonly timeScale: number,
  ) {}

  /** Signs (sign and sign_type excluded, as Alipay does for trade notifies) and schedules delivery. */
  send(url: string, unsigned: Record<string, string>, mode: NotifyMode, delayMs: number): NotifyRecord {
    const params: Record<string, string> = {
      ...unsigned,
      notify_id: randomBytes(16).toString('hex'),
      sign_type: 'RSA2',
    };
    params.sign = signContent(notifySignContent(params), this.privateKey);
    const record: NotifyRecord = {
      notifyId: params.notify_id ?? '',
      outTradeNo: params.out_trade_no ?? '',
      tradeStatus: params.trade_status ?? '',
      url,
      attempts: 0,
      delivered: false,
      lastResult: null,
      params,
    };
    this.records.push(record);
    if (mode === 'never') return record;
    const first = mode === 'delay' ? delayMs : 0;
    this.#schedule(record, first, 0);
    if (mode === 'duplicate') this.#schedule(record, first, 0, true);
    return record;
  }

  #schedule(record: NotifyRecord, waitMs: number, retryIndex: number, duplicate = false): void {
    if (this.#closed) return;
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      void this.#attempt(record, retryIndex, duplicate);
    }, waitMs);
    this.#timers.add(timer);
  }

  async #attempt(record: NotifyRecord, retryIndex: number, duplicate: boolean): Promise<void> {
    if (this.#closed || (record.delivered && !duplicate)) return;
    record.attempts += 1;
    try {
      const response = await fetch(record.url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
        body: new URLSearchParams(record.params).toString(),
        signal: AbortSignal.timeout(15_000),
      });
      const text = await response.text();
      record.lastResult = `${response.status} ${text.slice(0, 40)}`;
      if (response.status === 200 && text === 'success') {
        record.delivered = true;
        return;
      }
    } catch (err) {
      record.lastResult = err instanceof Error ? err.message : 'error';
    }
    if (duplicate) return; // the duplicate copy is a one-shot; the original keeps the retry schedule
    const next = NOTIFY_RETRY_SCHEDULE_MS[retryIndex];
    if (next !== undefined) this.#schedule(record, next / this.timeScale, retryIndex + 1);
  }

  close(): void {
    this.#closed = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
  }
}
