// The relay's long-poll endpoint as a fallback for networks that break websockets (captive proxies, some
// mobile carriers): GET /v1/kiosks/<id>/events?after=<cursor>&wait=<s>. Asking for what follows the cursor
// also acks everything up to it, so the same commit-then-ack rule holds.
import { parseRelayEvent, parseRelayWelcome, type RelayEvent, type RelayWelcome } from './relay-protocol.ts';

export interface LongPollOptions {
  readonly url: string;
  readonly kioskId: string;
  readonly token: string;
  readonly waitSeconds: number;
  readonly signal: AbortSignal;
}

export class LongPollError extends Error {
  override readonly name = 'LongPollError';
}

export interface LongPollAnswer {
  /** Where the relay resumed delivery (its epoch and the seq the events follow); absent from older relays. */
  readonly welcome: RelayWelcome | null;
  readonly events: RelayEvent[];
}

/** One long-poll request: resolves with the events after `after` (possibly none when the wait ran out). */
export async function pollRelayEvents(
  options: LongPollOptions,
  after: number,
  epoch?: string,
): Promise<LongPollAnswer> {
  const url = new URL(`/v1/kiosks/${encodeURIComponent(options.kioskId)}/events`, options.url);
  url.searchParams.set('after', String(after));
  if (epoch !== undefined) url.searchParams.set('epoch', epoch);
  url.searchParams.set('wait', String(options.waitSeconds));
  const timeout = AbortSignal.timeout((options.waitSeconds + 10) * 1000);
  const res = await fetch(url, {
    headers: { authorization: `Bearer ${options.token}` },
    signal: AbortSignal.any([options.signal, timeout]),
  });
  if (res.status !== 200) throw new LongPollError(`relay answered HTTP ${res.status} to the long-poll`);
  const body = (await res.json()) as { events?: unknown };
  if (!Array.isArray(body.events)) throw new LongPollError('relay long-poll answer has no events list');
  const events = body.events.map((e) => parseRelayEvent(e));
  if (events.some((e) => e === null))
    throw new LongPollError('relay long-poll answer holds a malformed event');
  return { welcome: parseRelayWelcome(body, 'after'), events: events as RelayEvent[] };
}
