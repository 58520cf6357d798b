// One cleanup list per test file, run after all of its tests. Helpers register here instead of calling
// `after()` themselves, because an `after()` called inside a `before()` hook would fire as soon as that hook
// ends — deleting a temp dir or stopping a process the tests still need.
//
// The benchmarks (bench/) reuse these helpers outside node:test: they set F2F_CLEANUP=manual before importing
// them and call runCleanups() after each suite, so no test harness starts and nothing outlives its suite.
import { after } from 'node:test';

const cleanups: Array<() => unknown> = [];

/** Runs every registered cleanup, last registered first (a process stops before its directory goes). */
export async function runCleanups(): Promise<void> {
  for (const cleanup of cleanups.splice(0).reverse()) {
    try {
      await cleanup();
    } catch (err) {
      console.error(`cleanup failed: ${(err as Error).message}`);
    }
  }
}

if (process.env['F2F_CLEANUP'] !== 'manual') after(runCleanups);

export function onCleanup(cleanup: () => unknown): void {
  cleanups.push(cleanup);
}
