// The kill -9 scenario shared by the SQLite and PostgreSQL tests: 1,000 signed notifies sent by sixteen
// senders (as Alipay's retries and many buyers would be), a relay killed once 300 were answered `success`,
// then every notify answered `success` must reach the kiosk, and none twice. A send that fails (the relay is
// down) is not a success: Alipay would send it again later, so it is simply left out.
import assert from 'node:assert/strict';
import { waitFor } from '../helpers/agent-harness.ts';
import { signedNotify } from './helpers.ts';

const BURST = 1000;
const KILL_AFTER = 300;

export async function burstThroughKill(opts: {
  /** out_trade_no → how many times the kiosk applied it. */
  applied: ReadonlyMap<string, number>;
  /** POSTs the i-th body; resolves with the answer text (rejects when the connection fails). */
  send: (i: number, body: string) => Promise<string>;
  /** Kills the relay (and whatever the scenario does next); called once, mid-burst. */
  kill: () => Promise<void>;
}): Promise<void> {
  const { applied } = opts;
  const order = (i: number): string => `K1_burst-${i}`;
  const bodies = Array.from({ length: BURST }, (_, i) => signedNotify({ out_trade_no: order(i) }));
  const succeeded = new Set<string>();
  let next = 0;
  let killed: Promise<void> | undefined;
  const sender = async (): Promise<void> => {
    while (next < BURST) {
      const i = next++;
      try {
        if ((await opts.send(i, bodies[i]!)) === 'success') succeeded.add(order(i));
      } catch {
        // connection refused or reset while the relay was down
      }
      if (succeeded.size >= KILL_AFTER && killed === undefined) killed = opts.kill();
    }
  };
  const state = (): string => `succeeded ${succeeded.size}, applied ${applied.size}`;
  await Promise.all(Array.from({ length: 16 }, sender));
  await killed;
  assert.ok(killed !== undefined, 'the relay was killed mid-burst');
  assert.ok(succeeded.size > KILL_AFTER, state());
  await waitFor(() => [...succeeded].every((o) => applied.has(o)), 'every success delivered', state, 30_000);
  const twice = [...applied].filter(([, n]) => n !== 1);
  assert.deepEqual(twice, [], 'no notify applied twice');
}
