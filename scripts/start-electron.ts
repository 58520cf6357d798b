// `npm start`: runs the kiosk in Electron when its binary is installed, and otherwise says in one line what to do.
// Electron is an optional dependency because its postinstall downloads the binary from the internet; where that
// download is impossible npm leaves the package out and the install still succeeds (README, "Quick start").
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export const MISSING_ELECTRON_ADVICE =
  'Electron is not installed here (its binary could not be downloaded): run `npm run start:browser` for the same ' +
  'kiosk in Chromium, or re-run `npm install` where Electron can be downloaded (or set ELECTRON_MIRROR).';

/** The Electron executable the installed electron package points at, or undefined when there is none. */
export function electronBinary(): string | undefined {
  try {
    // electron's index.js returns the binary's path, and throws when its download never completed.
    const binary = createRequire(path.join(root, 'package.json'))('electron') as unknown;
    return typeof binary === 'string' && fs.existsSync(binary) ? binary : undefined;
  } catch {
    return undefined;
  }
}

function main(): void {
  const binary = process.env['F2F_ELECTRON_BINARY'] ?? electronBinary();
  if (!binary) {
    console.error(MISSING_ELECTRON_ADVICE);
    process.exit(1);
  }
  const child = spawn(binary, [root, ...process.argv.slice(2)], { stdio: 'inherit' });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
  child.on('error', (err) => {
    console.error(`could not start Electron (${binary}): ${err.message}`);
    process.exit(1);
  });
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
