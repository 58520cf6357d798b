// What Linux says about a process from outside it: CPU time used and resident memory (/proc).
import fs from 'node:fs';

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** User + system CPU time the process has used so far, in ms. */
export function cpuTimeMs(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
}

/** Resident set size in MiB. */
export function rssMiB(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? NaN);
  return kb / 1024;
}

/** CPU share (% of one core) the process uses over `ms` of wall time. */
export async function cpuShareOver(pid: number, ms: number): Promise<number> {
  const before = cpuTimeMs(pid);
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, ms));
  return ((cpuTimeMs(pid) - before) * 100) / (performance.now() - t0);
}

/** Bytes of a SQLite database with its WAL and shared-memory files. */
export function sqliteBytes(file: string): number {
  return ['', '-wal', '-shm'].reduce((sum, suffix) => {
    try {
      return sum + fs.statSync(file + suffix).size;
    } catch {
      return sum;
    }
  }, 0);
}

/** Busy and total jiffies of all CPUs since boot (/proc/stat's first line). */
function machineJiffies(): { busy: number; total: number } {
  const fields = fs
    .readFileSync('/proc/stat', 'utf8')
    .split('\n')[0]!
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  const total = fields.reduce((a, b) => a + b, 0);
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0); // idle + iowait
  return { busy: total - idle, total };
}

/**
 * How busy the whole machine is from now until stop(): % of all its cores (100 = every core busy), whatever
 * runs on it — the programs measured and anything else.
 */
export function machineBusy(): { stop(): number } {
  const before = machineJiffies();
  return {
    stop: () => {
      const after = machineJiffies();
      const total = after.total - before.total;
      return total > 0 ? ((after.busy - before.busy) * 100) / total : 0;
    },
  };
}
