// Adversarial requests at the console and the operator API: random methods, paths, cookies, content types and
// login bodies (seeded, the seed printed). Every one gets a valid answer, none gets a page or data without a
// login, and the relay stays up and still lets the right password in from another address.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { hashAdminPassword } from '../../../backend-bridge/index.ts';
import { pick, randomInt, seededRandom } from '../../helpers/seeded-random.ts';
import { startTestRelay, tempDir } from '../helpers.ts';

const PASSWORD = 'correct horse battery staple';
const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);

test(`console and operator API under 600 random requests (seed ${SEED})`, async () => {
  console.log(`console fuzz seed ${SEED}`);
  const r = seededRandom(SEED);
  const relay = await startTestRelay(path.join(tempDir(), 'relay.db'), {
    console: { passwordHash: hashAdminPassword(PASSWORD), dir: tempDir(), loginDelayMs: 0 },
  });
  const bytes = (n: number): Uint8Array<ArrayBuffer> => {
    const out = new Uint8Array(new ArrayBuffer(n));
    for (let k = 0; k < n; k++) out[k] = randomInt(r, 256);
    return out;
  };
  const text = (n: number): string =>
    String.fromCharCode(
      ...Array.from({ length: n }, () => pick(r, [37, 38, 61, 43, 0x41 + randomInt(r, 58), 0xe9])),
    );
  const paths = [
    '/console/',
    '/console/login',
    '/console/logout',
    '/console/index.html',
    '/console/console.js',
    `/console/${text(8)}`,
    '/admin/v1/kiosks',
    `/admin/v1/kiosks/${text(6)}`,
    '/admin/v1/reconciliation',
    `/admin/v1/reconciliation/${text(10)}`,
  ];
  try {
    for (let i = 0; i < 600; i++) {
      const method = pick(r, ['GET', 'POST', 'PUT', 'DELETE', 'HEAD']);
      const route = pick(r, paths);
      const headers: Record<string, string> = {
        'content-type': pick(r, ['application/x-www-form-urlencoded', 'application/json', 'text/plain', '']),
        cookie: pick(r, ['', `relay_console=${text(43)}`, `relay_console=${'a'.repeat(43)}; x=1`, text(30)]),
      };
      if (r() < 0.3) headers.origin = pick(r, ['null', 'https://evil.example', relay.url, text(12)]);
      const body =
        method === 'GET' || method === 'HEAD'
          ? undefined
          : r() < 0.5
            ? bytes(randomInt(r, 6000))
            : `password=${encodeURIComponent(text(randomInt(r, 40)))}&${text(20)}`;
      const res = await fetch(`${relay.url}${encodeURI(route).replace(/%25/g, '%')}`, {
        method,
        headers,
        redirect: 'manual',
        ...(body !== undefined ? { body } : {}),
      });
      const answer = await res.text();
      assert.ok(res.status >= 200 && res.status < 600, `${method} ${route}: ${res.status}`);
      assert.notEqual(res.status, 500, `${method} ${route}: ${answer}`);
      if (res.status === 200) {
        assert.ok(
          route === '/console/login' && method !== 'POST',
          `${method} ${route} answered 200 without a login`,
        );
      }
    }
    const health = await fetch(`${relay.url}/healthz`);
    assert.equal(health.status, 200);
    // The right password still works (the fuzzing address is locked out; a proxied other address is not).
    const login = await fetch(`${relay.url}/console/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': '10.1.2.3' },
      body: new URLSearchParams({ password: PASSWORD }).toString(),
    });
    assert.equal(login.status, 303);
  } finally {
    await relay.close();
  }
});
