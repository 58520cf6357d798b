// Raw TCP clients for the relay tests that speak broken HTTP on purpose (fetch would refuse to send it).
import net from 'node:net';

export interface RawAnswer {
  /** Everything the relay sent before the connection closed. */
  readonly text: string;
  /** The status code of the first status line, or undefined when none came. */
  readonly status: number | undefined;
}

export function statusOf(text: string): number | undefined {
  const m = /^HTTP\/1\.[01] (\d{3}) /.exec(text);
  return m ? Number(m[1]) : undefined;
}

/** Sends `request` and resolves once the relay has closed the connection, with all it answered. */
export function rawRequest(port: number, request: string | Buffer): Promise<RawAnswer> {
  const socket = net.connect({ port, host: '127.0.0.1' });
  socket.write(request);
  return answerOf(socket);
}

/** Everything the relay sends on `socket` until it closes the connection. */
export function answerOf(socket: net.Socket): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      // A reset after the answer is how some refusals end; the answer itself is what counts.
      if (err.code !== 'ECONNRESET' && err.code !== 'EPIPE') reject(err);
    });
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('latin1');
      resolve({ text, status: statusOf(text) });
    });
  });
}

/**
 * A client that never closes its side (allowHalfOpen), as a careless or hostile one: resolves with the
 * answer once the relay has ended the connection, leaving the client's socket open.
 */
export function halfOpenRequest(
  port: number,
  request: string,
): Promise<{ answer: RawAnswer; socket: net.Socket }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    const chunks: Buffer[] = [];
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.on('error', () => {});
    socket.once('connect', () => socket.write(request));
    socket.once('end', () => {
      const text = Buffer.concat(chunks).toString('latin1');
      resolve({ answer: { text, status: statusOf(text) }, socket });
    });
    socket.once('close', () => reject(new Error('closed before the answer ended')));
  });
}

/**
 * Starts a request with `head` and then streams body bytes as fast as the relay takes them, until the
 * relay closes the connection or `maxBytes` were sent. Resolves with the answer and the bytes sent.
 */
export function floodRequest(
  port: number,
  head: string,
  maxBytes: number,
  chunked: boolean,
): Promise<{ answer: RawAnswer; sent: number; cut: boolean }> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    const chunks: Buffer[] = [];
    const piece = Buffer.alloc(64 * 1024, 0x61);
    const frame = chunked
      ? Buffer.concat([Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n')])
      : piece;
    let sent = 0;
    let closed = false;
    const pump = (): void => {
      while (!closed && sent < maxBytes) {
        sent += frame.length;
        if (!socket.write(frame)) return void socket.once('drain', pump);
      }
      if (!closed) finish(false);
    };
    const finish = (cut: boolean): void => {
      if (closed) return;
      closed = true;
      const text = Buffer.concat(chunks).toString('latin1');
      socket.destroy();
      resolve({ answer: { text, status: statusOf(text) }, sent, cut });
    };
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.on('error', () => finish(true));
    socket.on('close', () => finish(true));
    socket.once('connect', () => {
      socket.write(head);
      pump();
    });
  });
}
