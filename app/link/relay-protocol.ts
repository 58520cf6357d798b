// Frames of the relay's kiosk stream (backend-bridge/, DESIGN.md "Contracts"): hello{lastSeq} → event{seq,…}
// → ack{seq}. Parsed defensively: the relay is trusted to deliver, never to be right (the kiosk re-verifies
// every notification's Alipay signature).
export interface RelayEvent {
  readonly seq: number;
  readonly kind: string;
  /** The notification exactly as Alipay posted it (form-encoded), for the kiosk to verify itself. */
  readonly body: string;
  readonly receivedAt: string;
}

export type KioskFrame =
  | { readonly type: 'hello'; readonly lastSeq: number; readonly epoch?: string | undefined }
  | { readonly type: 'ack'; readonly seq: number };

/** The relay's answer to hello: the log epoch and the seq delivery resumes after (the kiosk's new cursor). */
export interface RelayWelcome {
  readonly type: 'welcome';
  readonly epoch: string;
  readonly lastSeq: number;
}

export function parseRelayFrame(text: string): RelayEvent | RelayWelcome | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  const type = asRecord(value)?.['type'];
  if (type === 'welcome') return parseRelayWelcome(value);
  if (type !== 'event') return null;
  return parseRelayEvent(value);
}

/** {epoch, lastSeq} as the stream's welcome and the long-poll's answer ({epoch, after}) carry them. */
export function parseRelayWelcome(value: unknown, seqField = 'lastSeq'): RelayWelcome | null {
  const v = asRecord(value);
  if (v === null) return null;
  const epoch = v['epoch'];
  const lastSeq = v[seqField];
  if (typeof epoch !== 'string' || epoch === '' || epoch.length > 64) return null;
  if (!Number.isSafeInteger(lastSeq) || (lastSeq as number) < 0) return null;
  return { type: 'welcome', epoch, lastSeq: lastSeq as number };
}

/** An event object as both the stream (inside a frame) and the long-poll (in its list) carry it. */
export function parseRelayEvent(value: unknown): RelayEvent | null {
  const v = asRecord(value);
  if (v === null) return null;
  const { seq, kind, body, receivedAt } = v;
  if (!Number.isSafeInteger(seq) || (seq as number) < 1) return null;
  if (typeof kind !== 'string' || typeof body !== 'string') return null;
  return { seq: seq as number, kind, body, receivedAt: typeof receivedAt === 'string' ? receivedAt : '' };
}

/**
 * A JSON object's fields (an array's too: it has none of ours); null for null (whose typeof is 'object') and
 * for every primitive.
 */
function asRecord(value: unknown): Record<string, unknown> | null {
  return typeof value === 'object' ? (value as Record<string, unknown> | null) : null;
}
