// Two relay instances on one real PostgreSQL server (pg-fleet.ts): instance A killed with SIGKILL in the middle
// of a burst of 1,000 notifies while the kiosk moves to instance B through a balancer. Every notify answered
// `success` (by A before it died, or by B) reaches the kiosk, and none is applied twice.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { waitFor } from '../helpers/agent-harness.ts';
import { burstThroughKill } from './burst.ts';
import { postNotify } from './helpers.ts';
import { kioskOnRelay } from './kiosk-link.ts';
import { twoInstances, usePostgres } from './pg-fleet.ts';
import { startBalancer } from './tcp-balancer.ts';

usePostgres();

test('A killed with kill -9 during a burst of 1,000 notifies while the kiosk moves to B: every success delivered, none twice', async () => {
  const [a, b] = await twoInstances();
  let aAlive = true;
  // The kiosk reaches the fleet through a balancer that sends it to A while A lives, then to B.
  const balancer = await startBalancer(() => (aAlive ? a.port : b.port));
  const kiosk = kioskOnRelay(balancer.url);
  try {
    await burstThroughKill({
      applied: kiosk.applied,
      // Alternating between the instances, as Alipay's requests would spread over a fleet.
      send: async (i, body) => (await postNotify(i % 2 === 0 && aAlive ? a.url : b.url, body)).text,
      kill: async () => {
        await waitFor(() => kiosk.applied.size > 0, 'the kiosk takes events through A');
        aAlive = false;
        a.child.kill('SIGKILL');
        await a.stop();
      },
    });
    assert.ok(
      b.logs.some((l) => l.msg === 'stream connected'),
      'the kiosk moved to B',
    );
  } finally {
    await kiosk.stop();
    await balancer.close();
    await a.stop();
    await b.stop();
  }
});
