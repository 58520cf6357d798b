// A refused request (415, 413, 429, 404…) is answered before its body is read, and the connection closed. Closing
// a socket that still has unread bytes makes the kernel send a reset, and a reset can reach the client before it
// has read the answer: it then sees ECONNRESET instead of the status that says what was wrong. So, as nginx's
// lingering_close does, the relay half-closes after the answer (FIN), keeps reading and discarding for a short,
// bounded while, and only then destroys the socket. The bound keeps finding 3 fixed: a flood is still cut.
import type { Socket } from 'node:net';

/** At most this many more bytes are read (and thrown away) after the answer. */
export const LINGER_MAX_BYTES = 1024 * 1024;
/** At most this long. */
export const LINGER_MAX_MS = 2_000;
const CHECK_MS = 25;

/**
 * Makes the HTTP server's close of this socket, after the answer is written, a lingering one. Node's server
 * ends a `connection: close` exchange with socket.destroySoon(); the body it has not read is then dumped by
 * its parser, so the bytes read are counted from socket.bytesRead.
 */
export function lingerWhenClosed(socket: Socket): void {
  const lingering = socket as Socket & { destroySoon?: () => void };
  if (typeof lingering.destroySoon !== 'function') return;
  lingering.destroySoon = () => {
    const readBefore = socket.bytesRead;
    const startedAt = Date.now();
    const check = setInterval(() => {
      if (socket.bytesRead - readBefore > LINGER_MAX_BYTES || Date.now() - startedAt > LINGER_MAX_MS) {
        clearInterval(check);
        socket.destroy();
      }
    }, CHECK_MS);
    socket.once('close', () => clearInterval(check));
    socket.end();
  };
}
