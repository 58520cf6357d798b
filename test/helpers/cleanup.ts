// One cleanup list per test file, run after all of its tests. Helpers register here instead of calling
// `after()` themselves, because an `after()` called inside a `before()` hook would fire as soon as that hook
// ends — deleting a temp dir or stopping a process the tests still need.
import { after } from 'node:test';

const cleanups: Array<() => unknown> = [];

after(async () => {
  // Last registered, first cleaned: a process stops before the directory it writes into is removed.
  for (const cleanup of cleanups.splice(0).reverse()) {
    try {
      await cleanup();
    } catch (err) {
      console.error(`cleanup failed: ${(err as Error).message}`);
    }
  }
});

export function onCleanup(cleanup: () => unknown): void {
  cleanups.push(cleanup);
}
