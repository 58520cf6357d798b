// Creating and checking the agent's data directory. Not `mkdirSync(…, { recursive: true })`: on a path under
// a pseudo file system (`/proc/f2f`, say) Node 20's recursive mkdir loops forever at 100 % CPU instead of
// failing. Each missing level is made on its own here, so such a path fails at once with a clear error.
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError } from './agent-config.ts';

/** Makes `dir` and its missing parents; throws the first system error met. */
export function makeDirectory(dir: string, mode = 0o700): void {
  const missing: string[] = [];
  let at = path.resolve(dir);
  while (!fs.existsSync(at)) {
    missing.unshift(at);
    const parent = path.dirname(at);
    if (parent === at) break;
    at = parent;
  }
  for (const level of missing) fs.mkdirSync(level, { mode });
}

/** The data directory exists (made if needed) and this user can write into it; else a ConfigError. */
export function prepareDataDir(dir: string): void {
  try {
    makeDirectory(dir);
    if (!fs.statSync(dir).isDirectory()) throw new Error('not a directory');
    fs.accessSync(dir, fs.constants.W_OK);
    const probe = path.join(dir, `.write-check-${process.pid}`);
    fs.writeFileSync(probe, '');
    fs.rmSync(probe);
  } catch (err) {
    throw new ConfigError(`data directory ${dir} is not writable: ${(err as Error).message}`);
  }
}
