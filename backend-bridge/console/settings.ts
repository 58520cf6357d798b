// The console's settings from the relay options: the parsed password hash and where the built pages are.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ConsoleSettings } from './access.ts';
import { parsePasswordHash } from './password-hash.ts';

/**
 * dist/console of this checkout, where `npm run build` puts the console. Found from the nearest folder up with
 * a package.json, because this module runs from backend-bridge/console/ (source) or from a chunk of the
 * bundled programs in dist/cli/ (another depth). Computed only when a console is configured: the Electron
 * main bundle (CommonJS, no import.meta.url) carries this module through the demo profile.
 */
export function defaultConsoleDir(): string {
  return path.join(checkoutRoot(path.dirname(fileURLToPath(import.meta.url))), 'dist', 'console');
}

function checkoutRoot(from: string): string {
  let dir = from;
  while (!fs.existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return dir;
}

export function consoleSettings(
  options: { passwordHash: string; dir?: string; loginDelayMs?: number } | undefined,
): ConsoleSettings | undefined {
  if (options === undefined) return undefined;
  const passwordHash = parsePasswordHash(options.passwordHash);
  // startRelay validated it; a relay built without that check gets no console rather than an open one.
  if (passwordHash === undefined) return undefined;
  return {
    passwordHash,
    dir: options.dir ?? defaultConsoleDir(),
    loginDelayMs: options.loginDelayMs ?? 1000,
  };
}
