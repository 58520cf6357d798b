// Kiosk-facing HTTP endpoints (bearer auth): the long-poll fallback for events and the telemetry outbox.
import type { IncomingMessage } from 'node:http';
import { z } from 'zod';
import { jsonAnswer } from './http-util.ts';
import type { Answer } from './http-util.ts';
import { readJsonBody } from './json-body.ts';
import type { KioskHub } from './kiosk-hub.ts';
import type { RelayMetrics } from './metrics.ts';
import type { RelayStore } from './store.ts';

export const MAX_WAIT_SECONDS = 30;
const LONG_POLL_LIMIT = 500;

export interface KioskApiDeps {
  store: RelayStore;
  hub: KioskHub;
  metrics: RelayMetrics;
  maxBodyBytes: number;
  now: () => Date;
}

const NonNegInt = /^(0|[1-9][0-9]{0,15})$/;
const EPOCH = /^[A-Za-z0-9-]{1,64}$/;

function intParam(value: string | null, fallback: number): number | undefined {
  if (value === null || value === '') return fallback;
  if (!NonNegInt.test(value)) return undefined;
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : undefined;
}

/**
 * GET /v1/kiosks/:id/events?after=SEQ&wait=S. Answers at once when events after SEQ exist, otherwise
 * when one arrives or after S seconds (default 0, at most 30) with an empty list. `after` also acks:
 * a kiosk only asks for what follows the events it has already stored.
 */
export async function handleLongPoll(
  kioskId: string,
  query: URLSearchParams,
  req: IncomingMessage,
  deps: KioskApiDeps,
): Promise<Answer> {
  const asked = intParam(query.get('after'), 0);
  const wait = intParam(query.get('wait'), 0);
  const kioskEpoch = query.get('epoch') ?? undefined;
  if (asked === undefined || wait === undefined || (kioskEpoch !== undefined && !EPOCH.test(kioskEpoch))) {
    return jsonAnswer(400, {
      error: 'bad_request',
      message: 'after and wait must be non-negative integers, epoch as the relay sent it',
    });
  }
  // As on the stream: the answer names the epoch and the point delivery resumed from, which is behind
  // `after` only when this log lost what the kiosk saw (a restored backup); the kiosk then resynchronises.
  const after = await deps.store.resumePoint(kioskId, kioskEpoch, asked);
  const epoch = deps.store.epoch;
  await deps.store.ack(kioskId, after);
  await deps.store.touch(kioskId, deps.now().toISOString());
  const ready = async (): Promise<Answer | undefined> => {
    const events = await deps.store.eventsAfter(kioskId, after, LONG_POLL_LIMIT);
    if (events.length === 0) return undefined;
    deps.metrics.push('longpoll', events.length);
    return jsonAnswer(200, { epoch, after, events });
  };
  const empty = jsonAnswer(200, { epoch, after, events: [] });
  const now = await ready();
  if (now !== undefined || wait === 0) return now ?? empty;

  return new Promise<Answer>((resolve) => {
    let finished = false;
    const finish = (answer: Answer): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      cancel();
      req.socket.off('close', onClose);
      resolve(answer);
    };
    const onWake = (): void => {
      if (finished) return;
      // Re-armed before the read: a wake-up arriving while it runs is not lost.
      cancel = deps.hub.onNextEvent(kioskId, onWake);
      ready().then(
        (answer) => {
          if (answer !== undefined) finish(answer);
          else if (deps.hub.closing) finish(empty);
        },
        () => finish(empty), // the store failed: the kiosk asks again
      );
    };
    let cancel = deps.hub.onNextEvent(kioskId, onWake);
    const timer = setTimeout(() => finish(empty), Math.min(wait, MAX_WAIT_SECONDS) * 1000);
    const onClose = (): void => finish(empty); // client went away: forget the waiter
    req.socket.on('close', onClose);
  });
}

const TelemetryBatch = z.object({
  events: z
    .array(
      z.object({
        id: z.string().min(1).max(128),
        type: z.string().min(1).max(128),
        at: z.string().min(1).max(64),
        data: z.unknown(),
      }),
    )
    .max(1000),
});

/**
 * POST /v1/kiosks/:id/outbox with {events:[{id,type,at,data}]}. Idempotent by event id: every id in
 * the answer's `accepted` is stored (whether now or by an earlier upload), so the kiosk may drop it.
 */
export async function handleOutbox(
  kioskId: string,
  req: IncomingMessage,
  deps: KioskApiDeps,
): Promise<Answer> {
  const body = await readJsonBody(
    req,
    deps.maxBodyBytes,
    TelemetryBatch,
    '{"events":[{"id":string,"type":string,"at":string,"data":any}]} (at most 1000 events)',
  );
  if (!body.ok) return body.answer;
  const batch = body.value;
  const fresh = await deps.store.storeTelemetry(kioskId, batch.events, deps.now().toISOString());
  await deps.store.touch(kioskId, deps.now().toISOString());
  const ids = [...new Set(batch.events.map((e) => e.id))];
  deps.metrics.telemetryAccepted += fresh.size;
  deps.metrics.telemetryDuplicates += batch.events.length - fresh.size;
  return jsonAnswer(200, { accepted: ids, duplicates: ids.filter((id) => !fresh.has(id)) });
}
