// Why a POLL answer waits: a profile cut into busy stretches, the long ones attributed to the project
// function nearest the top of the stack (below a native call such as a SQLite statement).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { busyStretches } from '../../../bench/lib/busy-stretches.ts';

const frame = (url: string, functionName: string) => ({ url, functionName });

test('busy stretches are runs of non-idle samples; long ones are charged to the nearest project frame', () => {
  const profile = {
    nodes: [
      { id: 1, callFrame: frame('', '(root)'), children: [2, 3, 6] },
      { id: 2, callFrame: frame('', '(idle)') },
      { id: 3, callFrame: frame('file:///repo/app/store/orders.ts', 'transition'), children: [4] },
      { id: 4, callFrame: frame('file:///repo/node_modules/better-sqlite3/lib/x.js', 'run'), children: [5] },
      { id: 5, callFrame: frame('', 'run') },
      { id: 6, callFrame: frame('', '(garbage collector)') },
    ],
    // idle, 12 ms in a commit (native run under transition), idle, 2 ms of GC, idle
    samples: [2, 5, 5, 5, 2, 6, 2],
    timeDeltas: [1000, 4000, 4000, 4000, 1000, 2000, 1000],
  };
  const s = busyStretches(profile, '/repo', 10);
  assert.deepEqual(s.lengthsMs, [12, 2]);
  assert.deepEqual(s.longByFunction, [['app/store/orders.ts:transition', 12]]);
});
