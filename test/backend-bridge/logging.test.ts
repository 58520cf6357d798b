// The relay's logger never writes a secret, wherever in a logged object it sits.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createRelayLogger } from '../../backend-bridge/logging.ts';

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
