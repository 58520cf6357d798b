// The operator console's door: nothing under /console/ or /admin/v1/ answers without a login (or the admin
// token); a wrong password waits and repeated ones lock the address out; the session cookie is HttpOnly,
// SameSite=Strict, Secure behind TLS, and dies at logout.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { buildConsole } from '../../../backend-bridge/console/build.ts';
import { hashAdminPassword, RelayConfigError } from '../../../backend-bridge/index.ts';
import { startTestRelay, tempDir } from '../helpers.ts';

const PASSWORD = 'correct horse battery staple';
const HASH = hashAdminPassword(PASSWORD);
const DELAY_MS = 300;
const consoleDir = path.join(tempDir(), 'console');
await buildConsole(consoleDir);

async function consoleRelay(extra = {}) {
  const relay = await startTestRelay(path.join(tempDir(), 'relay.db'), {
    console: { passwordHash: HASH, dir: consoleDir, loginDelayMs: DELAY_MS },
    ...extra,
  });
  return relay;
}

function login(url: string, password: string, headers: Record<string, string> = {}) {
  return fetch(`${url}/console/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams({ password }).toString(),
  });
}

async function sessionCookie(url: string): Promise<string> {
  const res = await login(url, PASSWORD);
  assert.equal(res.status, 303);
  const cookie = res.headers.get('set-cookie') ?? '';
  return cookie.split(';')[0]!;
}

/** Every route of the console and the operator API, with the method it is used with. */
const PROTECTED: Array<[string, string]> = [
  ['GET', '/console/'],
  ['GET', '/console/index.html'],
  ['GET', '/console/console.js'],
  ['GET', '/console/console.css'],
  ['GET', '/console/uplot.css'],
  ['GET', '/console/no-such-file'],
  ['GET', '/console/assets/console.js'],
  ['POST', '/console/'],
  ['POST', '/console/logout'],
  ['DELETE', '/console/index.html'],
  ['GET', '/admin/v1/kiosks'],
  ['GET', '/admin/v1/kiosks/K1'],
  ['GET', '/admin/v1/reconciliation'],
  ['GET', '/admin/v1/reconciliation/2026-11-28'],
  ['POST', '/admin/v1/reconciliation/2026-11-28/run'],
  ['POST', '/admin/v1/reconciliation/2026-11-28/refund'],
];

test('no console page and no operator API answers without a login, a forged cookie or a wrong token', async () => {
  const relay = await consoleRelay({ adminToken: 'admin-token-0123456789abcdef' });
  try {
    for (const cookie of [undefined, 'relay_console=forged', `relay_console=${'A'.repeat(43)}`]) {
      for (const [method, route] of PROTECTED) {
        const res = await fetch(`${relay.url}${route}`, {
          method,
          redirect: 'manual',
          headers: { ...(cookie ? { cookie } : {}), authorization: 'Bearer wrong' },
        });
        const body = await res.text();
        if (route.startsWith('/admin/')) {
          assert.equal(res.status, 401, `${method} ${route}: ${res.status}`);
          assert.doesNotMatch(body, /kiosks|K1/, `${method} ${route} leaks data`);
        } else {
          assert.equal(res.status, 303, `${method} ${route} without a login: ${res.status}`);
          assert.equal(res.headers.get('location'), '/console/login');
        }
      }
    }
    // The way in is public, and says nothing but how to sign in.
    const page = await fetch(`${relay.url}/console/login`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /type="password"/);
    const csp = page.headers.get('content-security-policy') ?? '';
    assert.match(csp, /script-src 'self'/);
    assert.doesNotMatch(csp, /unsafe-inline/);
    assert.equal((await fetch(`${relay.url}/console/login.css`)).status, 200);
    assert.equal(
      (await fetch(`${relay.url}/console`, { redirect: 'manual' })).headers.get('location'),
      '/console/',
    );
  } finally {
    await relay.close();
  }
});

test('a wrong password waits before its answer; five lock the address out, even for the right one', async () => {
  const relay = await consoleRelay();
  try {
    for (let i = 1; i <= 5; i++) {
      const started = performance.now();
      const res = await login(relay.url, `wrong guess ${i}`);
      assert.equal(res.status, 401);
      assert.equal(res.headers.get('set-cookie'), null);
      assert.match(await res.text(), /Wrong password/);
      assert.ok(performance.now() - started >= DELAY_MS, 'a wrong password is answered only after the delay');
    }
    const locked = await login(relay.url, PASSWORD);
    assert.equal(locked.status, 429);
    assert.ok(Number(locked.headers.get('retry-after')) >= 59);
    assert.equal(locked.headers.get('set-cookie'), null);
  } finally {
    await relay.close();
  }
});

test('a login sets an HttpOnly SameSite=Strict cookie (Secure behind TLS) that opens the console until logout', async () => {
  const relay = await consoleRelay();
  try {
    const res = await login(relay.url, PASSWORD);
    assert.equal(res.status, 303);
    assert.equal(res.headers.get('location'), '/console/');
    const setCookie = res.headers.get('set-cookie') ?? '';
    assert.match(setCookie, /HttpOnly/);
    assert.match(setCookie, /SameSite=Strict/);
    assert.doesNotMatch(setCookie, /Secure/);
    const viaTls = await login(relay.url, PASSWORD, { 'x-forwarded-proto': 'https' });
    assert.match(viaTls.headers.get('set-cookie') ?? '', /; Secure/);

    const cookie = setCookie.split(';')[0]!;
    const page = await fetch(`${relay.url}/console/`, { headers: { cookie } });
    assert.equal(page.status, 200);
    assert.match(await page.text(), /console\.js/);
    assert.equal((await fetch(`${relay.url}/console/console.js`, { headers: { cookie } })).status, 200);
    const fleet = await fetch(`${relay.url}/admin/v1/kiosks`, { headers: { cookie } });
    assert.equal(fleet.status, 200, 'the session is accepted on the operator API');
    // What changes something takes a session only from the console's own origin.
    const run = (origin: string) =>
      fetch(`${relay.url}/admin/v1/reconciliation/2026-11-28/run`, {
        method: 'POST',
        headers: { cookie, origin },
      });
    assert.equal((await run('https://evil.example')).status, 401);
    assert.equal((await run(relay.url)).status, 503, 'admitted (reconciliation is not configured here)');

    // Logout from another site is refused; from the console it ends the session.
    const foreign = await fetch(`${relay.url}/console/logout`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie, origin: 'https://evil.example' },
    });
    assert.equal(foreign.status, 403);
    const out = await fetch(`${relay.url}/console/logout`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie, origin: relay.url },
    });
    assert.equal(out.status, 303);
    assert.match(out.headers.get('set-cookie') ?? '', /Max-Age=0/);
    assert.equal((await fetch(`${relay.url}/admin/v1/kiosks`, { headers: { cookie } })).status, 401);
    assert.equal(
      (await fetch(`${relay.url}/console/`, { headers: { cookie }, redirect: 'manual' })).status,
      303,
    );
  } finally {
    await relay.close();
  }
});

test('login bodies of any shape are refused cleanly and the relay stays up', async () => {
  const relay = await consoleRelay();
  try {
    const cases: Array<[string, BodyInit, number]> = [
      ['application/json', '{"password":"x"}', 415],
      ['application/x-www-form-urlencoded', 'password=' + 'x'.repeat(10_000), 413],
      ['application/x-www-form-urlencoded', new Uint8Array([0xff, 0xfe, 0x00, 0x80]), 400],
      ['application/x-www-form-urlencoded', '%%%&&&==', 401],
      ['application/x-www-form-urlencoded', '', 401],
    ];
    for (const [type, body, status] of cases) {
      const res = await fetch(`${relay.url}/console/login`, {
        method: 'POST',
        headers: { 'content-type': type },
        body,
      });
      assert.equal(res.status, status, `${type} ${String(body).slice(0, 20)}`);
    }
    assert.equal((await fetch(`${relay.url}/healthz`)).status, 200);
    // A session still works after all that (the lockout is per address and counts only passwords).
    await sessionCookie(relay.url).catch(() => undefined);
  } finally {
    await relay.close();
  }
});

test('a console password hash or time zone that is not one is a configuration error', async () => {
  await assert.rejects(
    startTestRelay(path.join(tempDir(), 'r.db'), { console: { passwordHash: 'hunter2' } }),
    RelayConfigError,
  );
  await assert.rejects(
    startTestRelay(path.join(tempDir(), 'r.db'), { timeZone: 'Mars/Olympus' }),
    RelayConfigError,
  );
});
