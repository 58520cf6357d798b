// Kiosk-facing HTTP endpoints (bearer auth): the long-poll fallback for events and the telemetry outbox.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import type { EventStore } from './event-store.ts';
import { BodyNotUtf8Error, BodyTooLargeError, mediaType, readBody, sendJson } from './http-util.ts';
import type { KioskHub } from './kiosk-hub.ts';
import type { RelayMetrics } from './metrics.ts';

export const MAX_WAIT_SECONDS = 30;
const LONG_POLL_LIMIT = 500;

export interface KioskApiDeps {
  store: EventStore;
  hub: KioskHub;
  metrics: RelayMetrics;
  maxBodyBytes: number;
  now: () => Date;
}

const NonNegInt = /^(0|[1-9][0-9]{0,15})$/;

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
export function handleLongPoll(
  kioskId: string,
  url: URL,
  req: IncomingMessage,
  res: ServerResponse,
  deps: KioskApiDeps,
): void {
  const after = intParam(url.searchParams.get('after'), 0);
  const wait = intParam(url.searchParams.get('wait'), 0);
  if (after === undefined || wait === undefined) {
    sendJson(res, 400, { error: 'bad_request', message: 'after and wait must be non-negative integers' });
    return;
  }
  deps.store.ack(kioskId, after);
  const respond = (): boolean => {
    const events = deps.store.eventsAfter(kioskId, after, LONG_POLL_LIMIT);
    if (events.length === 0) return false;
    deps.metrics.push('longpoll', events.length);
    sendJson(res, 200, { events });
    return true;
  };
  if (respond() || wait === 0) {
    if (!res.headersSent) sendJson(res, 200, { events: [] });
    return;
  }

  let finished = false;
  const finish = (): void => {
    if (finished) return;
    finished = true;
    clearTimeout(timer);
    cancel();
    req.off('close', onClose);
  };
  const onWake = (): void => {
    if (finished || res.writableEnded) return;
    if (respond()) return finish();
    if (deps.hub.closing) {
      finish();
      return sendJson(res, 200, { events: [] });
    }
    cancel = deps.hub.onNextEvent(kioskId, onWake); // woken for nothing new: keep waiting
  };
  let cancel = deps.hub.onNextEvent(kioskId, onWake);
  const timer = setTimeout(
    () => {
      finish();
      if (!res.writableEnded) sendJson(res, 200, { events: [] });
    },
    Math.min(wait, MAX_WAIT_SECONDS) * 1000,
  );
  const onClose = (): void => finish(); // client went away: forget the waiter
  req.on('close', onClose);
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
  res: ServerResponse,
  deps: KioskApiDeps,
) {
  if (mediaType(req.headers['content-type']) !== 'application/json') {
    req.resume();
    return sendJson(res, 415, { error: 'unsupported_media_type', message: 'send application/json' });
  }
  let text: string;
  try {
    text = await readBody(req, deps.maxBodyBytes);
  } catch (err) {
    if (err instanceof BodyTooLargeError)
      return sendJson(res, 413, { error: 'too_large', message: err.message });
    if (err instanceof BodyNotUtf8Error)
      return sendJson(res, 400, { error: 'malformed', message: err.message });
    throw err;
  }
  let batch: z.infer<typeof TelemetryBatch>;
  try {
    batch = TelemetryBatch.parse(JSON.parse(text));
  } catch {
    return sendJson(res, 400, {
      error: 'malformed',
      message:
        'expected {"events":[{"id":string,"type":string,"at":string,"data":any}]} (at most 1000 events)',
    });
  }
  const fresh = deps.store.storeTelemetry(kioskId, batch.events, deps.now().toISOString());
  const ids = [...new Set(batch.events.map((e) => e.id))];
  deps.metrics.telemetryAccepted += fresh.size;
  deps.metrics.telemetryDuplicates += batch.events.length - fresh.size;
  sendJson(res, 200, { accepted: ids, duplicates: ids.filter((id) => !fresh.has(id)) });
}
