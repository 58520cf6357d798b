// The kiosk's side of the relay stream: a websocket that delivers Alipay notifications pushed by the relay.
// Each event is handled (its effect committed to SQLite) before the cursor advances and before it is acked,
// so a crash at any point means the relay replays it, and handling is idempotent.
import WebSocket from 'ws';
import { backoffDelay, DEFAULT_BACKOFF, type BackoffPolicy } from './backoff.ts';
import { pollRelayEvents } from './long-poll.ts';
import { parseRelayFrame, type KioskFrame, type RelayEvent, type RelayWelcome } from './relay-protocol.ts';

export interface RelayCursorPort {
  get(): number;
  advance(seq: number): void;
  /** The relay log epoch the cursor counts in (undefined until a relay named one). */
  epoch(): string | undefined;
  /** Sets the cursor to where the relay resumes delivery, even backwards (new epoch, restored relay). */
  resync(epoch: string, seq: number): void;
}

export interface RelayClientOptions {
  /**
   * The relay's base URL, http(s)://… ; the stream is at ws(s)://…/v1/kiosks/<id>/stream (ws dials an http(s)
   * URL as ws(s)).
   */
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
  /** While the websocket is down, long-poll the relay with this wait (seconds; 0 disables the fallback). */
  readonly longPollWaitSeconds?: number;
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
  /** The long-poll fallback while it runs: its abort, and its end (stop() waits for it). */
  private poll: { readonly controller: AbortController; readonly done: Promise<void> } | null = null;
  private pollHealthy = false;
  private readonly stateListeners = new Set<(s: RelayLinkState) => void>();

  constructor(private readonly options: RelayClientOptions) {}

  /** The websocket's state. */
  get state(): RelayLinkState {
    return this.linkState;
  }

  /** True while events reach the kiosk promptly: over the websocket, or over the long-poll fallback. */
  get delivering(): boolean {
    return this.linkState === 'up' || this.pollHealthy;
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
    const poll = this.poll;
    poll?.controller.abort();
    clearTimeout(this.reconnectTimer ?? undefined);
    this.clearSilenceTimer();
    const socket = this.socket;
    this.socket = null;
    if (socket && socket.readyState !== WebSocket.CLOSED) {
      await new Promise<void>((resolve) => {
        socket.once('close', () => resolve());
        socket.terminate();
      });
    }
    await poll?.done;
    await this.queue;
    this.setState('down');
  }

  private connect(): void {
    const streamUrl = new URL(
      `/v1/kiosks/${encodeURIComponent(this.options.kioskId)}/stream`,
      this.options.url,
    );
    const socket = new WebSocket(streamUrl, {
      headers: { authorization: `Bearer ${this.options.token}` },
      handshakeTimeout: 10_000,
    });
    this.socket = socket;
    socket.on('open', () => {
      this.failures = 0;
      this.poll?.controller.abort();
      // Before the relay named an epoch there is none: the frame leaves it out (JSON drops undefined).
      this.send(socket, {
        type: 'hello',
        lastSeq: this.options.cursor.get(),
        epoch: this.options.cursor.epoch(),
      });
      this.armSilenceTimer(socket);
      this.setState('up');
    });
    socket.on('ping', () => this.armSilenceTimer(socket));
    socket.on('message', (data) => {
      this.armSilenceTimer(socket);
      const frame = parseRelayFrame(data.toString());
      if (!frame) {
        this.log('relay sent a frame that is not an event; ignored');
        return;
      }
      // Frames are handled strictly one after another, in seq order, as the relay sent them. A frame whose
      // effect cannot be stored (a full disk) ends the stream: nothing after it is taken out of order, the
      // queue stays usable, and the reconnect resumes from the last cursor that reached the disk.
      this.queue = this.queue
        .then(() => ('type' in frame ? this.resync(frame) : this.deliver(socket, frame)))
        .catch((err: unknown) => {
          this.log(`relay frame not stored: ${(err as Error).message}; reconnecting`);
          socket.terminate();
        });
    });
    socket.on('unexpected-response', (_req, res) => {
      this.log(`relay refused the stream: HTTP ${res.statusCode}`);
      // With this listener attached, ws leaves the failed handshake open: end it so 'close' (and the
      // reconnect) follow.
      socket.terminate();
    });
    socket.on('error', (err) => this.log(`relay stream error: ${err.message}`));
    socket.on('close', () => {
      this.clearSilenceTimer();
      this.setState('down');
      if (!this.stopped) {
        this.scheduleReconnect();
        this.startPolling();
      }
    });
  }

  /** Starts the long-poll fallback, unless it runs already or is off: it runs while the websocket is down. */
  private startPolling(): void {
    const wait = this.options.longPollWaitSeconds ?? 25;
    if (this.poll || wait <= 0) return;
    const controller = new AbortController();
    const done = this.pollUntilAborted(controller.signal, wait).finally(() => {
      this.pollHealthy = false;
      this.poll = null;
    });
    this.poll = { controller, done };
  }

  /** Both ends of the fallback abort it: the websocket coming back ('open') and stop(). */
  private async pollUntilAborted(signal: AbortSignal, wait: number): Promise<void> {
    let failures = 0;
    while (!signal.aborted) {
      try {
        const { welcome, events } = await pollRelayEvents(
          {
            url: this.options.url,
            kioskId: this.options.kioskId,
            token: this.options.token,
            waitSeconds: wait,
            signal,
          },
          this.options.cursor.get(),
          this.options.cursor.epoch(),
        );
        failures = 0;
        this.pollHealthy = true;
        // In order, stopping at the first that fails: the next poll (after the cursor) brings it again.
        // A step that cannot be stored (a full disk) fails this poll, not the queue: the next one retries.
        const step = this.queue.then(async () => {
          if (welcome) this.resync(welcome);
          for (const event of events) if (!(await this.handleEvent(event))) break;
        });
        this.queue = step.catch(() => {});
        await step;
      } catch (err) {
        if (signal.aborted) break;
        this.pollHealthy = false;
        failures++;
        this.log(`relay long-poll failed: ${(err as Error).message}`);
        await abortableSleep(backoffDelay(failures, this.options.backoff ?? DEFAULT_BACKOFF), signal);
      }
    }
  }

  private async deliver(socket: WebSocket, event: RelayEvent): Promise<void> {
    // After a failed event this socket was terminated: later events it queued must not overtake the one that
    // failed, or the cursor would skip it. The relay replays them all after the next hello.
    if (socket.readyState !== WebSocket.OPEN) return;
    if (!(await this.handleEvent(event))) {
      // Not acked: the relay replays it after the next hello.
      socket.terminate();
      return;
    }
    this.send(socket, { type: 'ack', seq: event.seq });
  }

  /**
   * The relay named its epoch and where it resumes delivery. A new epoch (the relay restarted) moves only the
   * epoch; a resume point behind the cursor means the relay lost what this kiosk saw (an older backup was
   * restored): the cursor goes back so every event of the relay's log after that point is taken, and the
   * sale's order records turn any repeat into a no-op. Nothing is skipped, nothing is applied twice. A
   * welcome at the kiosk's own epoch and cursor rewrites them unchanged (one small write per connection).
   */
  private resync(welcome: RelayWelcome): void {
    const { cursor } = this.options;
    if (welcome.lastSeq < cursor.get())
      this.log(`relay log is behind this kiosk (${cursor.get()} → ${welcome.lastSeq}): resynchronising`);
    cursor.resync(welcome.epoch, welcome.lastSeq);
  }

  /** Commits an event's effect once (events at or below the cursor were handled already). */
  private async handleEvent(event: RelayEvent): Promise<boolean> {
    if (event.seq <= this.options.cursor.get()) return true;
    try {
      await this.options.handle(event);
    } catch (err) {
      this.log(`relay event ${event.seq} not handled: ${(err as Error).message}`);
      return false;
    }
    this.options.cursor.advance(event.seq);
    return true;
  }

  /**
   * Only ever called on a socket that opened; when it has closed since (an ack after the relay went away),
   * ws drops the frame, as it does for a send without a callback, and the relay replays the event.
   */
  private send(socket: WebSocket, frame: KioskFrame): void {
    socket.send(JSON.stringify(frame));
  }

  private scheduleReconnect(): void {
    this.failures++;
    const delay = backoffDelay(this.failures, this.options.backoff ?? DEFAULT_BACKOFF);
    // Only ever set while running (the 'close' handler), and cleared by stop().
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      this.connect();
    }, delay);
  }

  private armSilenceTimer(socket: WebSocket): void {
    this.clearSilenceTimer();
    // The relay pings every 30 s; a connection silent for longer is dead even if TCP has not noticed.
    this.silenceTimer = setTimeout(() => socket.terminate(), this.options.silenceTimeoutMs ?? 35_000);
  }

  private clearSilenceTimer(): void {
    clearTimeout(this.silenceTimer ?? undefined);
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

function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}
