import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hashPin, parsePinHash, PinFormatError, verifyPin } from '../../../app/maintenance/index.ts';

test('a PIN verifies against its hash and nothing else does; the hash does not contain the PIN', () => {
  const stored = hashPin('2468');
  assert.ok(!stored.includes('2468'));
  assert.equal(verifyPin('2468', stored), true);
  for (const wrong of ['2467', '02468', '246', '', '2468\n', 'abcd'])
    assert.equal(verifyPin(wrong, stored), false, wrong);
  assert.notEqual(hashPin('2468'), stored, 'salted: the same PIN hashes differently each time');
});

test('PINs are 4 to 12 digits, and a stored hash that is not ours is a clear error', () => {
  assert.throws(() => hashPin('12'), PinFormatError);
  assert.throws(() => hashPin('12345678901234'), PinFormatError);
  for (const bad of ['2468', 'scrypt$x$8$1$c2FsdA==$aGFzaA==', 'bcrypt$2b$10$abc', '']) {
    assert.throws(() => parsePinHash(bad), PinFormatError, bad);
  }
});
