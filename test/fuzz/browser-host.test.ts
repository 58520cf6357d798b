// The raw-HTTP fuzz against a running kiosk-agent's browser host (real processes: alipay-sim, relay, vmc-sim on
// a socat PTY, kiosk-agent). Afterwards the agent must still be the same process and still sell: a sale is paid
// and its item dispensed. `npm test` sends a few thousand requests; `npm run fuzz` sends 100,000 or more
// (BROWSER_HOST_FUZZ_REQUESTS, BROWSER_HOST_FUZZ_SEED).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { waitFor } from '../helpers/agent-harness.ts';
import { connectKioskRpc } from '../helpers/kiosk-rpc.ts';
import { startStack } from '../helpers/stack.ts';
import { fuzzBrowserHost } from './browser-host.fuzz.ts';

const REQUESTS = Number(process.env['BROWSER_HOST_FUZZ_REQUESTS'] ?? 3_000);
const SEED = Number(process.env['BROWSER_HOST_FUZZ_SEED'] ?? 20261129);

test(`${REQUESTS} fuzzed raw requests (seed ${SEED}) leave the agent alive and selling`, async () => {
  const stack = await startStack();
  const pid = stack.agent.child.pid;
  const origin = new URL(stack.agentUrl()).origin;

  // The request that used to kill the agent: a path that does not percent-decode.
  assert.equal((await fetch(`${origin}/%E0%A4%A`)).status, 400);

  const stats = await fuzzBrowserHost({ url: stack.agentUrl(), seed: SEED, requests: REQUESTS });
  console.log(`browser host fuzz: ${JSON.stringify(stats)}`);
  assert.ok(stats.requests >= REQUESTS);
  assert.equal(stats.statuses['500'] ?? 0, 0, `no request made the host fail:\n${stack.agent.log()}`);

  assert.equal(stack.agent.child.exitCode, null, `the agent exited:\n${stack.agent.log()}`);
  assert.equal(stack.agent.child.pid, pid);
  assert.equal((await fetch(`${origin}/healthz`)).status, 200);

  const rpc = await connectKioskRpc(stack.agentUrl());
  try {
    const open = await rpc.invoke<{ outTradeNo: string } | null>('sale.current');
    assert.equal(open, null, 'the fuzz left no order open');
    const sale = await rpc.invoke<{ outTradeNo: string }>('sale.checkout', {
      items: [{ lane: 1, quantity: 1 }],
    });
    await stack.simJson('/sim/pay', { outTradeNo: sale.outTradeNo });
    await waitFor(
      async () => (await rpc.invoke<{ state: string } | null>('sale.current')) === null,
      'the sale to finish',
      () => stack.agent.log(),
    );
    const runs = await stack.motorRuns();
    assert.deepEqual(
      runs.map((r) => [r.lane, r.result]),
      [[1, 'dispensed']],
    );
    const ledger = await stack.simJson<{ refunds: unknown[] }>('/sim/ledger');
    assert.deepEqual(ledger.refunds, [], 'the item was delivered, not refunded');
  } finally {
    rpc.close();
  }
});
