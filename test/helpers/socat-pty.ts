// A real serial line for tests: a socat PTY pair, two device paths wired back to back. Killing socat is what
// unplugging a USB adapter looks like to the programs on either end; starting it again with the same paths
// is the replug.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { onCleanup } from './cleanup.ts';

export interface PtyPair {
  readonly a: string;
  readonly b: string;
  readonly process: ChildProcess;
  /** Kills socat (the unplug) and waits for it to exit; safe to call twice. */
  kill(): Promise<void>;
}

export async function startPtyPair(a: string, b: string): Promise<PtyPair> {
  for (const p of [a, b]) fs.rmSync(p, { force: true });
  const child = spawn('socat', ['-d', '-d', `pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const kill = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
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
