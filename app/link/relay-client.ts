// The kiosk's side of the relay stream: a websocket that delivers Alipay notifications pushed by the relay.
// Each event is handled (its effect committed to SQLite) before the cursor advances and before it is acked,
// so a crash at any point means the relay replays it, and handling is idempotent.
import WebSocket from 'ws';
import { backoffDelay, DEFAULT_BACKOFF, type BackoffPolicy } from './backoff.ts';
import { parseRelayFrame, type KioskFrame, type RelayEvent } from './relay-protocol.ts';

export interface RelayCursorPort {
  get(): number;
  advance(seq: number): void;
}

export interface RelayClientOptions {
  /** The relay's base URL, http(s)://… ; the stream is at ws(s)://…/v1/kiosks/<id>/stream. */
  readonly url: string;
  readonly kioskId: string;
  readonly token: string;
  readonly cursor: RelayCursorPort;
  /** Commits the event's effect; resolves when it is durable. A rejection leaves the event unacked. */
  readonly handle: (event: RelayEvent) => Promise<void>;
  readonly log?: (line: string) => void;
  readonly backoff?: BackoffPolicy;
  /** Drop the socket when the relay has been silent (no ping, no event) this long. */
  readonly silenceTimeoutMs?: number;
}

export type RelayLinkState = 'up' | 'down';

export class RelayClient {
  private socket: WebSocket | null = null;
  private failures = 0;
  private stopped = true;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private silenceTimer: NodeJS.Timeout | null = null;
  private queue: Promise<void> = Promise.resolve();
  private linkState: RelayLinkState = 'down';
  private readonly stateListeners = new Set<(s: RelayLinkState) => void>();

  constructor(private readonly options: RelayClientOptions) {}

  get state(): RelayLinkState {
    return this.linkState;
  }

  onState(listener: (s: RelayLinkState) => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.clearSilenceTimer();
    const socket = this.socket;
    this.socket = null;
    if (socket && socket.readyState !== WebSocket.CLOSED) {
      await new Promise<void>((resolve) => {
        socket.once('close', () => resolve());
        socket.terminate();
      });
    }
    await this.queue;
    this.setState('down');
  }

  private connect(): void {
    const streamUrl = new URL(
      `/v1/kiosks/${encodeURIComponent(this.options.kioskId)}/stream`,
      this.options.url,
    );
    streamUrl.protocol = streamUrl.protocol === 'https:' ? 'wss:' : 'ws:';
    const socket = new WebSocket(streamUrl, {
      headers: { authorization: `Bearer ${this.options.token}` },
      handshakeTimeout: 10_000,
    });
    this.socket = socket;
    socket.on('open', () => {
      this.failures = 0;
      this.send(socket, { type: 'hello', lastSeq: this.options.cursor.get() });
      this.armSilenceTimer(socket);
      this.setState('up');
    });
    socket.on('ping', () => this.armSilenceTimer(socket));
    socket.on('message', (data) => {
      this.armSilenceTimer(socket);
      const event = parseRelayFrame(data.toString());
      if (!event) {
        this.log('relay sent a frame that is not an event; ignored');
        return;
      }
      // Events are handled strictly one after another, in seq order, as the relay sent them.
      this.queue = this.queue.then(() => this.deliver(socket, event));
    });
    socket.on('unexpected-response', (_req, res) => {
      this.log(`relay refused the stream: HTTP ${res.statusCode}`);
    });
    socket.on('error', (err) => this.log(`relay stream error: ${err.message}`));
    socket.on('close', () => {
      this.clearSilenceTimer();
      if (this.socket === socket) this.socket = null;
      this.setState('down');
      if (!this.stopped) this.scheduleReconnect();
    });
  }

  private async deliver(socket: WebSocket, event: RelayEvent): Promise<void> {
    if (event.seq > this.options.cursor.get()) {
      try {
        await this.options.handle(event);
      } catch (err) {
        // Not acked: the relay replays it after the next hello.
        this.log(`relay event ${event.seq} not handled: ${(err as Error).message}`);
        socket.terminate();
        return;
      }
      this.options.cursor.advance(event.seq);
    }
    this.send(socket, { type: 'ack', seq: event.seq });
  }

  private send(socket: WebSocket, frame: KioskFrame): void {
    if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(frame));
  }

  private scheduleReconnect(): void {
    this.failures++;
    const delay = backoffDelay(this.failures, this.options.backoff ?? DEFAULT_BACKOFF);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      if (!this.stopped) this.connect();
    }, delay);
  }

  private armSilenceTimer(socket: WebSocket): void {
    this.clearSilenceTimer();
    // The relay pings every 30 s; a connection silent for longer is dead even if TCP has not noticed.
    this.silenceTimer = setTimeout(() => socket.terminate(), this.options.silenceTimeoutMs ?? 35_000);
  }

  private clearSilenceTimer(): void {
    if (this.silenceTimer) clearTimeout(this.silenceTimer);
    this.silenceTimer = null;
  }

  private setState(state: RelayLinkState): void {
    if (state === this.linkState) return;
    this.linkState = state;
    for (const l of this.stateListeners) l(state);
  }

  private log(line: string): void {
    this.options.log?.(line);
  }
}
