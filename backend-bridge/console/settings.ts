// The console's settings from the relay options: the parsed password hash and where the built pages are.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ConsoleSettings } from './access.ts';
import { parsePasswordHash } from './password-hash.ts';

/** dist/console of this checkout, where `npm run build` puts the console. */
export const DEFAULT_CONSOLE_DIR = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../dist/console',
);

export function consoleSettings(
  options: { passwordHash: string; dir?: string; loginDelayMs?: number } | undefined,
): ConsoleSettings | undefined {
  if (options === undefined) return undefined;
  const passwordHash = parsePasswordHash(options.passwordHash);
  // startRelay validated it; a relay built without that check gets no console rather than an open one.
  if (passwordHash === undefined) return undefined;
  return {
    passwordHash,
    dir: options.dir ?? DEFAULT_CONSOLE_DIR,
    loginDelayMs: options.loginDelayMs ?? 1000,
  };
}
