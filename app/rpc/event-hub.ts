// Pushed UI events, typed by the contract's event table. Hosts subscribe once and forward every event to
// their connected screens; payloads are validated on the way out like responses are.
import { eventChannels, type EventChannel, type EventOf } from './contract.ts';

export type EventSink = (event: EventChannel, payload: unknown) => void;

export class EventHub {
  private readonly sinks = new Set<EventSink>();

  subscribe(sink: EventSink): () => void {
    this.sinks.add(sink);
    return () => this.sinks.delete(sink);
  }

  publish<E extends EventChannel>(event: E, payload: EventOf<E>): void {
    const checked = eventChannels[event].parse(payload);
    for (const sink of this.sinks) sink(event, checked);
  }
}
