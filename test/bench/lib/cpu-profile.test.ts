// Where a profiled start-up's CPU went: samples summed per origin, idle left out.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { originOf, selfTimeByOrigin } from '../../../bench/lib/cpu-profile.ts';
import { tempDir } from '../../helpers/temp-dir.ts';

const root = '/repo';

test('originOf names packages, app folders and the parts of node start-up is spent in', () => {
  assert.equal(originOf('file:///repo/node_modules/zod/v4/core.js', 'parse', root), 'npm:zod');
  assert.equal(originOf('file:///repo/node_modules/@scope/pkg/x.js', 'f', root), 'npm:@scope/pkg');
  assert.equal(originOf('file:///repo/app/store/database.ts', 'open', root), 'app/store');
  assert.equal(originOf('file:///repo/cli/kiosk-agent.ts', 'main', root), 'cli');
  assert.equal(originOf('file:///repo/dist/cli/chunks/chunk-X.mjs', 'commit', root), 'dist/cli');
  assert.equal(originOf('node:internal/modules/esm/hooks', 'makeSyncRequest', root), 'node:loader_hooks_tsx');
  assert.equal(originOf('node:internal/deps/cjs-module-lexer/lexer', 'parse', root), 'node:module_compile');
  assert.equal(originOf('', '(garbage collector)', root), 'garbage_collector');
  assert.equal(originOf('', 'verify', root), 'native:verify');
  assert.equal(originOf('file:///elsewhere/x.js', 'f', root), 'other');
});

test('selfTimeByOrigin sums sample time per origin, largest first, without idle', () => {
  const file = path.join(tempDir(), 'p.cpuprofile');
  const frame = (url: string, functionName: string) => ({ url, functionName });
  fs.writeFileSync(
    file,
    JSON.stringify({
      nodes: [
        { id: 1, callFrame: frame('', '(idle)') },
        { id: 2, callFrame: frame('file:///repo/app/sale/checkout.ts', 'checkout') },
        { id: 3, callFrame: frame('file:///repo/node_modules/zod/index.js', 'parse') },
      ],
      samples: [1, 2, 3, 3, 1],
      timeDeltas: [5000, 1000, 2000, 3000, 9000],
    }),
  );
  assert.deepEqual(selfTimeByOrigin(file, root), [
    ['npm:zod', 5],
    ['app/sale', 1],
  ]);
});
