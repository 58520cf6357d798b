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
  { readonly type: 'hello'; readonly lastSeq: number } | { readonly type: 'ack'; readonly seq: number };

export function parseRelayFrame(text: string): RelayEvent | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  if ((value as Record<string, unknown>)['type'] !== 'event') return null;
  return parseRelayEvent(value);
}

/** An event object as both the stream (inside a frame) and the long-poll (in its list) carry it. */
export function parseRelayEvent(value: unknown): RelayEvent | null {
  if (typeof value !== 'object' || value === null) return null;
  const v = value as Record<string, unknown>;
  const { seq, kind, body, receivedAt } = v;
  if (!Number.isSafeInteger(seq) || (seq as number) < 1) return null;
  if (typeof kind !== 'string' || typeof body !== 'string') return null;
  return { seq: seq as number, kind, body, receivedAt: typeof receivedAt === 'string' ? receivedAt : '' };
}
