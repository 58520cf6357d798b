// A real serial line for tests: a socat PTY pair, two device paths wired back to back. Killing socat is what
// unplugging a USB adapter looks like to the programs on either end.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { onCleanup } from './cleanup.ts';
import { setTimeout as sleep } from 'node:timers/promises';

export interface PtyPair {
  readonly a: string;
  readonly b: string;
  readonly process: ChildProcess;
  kill(): Promise<void>;
}

export async function startPtyPair(
  dir: string,
  names: [string, string] = ['board', 'kiosk'],
): Promise<PtyPair> {
  const a = path.join(dir, names[0]);
  const b = path.join(dir, names[1]);
  const child = spawn('socat', ['-d', '-d', `pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const kill = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
  };
  onCleanup(kill);
  for (let i = 0; i < 100; i++) {
    if (fs.existsSync(a) && fs.existsSync(b)) return { a, b, process: child, kill };
    if (child.exitCode !== null) break;
    await sleep(50);
  }
  await kill();
  throw new Error(`socat did not create ${a} and ${b}:\n${log}`);
}
