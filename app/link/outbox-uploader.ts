// Uploads the telemetry outbox to the relay (POST /v1/kiosks/<id>/outbox), in batches, oldest first. An
// event leaves the outbox only after the relay answered that it stored it; a failed upload is retried with
// backoff. Never on the sale's path: a kiosk sells the same with its relay away.
import { backoffDelay, DEFAULT_BACKOFF, type BackoffPolicy } from './backoff.ts';

export interface OutboxPort {
  unsent(limit: number): ReadonlyArray<{ id: string; type: string; at: string; data: unknown }>;
  markSent(ids: readonly string[]): void;
}

export interface OutboxUploaderOptions {
  readonly url: string;
  readonly kioskId: string;
  readonly token: string;
  readonly outbox: OutboxPort;
  readonly intervalMs?: number;
  readonly batchSize?: number;
  readonly backoff?: BackoffPolicy;
  readonly log?: (line: string) => void;
}

export class OutboxUploader {
  private timer: NodeJS.Timeout | null = null;
  private failures = 0;
  private running: Promise<void> | null = null;
  private stopped = true;

  constructor(private readonly options: OutboxUploaderOptions) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }

  /** Uploads everything unsent now; resolves with how many events the relay took. */
  async flush(): Promise<number> {
    let uploaded = 0;
    const size = this.options.batchSize ?? 200;
    for (;;) {
      const batch = this.options.outbox.unsent(size);
      if (batch.length === 0) return uploaded;
      const url = new URL(`/v1/kiosks/${encodeURIComponent(this.options.kioskId)}/outbox`, this.options.url);
      const res = await fetch(url, {
        method: 'POST',
        headers: { authorization: `Bearer ${this.options.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ events: batch }),
        signal: AbortSignal.timeout(15_000),
      });
      if (res.status !== 200) throw new Error(`relay answered HTTP ${res.status} to the outbox upload`);
      const answer = (await res.json()) as { accepted?: unknown };
      const accepted = Array.isArray(answer.accepted)
        ? answer.accepted.filter((id) => typeof id === 'string')
        : [];
      this.options.outbox.markSent(accepted);
      uploaded += accepted.length;
      if (accepted.length < batch.length) return uploaded; // the relay kept some back: try them next round
    }
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.running = this.flush()
        .then(() => {
          this.failures = 0;
          this.schedule(this.options.intervalMs ?? 15_000);
        })
        .catch((err: unknown) => {
          this.failures++;
          this.options.log?.(`telemetry upload failed: ${(err as Error).message}`);
          this.schedule(backoffDelay(this.failures, this.options.backoff ?? DEFAULT_BACKOFF));
        })
        .finally(() => (this.running = null));
    }, delayMs);
    this.timer.unref();
  }
}
