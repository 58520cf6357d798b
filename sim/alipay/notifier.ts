import type { KeyObject } from 'node:crypto';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
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
  /**
   * When the first POST of this notify left, in epoch ms with sub-millisecond resolution (the benchmarks
   * time the merchant's side of a payment from here, as Alipay's own sending is not the merchant's share).
   */
  firstSentAt: number | null;
  params: Record<string, string>;
};

export class Notifier {
  readonly records: NotifyRecord[] = [];
  readonly #timers = new Set<NodeJS.Timeout>();
  // Idle connections are dropped after 4 s (as undici does), well before a server's own keep-alive timeout,
  // so a notify is never written into a connection the server is closing.
  readonly #agents = {
    http: new http.Agent({ keepAlive: true, timeout: 4000 }),
    https: new https.Agent({ keepAlive: true, timeout: 4000 }),
  };
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
      firstSentAt: null,
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
    record.firstSentAt ??= performance.timeOrigin + performance.now();
    try {
      const response = await postForm(
        record.url,
        new URLSearchParams(record.params).toString(),
        this.#agents,
      );
      const text = response.text;
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
    this.#agents.http.destroy();
    this.#agents.https.destroy();
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
  }
}

/**
 * One form POST with node:http on kept-alive connections. Not fetch: undici now and then took 40–50 ms
 * longer on an idle loopback (its own connection handling), and that would be counted as the merchant's time
 * in the benchmarks that start their clock when this POST leaves.
 */
function postForm(
  url: string,
  body: string,
  agents: { http: http.Agent; https: https.Agent },
): Promise<{ status: number; text: string }> {
  const target = new URL(url);
  const client = target.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = client.request(
      target,
      {
        method: 'POST',
        agent: target.protocol === 'https:' ? agents.https : agents.http,
        headers: {
          'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
          'content-length': Buffer.byteLength(body),
        },
        signal: AbortSignal.timeout(15_000),
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
