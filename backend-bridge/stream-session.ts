// One kiosk's websocket: `hello{lastSeq}` starts delivery of every stored event after lastSeq, in order,
// followed by live ones; `ack{seq}` moves the kiosk's durable high-water mark. Delivery reads from the
// database each time, so the log (not memory) is the single source of truth and nothing is skipped.
import type { WebSocket } from 'ws';
import { z } from 'zod';
import type { RelayEvent } from './store.ts';
import type { RelayLogger } from './logging.ts';
import type { RelayMetrics } from './metrics.ts';
import type { RelayStore } from './store.ts';

const SEQ = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const KioskMessage = z.discriminatedUnion('type', [
  z.object({ type: z.literal('hello'), lastSeq: SEQ, epoch: z.string().min(1).max(64).optional() }),
  z.object({ type: z.literal('ack'), seq: SEQ }),
]);

/** Frames sent per database read; the next batch goes once the last frame has been written out. */
const BATCH = 200;

export const CLOSE_REPLACED = 4000;
export const CLOSE_REVOKED = 4001;
export const CLOSE_BAD_MESSAGE = 1008;
export const CLOSE_GOING_AWAY = 1001;

export class StreamSession {
  isAlive = true;
  /** Highest seq written to this socket; undefined until the kiosk said hello. */
  #sentSeq: number | undefined;
  #pumping = false;
  /** A wake-up came while a read or a batch was in flight: read again when it ends. */
  #again = false;
  /** Messages are handled one after another (the store is asynchronous; an ack must not overtake hello). */
  #inbox: Promise<void> = Promise.resolve();

  constructor(
    readonly kioskId: string,
    readonly ws: WebSocket,
    private readonly store: RelayStore,
    private readonly metrics: RelayMetrics,
    private readonly log: RelayLogger,
  ) {
    ws.on('pong', () => {
      this.isAlive = true;
    });
    ws.on('message', (data, isBinary) => {
      this.isAlive = true;
      const text = isBinary ? null : data.toString();
      this.#inbox = this.#inbox
        .then(() => this.#onMessage(text))
        .catch((err: unknown) => {
          // The store failed: the kiosk reconnects and says hello again; nothing was acked that was not.
          this.log.error(
            { kioskId, error: err instanceof Error ? err.message : String(err) },
            'stream failed',
          );
          this.ws.close(1011, 'relay storage error');
        });
    });
  }

  async #onMessage(text: string | null): Promise<void> {
    let parsed: z.infer<typeof KioskMessage>;
    try {
      if (text === null) throw new Error('binary frame');
      parsed = KioskMessage.parse(JSON.parse(text));
    } catch {
      this.log.warn({ kioskId: this.kioskId }, 'stream message refused');
      this.ws.close(CLOSE_BAD_MESSAGE, 'expected {"type":"hello","lastSeq":N} or {"type":"ack","seq":N}');
      return;
    }
    if (parsed.type === 'hello') {
      const resumeAfter = await this.store.resumePoint(this.kioskId, parsed.epoch, parsed.lastSeq);
      const epoch = this.store.epoch;
      if (resumeAfter !== parsed.lastSeq || (parsed.epoch !== undefined && parsed.epoch !== epoch)) {
        // A new epoch (the relay restarted) is routine; a resume point behind the kiosk means this log lost
        // what the kiosk saw (an older backup was restored): it resynchronises from the point both share.
        const level = resumeAfter < parsed.lastSeq ? 'warn' : 'info';
        this.log[level](
          {
            kioskId: this.kioskId,
            kioskEpoch: parsed.epoch,
            kioskLastSeq: parsed.lastSeq,
            epoch,
            resumeAfter,
          },
          resumeAfter < parsed.lastSeq
            ? 'kiosk ahead of relay log: resynchronising'
            : 'kiosk joins new epoch',
        );
      }
      // The kiosk holds everything up to the resume point: that is an ack, and delivery resumes right after.
      await this.store.ack(this.kioskId, resumeAfter);
      await this.store.touch(this.kioskId, new Date().toISOString());
      this.#sentSeq = resumeAfter;
      this.ws.send(JSON.stringify({ type: 'welcome', epoch, lastSeq: resumeAfter }));
      this.pump();
    } else {
      await this.store.ack(this.kioskId, parsed.seq);
    }
  }

  /** Sends whatever the log holds beyond what this socket has seen. Safe to call at any time. */
  pump(): void {
    if (this.#sentSeq === undefined || this.ws.readyState !== this.ws.OPEN) return;
    if (this.#pumping) {
      this.#again = true;
      return;
    }
    this.#pumping = true;
    this.#again = false;
    const after = this.#sentSeq;
    this.store.eventsAfter(this.kioskId, after, BATCH).then(
      (batch) => this.#send(batch),
      (err: unknown) => {
        this.#pumping = false;
        this.log.error(
          { kioskId: this.kioskId, error: err instanceof Error ? err.message : String(err) },
          'replay read failed',
        );
        this.ws.close(1011, 'relay storage error');
      },
    );
  }

  #send(batch: readonly RelayEvent[]): void {
    const last = batch[batch.length - 1];
    if (last === undefined || this.ws.readyState !== this.ws.OPEN) {
      this.#pumping = false;
      if (this.#again) this.pump();
      return;
    }
    for (const ev of batch) {
      const frame = JSON.stringify({
        type: 'event',
        seq: ev.seq,
        kind: ev.kind,
        body: ev.body,
        receivedAt: ev.receivedAt,
      });
      // Continue after the last frame is flushed: natural backpressure, and it picks up events that
      // arrived while this batch was being written.
      this.ws.send(
        frame,
        ev === last
          ? (err) => {
              this.#pumping = false;
              if (err === undefined || err === null) this.pump();
            }
          : undefined,
      );
    }
    this.#sentSeq = last.seq;
    this.metrics.push('ws', batch.length);
  }
}
