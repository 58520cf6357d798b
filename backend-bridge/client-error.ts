// What the HTTP server answers to a request it could not even parse (or that took too long to arrive),
// and the rule that such a socket is destroyed right after: a client that never closes its side must not
// keep a descriptor (issue 9, finding 2).
import type { Duplex } from 'node:stream';

const ANSWERS: Record<string, [number, string]> = {
  HPE_HEADER_OVERFLOW: [431, 'Request Header Fields Too Large'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'Request Timeout'],
  HPE_HEADERS_TIMEOUT: [408, 'Request Timeout'],
};

/** The status a client error deserves: 431 header overflow, 408 timeout, otherwise 400. */
export function clientErrorStatus(code: string | undefined): [number, string] {
  return (code !== undefined ? ANSWERS[code] : undefined) ?? [400, 'Bad Request'];
}

/** Answers (when the socket can still take it) and destroys the socket. */
export function answerClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const [status, text] = clientErrorStatus(err.code);
  const body = `${text}\n`;
  endThenDestroy(
    socket,
    `HTTP/1.1 ${status} ${text}\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/** A hijacked (upgrade) socket: end it with a status line, then destroy it. */
export function refuseUpgrade(socket: Duplex, status: number, text: string): void {
  endThenDestroy(socket, `HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

/** How long a few bytes of refusal may take to flush before the socket is cut regardless. */
const FLUSH_GRACE_MS = 1000;

/**
 * Writes the last bytes and destroys the socket once they are flushed (so the client can read why), or
 * after a short grace when the client does not read them: either way no descriptor outlives the answer.
 */
function endThenDestroy(socket: Duplex, text: string): void {
  const destroy = (): void => {
    clearTimeout(timer);
    socket.destroy();
  };
  const timer = setTimeout(destroy, FLUSH_GRACE_MS);
  timer.unref();
  socket.once('finish', destroy);
  socket.once('error', destroy);
  socket.end(text);
}
