// The relay's logger: pino, JSON lines to the sink the caller gives (stderr for the CLI), with every field
// that could carry a secret redacted wherever it appears, so a token or key cannot reach a log by accident.
import { pino } from 'pino';
import type { Logger } from 'pino';

export type RelayLogger = Logger;

/** Field names that hold secrets in any object the relay might log. */
const SECRET_FIELDS = ['token', 'authorization', 'privateKey', 'publicKey', 'key', 'password', 'adminToken'];

export function createRelayLogger(sink: (line: string) => void): RelayLogger {
  return pino(
    {
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: [...SECRET_FIELDS, ...SECRET_FIELDS.map((f) => `*.${f}`), 'req.headers.authorization'],
        censor: '[redacted]',
      },
    },
    { write: (line: string) => sink(line) },
  );
}

/**
 * A sink that writes the lines logged during one turn of the event loop together, in one write, at the end
 * of that turn (a write to a pipe is a synchronous system call, one per notify otherwise). flush() writes
 * what is pending at once: call it when the process exits.
 */
export function linesPerTurn(write: (text: string) => void): {
  sink: (line: string) => void;
  flush: () => void;
} {
  let pending: string[] = [];
  let scheduled = false;
  const flush = (): void => {
    scheduled = false;
    if (pending.length === 0) return;
    const text = pending.join('');
    pending = [];
    write(text);
  };
  return {
    sink: (line) => {
      pending.push(line.endsWith('\n') ? line : `${line}\n`);
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    },
    flush,
  };
}
