// The relay killed with SIGKILL in the middle of a burst of 1,000 notifies while a kiosk is connected; a
// new relay process takes over the same SQLite database and port. Every notify that was answered `success`
// reaches the kiosk, and none is applied twice ("success only after the commit", and the log's epochs).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import { waitFor } from '../helpers/agent-harness.ts';
import { signedNotify, tempDir } from './helpers.ts';
import { kioskOnRelay } from './kiosk-link.ts';
import { startRelayProcess } from './relay-process.ts';
import type { RelayProcess } from './relay-process.ts';

const BURST = 1000;
const KILL_AFTER = 300;

test('kill -9 during a burst of 1,000 notifies: every success is delivered to the kiosk, none twice', async () => {
  const dir = tempDir();
  const succeeded = new Set<string>();
  let relay: RelayProcess = await startRelayProcess({}, { dir });
  const port = relay.port;
  const kiosk = kioskOnRelay(relay.url);
  const { applied } = kiosk;
  const bodies = Array.from({ length: BURST }, (_, i) => signedNotify({ out_trade_no: `K1_burst-${i}` }));
  let next = 0;
  let killed: Promise<void> | undefined;
  // Sixteen senders, as Alipay's retries and many buyers would be. A send that fails (the relay is down)
  // is not a success: Alipay would send it again later, so it is simply left out here.
  const sender = async (): Promise<void> => {
    while (next < BURST) {
      const i = next++;
      const order = `K1_burst-${i}`;
      try {
        const res = await fetch(`http://127.0.0.1:${port}/alipay/notify`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: bodies[i],
        });
        if ((await res.text()) === 'success') succeeded.add(order);
      } catch {
        // connection refused or reset while the relay was down
      }
      if (succeeded.size >= KILL_AFTER && killed === undefined) {
        killed = (async () => {
          relay.child.kill('SIGKILL');
          await relay.stop();
          relay = await startRelayProcess({ port }, { dir });
        })();
      }
    }
  };
  const state = (): string => `succeeded ${succeeded.size}, applied ${applied.size}`;
  try {
    await Promise.all(Array.from({ length: 16 }, sender));
    await killed;
    assert.ok(killed !== undefined, 'the relay was killed mid-burst');
    assert.ok(succeeded.size > KILL_AFTER, state());
    await waitFor(
      () => [...succeeded].every((o) => applied.has(o)),
      'every success delivered',
      state,
      30_000,
    );
    const twice = [...applied].filter(([, n]) => n !== 1);
    assert.deepEqual(twice, [], 'no notify applied twice');
  } finally {
    await kiosk.stop();
    await relay.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
