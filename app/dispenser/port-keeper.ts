// Keeps one serial port open for a driver: opens it, notices its loss (error, close, or the driver saying the
// board went silent) and reopens it with doubling backoff and jitter. Shared by the 0xFA 0xFB and ZDM8
// drivers, which differ only in what they do with the bytes.
import type { Duplex } from 'node:stream';

export interface PortKeeperOptions {
  /** Opens (or reopens, after a loss) the serial line. */
  readonly open: () => Promise<Duplex>;
  readonly backoffMs: number;
  readonly backoffMaxMs: number;
  readonly log: (line: string) => void;
  /** A newly opened stream; its 'data' is the driver's to read. */
  readonly onOpen: (stream: Duplex) => void;
  /** The stream in use is gone (its 'data' listeners are already removed). */
  readonly onLost: (reason: string) => void;
}

export class PortKeeper {
  private port: Duplex | null = null;
  private closed = false;
  private reopenTimer: NodeJS.Timeout | null = null;
  private backoffMs: number;
  private reopenCount = 0;

  constructor(private readonly opts: PortKeeperOptions) {
    this.backoffMs = opts.backoffMs;
    void this.connect();
  }

  get stream(): Duplex | null {
    return this.port;
  }

  get reopens(): number {
    return this.reopenCount;
  }

  /** The board answered: the next loss starts the backoff from the beginning again. */
  resetBackoff(): void {
    this.backoffMs = this.opts.backoffMs;
  }

  write(bytes: Buffer): void {
    const port = this.port;
    if (!port) return;
    port.write(bytes, (err) => {
      if (err) this.lost(port, `write error: ${err.message}`);
    });
  }

  /** Gives up the current stream (if it is still `stream`) and schedules a reopen. */
  lost(stream: Duplex, reason: string): void {
    if (this.port !== stream) return;
    this.port = null;
    release(stream);
    this.opts.onLost(reason);
    if (!this.closed) {
      this.opts.log(`${reason}; reopening in ${this.backoffMs} ms`);
      this.scheduleReopen();
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.reopenTimer) clearTimeout(this.reopenTimer);
    this.reopenTimer = null;
    const port = this.port;
    this.port = null;
    if (!port) return;
    port.removeAllListeners('data');
    port.on('error', () => {});
    await new Promise<void>((resolve) => {
      if (port.destroyed) return resolve();
      port.once('close', () => resolve());
      port.destroy();
      setTimeout(resolve, 500).unref();
    });
  }

  private async connect(): Promise<void> {
    this.reopenTimer = null;
    if (this.closed) return;
    let stream: Duplex;
    try {
      stream = await this.opts.open();
    } catch (err) {
      this.opts.log(`open failed: ${(err as Error).message}; retry in ${this.backoffMs} ms`);
      this.scheduleReopen();
      return;
    }
    if (this.closed) {
      stream.destroy();
      return;
    }
    this.port = stream;
    stream.on('error', (err: Error) => this.lost(stream, `port error: ${err.message}`));
    stream.on('close', () => this.lost(stream, 'port closed'));
    this.opts.onOpen(stream);
  }

  private scheduleReopen(): void {
    if (this.closed || this.reopenTimer) return;
    const jitter = Math.floor(Math.random() * (this.backoffMs / 4));
    this.reopenTimer = setTimeout(() => void this.connect(), this.backoffMs + jitter);
    this.backoffMs = Math.min(this.backoffMs * 2, this.opts.backoffMaxMs);
    this.reopenCount++;
  }
}

/** A stream we gave up: no more data, and a late error from it must not crash the process. */
function release(stream: Duplex): void {
  stream.removeAllListeners('data');
  stream.on('error', () => {});
  stream.destroy();
}
