// The relay's logger never writes a secret, wherever in a logged object it sits.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createRelayLogger, linesPerTurn } from '../../backend-bridge/logging.ts';

test('tokens, authorization headers and keys are redacted where relay log objects carry them', () => {
  const lines: string[] = [];
  const log = createRelayLogger((line) => lines.push(line));
  log.info(
    {
      token: 'secret-token-1',
      kiosk: { id: 'K1', token: 'secret-token-2' },
      req: { headers: { authorization: 'Bearer secret-token-3' } },
      config: { privateKey: 'secret-key-4', adminToken: 'secret-token-5' },
    },
    'something happened',
  );
  assert.equal(lines.length, 1);
  const text = lines.join('');
  assert.doesNotMatch(text, /secret-/);
  const parsed = JSON.parse(text) as { msg: string; kiosk: { id: string } };
  assert.equal(parsed.msg, 'something happened');
  assert.equal(parsed.kiosk.id, 'K1', 'what is not secret stays readable');
});

test('the lines of one event-loop turn are written together after it, in order, each ending its line', async () => {
  const writes: string[] = [];
  const { sink, flush } = linesPerTurn((text) => writes.push(text));
  const log = createRelayLogger(sink);
  log.info('first');
  sink('{"msg":"second"}');
  assert.equal(writes.length, 0, 'nothing written inside the turn');
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(writes.length, 1);
  assert.deepEqual(
    writes[0]!.split('\n').map((l) => (l === '' ? '' : (JSON.parse(l) as { msg: string }).msg)),
    ['first', 'second', ''],
  );
  sink('{"msg":"at exit"}');
  flush();
  assert.deepEqual(writes.slice(1), ['{"msg":"at exit"}\n'], 'flush writes what is pending at once');
  flush();
  assert.equal(writes.length, 2, 'and nothing twice');
});
