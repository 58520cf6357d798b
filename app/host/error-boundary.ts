// The browser host's error boundary: whatever a request, an upgrade or a websocket frame carries, a fault while
// answering it ends that one exchange (400/500, a closed socket, an error frame) and is logged; it never
// escapes into the process, where it would kill the agent mid-vend.
import type { ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

/** A request the host refuses to read (a path that does not decode, a URL that does not parse). */
export class BadRequest extends Error {
  override readonly name = 'BadRequest';
}

/** Parses a request target against the host's origin; a target that is not a URL is a bad request. */
export function requestUrl(target: string | undefined, origin: string): URL {
  try {
    return new URL(target ?? '/', origin);
  } catch {
    throw new BadRequest('request target is not a URL');
  }
}

/** Runs an HTTP handler; a throw or rejection answers 400 (bad input) or 500 instead of crashing. */
export function guardRequest(
  res: ServerResponse,
  log: (line: string) => void,
  handle: () => void | Promise<void>,
): void {
  const fail = (err: unknown) => {
    const bad = err instanceof BadRequest;
    if (!bad) log(`browser host: request failed: ${(err as Error)?.stack ?? String(err)}`);
    if (res.headersSent || res.destroyed) {
      res.destroy();
      return;
    }
    res.writeHead(bad ? 400 : 500, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' });
    res.end(bad ? 'bad request' : 'internal error');
  };
  try {
    const pending = handle();
    if (pending) pending.catch(fail);
  } catch (err) {
    fail(err);
  }
}

/** Runs an upgrade handler; on a throw the raw socket is dropped. Socket errors are absorbed either way. */
export function guardUpgrade(socket: Duplex, log: (line: string) => void, handle: () => void): void {
  socket.on('error', () => socket.destroy());
  try {
    handle();
  } catch (err) {
    log(`browser host: upgrade failed: ${(err as Error)?.stack ?? String(err)}`);
    socket.destroy();
  }
}
