// The relay dies (kill -9) just before the customer pays, so Alipay's notification has nowhere to go. The
// kiosk notices the link is down, asks Alipay itself, vends, and when the relay comes back nothing happens
// twice.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { waitFor } from '../helpers/agent-harness.ts';
import { connectKioskRpc } from '../helpers/kiosk-rpc.ts';
import { startStack } from '../helpers/stack.ts';

test('with the relay killed mid-sale the payment is confirmed by query, vended once, and the relay comes back', async () => {
  const stack = await startStack();
  const rpc = await connectKioskRpc(stack.agentUrl());
  await waitFor(
    async () => (await rpc.invoke<{ dispenserLink: string }>('kiosk.info')).dispenserLink === 'up',
    'the board link',
  );
  const sale = await rpc.invoke<{ outTradeNo: string }>('sale.checkout', {
    items: [{ lane: 2, quantity: 1 }],
  });

  stack.relay.child.kill('SIGKILL');
  await stack.relay.stop();
  await stack.simJson('/sim/pay', { outTradeNo: sale.outTradeNo });

  const state = async () => (await rpc.invoke<{ state: string } | null>('sale.current'))?.state ?? 'final';
  await waitFor(
    async () => (await state()) === 'final',
    'the sale to complete without the relay',
    () => stack.agent.log(),
    30_000,
  );
  assert.deepEqual(
    (await stack.motorRuns()).map((r) => r.lane),
    [2],
  );
  assert.match(stack.agent.log(), /paid \(350 fen, via query\)/);

  await stack.restartRelay();
  // The kiosk finds the relay again by itself (reconnect with backoff) and nothing more comes out.
  await waitFor(
    async () =>
      /^relay_kiosks_connected(\{[^}]*\})? 1$/m.test(await (await fetch(`${stack.relayUrl}/metrics`)).text()),
    'the kiosk to reconnect to the restarted relay',
    () => stack.agent.log(),
    30_000,
  );
  assert.deepEqual(
    (await stack.motorRuns()).map((r) => r.lane),
    [2],
    'still one motor run',
  );
  assert.deepEqual(
    (await stack.simJson<{ payments: unknown[]; refunds: unknown[] }>('/sim/ledger')).refunds,
    [],
    'nothing to refund: the cola came out',
  );
  rpc.close();
});
