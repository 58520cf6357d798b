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
