// Starts one of the project's programs as a real child process and waits for its ready line
// (`{"ready":true,...}` on stdout). Every process started here is stopped when the test file ends.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { onCleanup } from './cleanup.ts';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface RunningProgram {
  readonly child: ChildProcess;
  readonly ready: Record<string, unknown>;
  /** Everything the program wrote to stderr so far (its log), for failure messages. */
  readonly log: () => string;
  stop(): Promise<void>;
}

/** How a benchmark may start a program differently: extra environment, node flags (e.g. --cpu-prof). */
export interface ProgramLaunch {
  readonly env?: Readonly<Record<string, string>>;
  readonly nodeArgs?: readonly string[];
}

export async function startProgram(
  program: 'kiosk-agent' | 'notify-relay' | 'alipay-sim' | 'vmc-sim',
  args: readonly string[],
  timeoutMs = 20_000,
  launch: ProgramLaunch = {},
): Promise<RunningProgram> {
  const script = path.join(repoRoot, 'bin', `${program}.js`);
  const child = spawn(process.execPath, [...(launch.nodeArgs ?? []), script, ...args], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, FORCE_COLOR: '0', ...launch.env },
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
  };
  onCleanup(stop);

  const ready = await new Promise<Record<string, unknown>>((resolve, reject) => {
    let stdout = '';
    const timer = setTimeout(
      () => reject(new Error(`${program} not ready in ${timeoutMs} ms:\n${stderr}`)),
      timeoutMs,
    );
    child.stdout!.on('data', (d: Buffer) => {
      stdout += d.toString();
      for (const line of stdout.split('\n')) {
        try {
          const parsed = JSON.parse(line) as Record<string, unknown>;
          if (parsed['ready'] === true) {
            clearTimeout(timer);
            resolve(parsed);
            return;
          }
        } catch {
          /* not the ready line */
        }
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${program} exited (${code}) before it was ready:\n${stderr}`));
    });
  });
  return { child, ready, log: () => stderr, stop };
}
