import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertRelayFuzzHeld, runRelayHttpFuzz } from './relay-http.fuzz.ts';

test('fuzz (short run): raw HTTP of any shape against a running relay; every answer a status, the process alive', async () => {
  const stats = await runRelayHttpFuzz(1500);
  console.log(
    `relay http fuzz: seed ${stats.seed} (the long run takes a seed: npm run fuzz -- 200000 ${stats.seed})`,
  );
  assertRelayFuzzHeld(stats);
  assert.equal(stats.requests, 1500);
  // The generator reaches past the parser: stored notifies, opened streams, refusals of each kind.
  for (const status of ['200', '101', '400', '401', '415'])
    assert.ok((stats.statuses[status] ?? 0) > 0, status);
});
