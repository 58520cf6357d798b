// Where and when figures were measured: they mean little without the machine, its load and the commit.
import { execFileSync } from 'node:child_process';
import os from 'node:os';

export interface MachineInfo {
  readonly cpus: number;
  readonly cpuModel: string;
  readonly memoryMiB: number;
  readonly platform: string;
  readonly node: string;
  /** uptime's 1, 5 and 15 minute load averages when the run started and when it ended. */
  readonly loadAverageStart: readonly number[];
  loadAverageEnd?: readonly number[];
}

export function machineInfo(): MachineInfo {
  return {
    cpus: os.availableParallelism(),
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryMiB: Math.round(os.totalmem() / 2 ** 20),
    platform: `${os.platform()} ${os.release()}`,
    node: process.version,
    loadAverageStart: os.loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

export function gitCommit(cwd: string): string {
  try {
    const commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], {
      cwd,
      encoding: 'utf8',
    }).trim();
    return dirty ? `${commit}+dirty` : commit;
  } catch {
    return 'unknown';
  }
}
