import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after, before, test } from 'node:test';
import WebSocket from 'ws';
import { startBrowserHost, type BrowserHost } from '../../../app/host/index.ts';
import { EventHub, RPC_SUBPROTOCOL, type RpcDispatch } from '../../../app/rpc/index.ts';
import { tempDir } from '../../helpers/temp-dir.ts';

let host: BrowserHost;
let token: string;
const events = new EventHub();
const dispatch: RpcDispatch = async (channel, payload) => {
  // A dispatcher that throws (a bug below the contract) must not take the host down.
  if (channel === 'explode') throw new Error('boom');
  return { ok: true, result: { channel, payload } };
};

before(async () => {
  const dir = tempDir();
  fs.writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>kiosk</title>');
  fs.writeFileSync(path.join(dir, 'app.js'), 'console.log(1)');
  fs.writeFileSync(path.join(path.dirname(dir), `secret-${path.basename(dir)}.txt`), 'secret');
  host = await startBrowserHost({ rendererDir: dir, dispatch, events });
  token = new URL(host.url).hash.replace('#token=', '');
});
after(() => host.close());

function connect(protocols: string[], origin = host.origin): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${host.origin.replace('http', 'ws')}/rpc`, protocols, { origin });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

test('the host listens on loopback only and serves the renderer with a strict CSP', async () => {
  assert.match(host.origin, /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.equal(token.length, 64);
  const res = await fetch(`${host.origin}/`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-security-policy') ?? '', /script-src 'self'/);
  assert.equal(res.headers.get('x-frame-options'), 'DENY');
});

test('paths that climb out of the renderer directory are not served', async () => {
  for (const p of ['/../secret.txt', '/%2e%2e/secret.txt', '/..%2fsecret.txt']) {
    const res = await fetch(`${host.origin}${p}`);
    assert.notEqual(await res.text(), 'secret');
  }
});

test('with the per-boot token a screen can call the contract and receives pushed events', async () => {
  const ws = await connect([RPC_SUBPROTOCOL, `token.${token}`]);
  const messages: unknown[] = [];
  ws.on('message', (d) => messages.push(JSON.parse(d.toString())));
  ws.send(JSON.stringify({ id: 7, channel: 'kiosk.info', payload: {} }));
  events.publish('kiosk.updated', {
    kioskId: 'K1',
    demo: true,
    dispenserLink: 'up',
    support: { phone: null, text: null },
    version: '',
  });
  while (messages.length < 2) await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(
    messages.find((m) => (m as { id?: number }).id === 7),
    { id: 7, ok: true, result: { channel: 'kiosk.info', payload: {} } },
  );
  assert.ok(messages.some((m) => (m as { event?: string }).event === 'kiosk.updated'));
  ws.close();
});

test('without the token, with a wrong token, or from another origin, the connection is refused', async () => {
  await assert.rejects(connect([RPC_SUBPROTOCOL]), /403/);
  await assert.rejects(connect([RPC_SUBPROTOCOL, `token.${'0'.repeat(64)}`]), /403/);
  await assert.rejects(connect([RPC_SUBPROTOCOL, `token.${token}`], 'http://evil.example'), /403/);
});

test('a malformed frame closes that connection; the host keeps serving others', async () => {
  const ws = await connect([RPC_SUBPROTOCOL, `token.${token}`]);
  const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
  ws.send('{not json');
  assert.equal(await closed, 1003);
  const again = await connect([RPC_SUBPROTOCOL, `token.${token}`]);
  again.close();
});

/** Writes raw bytes to the host and resolves with everything it answered before closing. */
function raw(text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(new URL(host.origin).port), '127.0.0.1');
    let answer = '';
    socket.on('data', (d: Buffer) => (answer += d.toString('latin1')));
    socket.on('error', reject);
    socket.on('close', () => resolve(answer));
    socket.on('connect', () => socket.end(text));
  });
}

test('a path that does not percent-decode, a NUL byte or a target that is no URL gets an answer, not a crash', async () => {
  assert.equal((await fetch(`${host.origin}/%E0%A4%A`)).status, 400);
  assert.equal((await fetch(`${host.origin}/%00`)).status, 404);
  assert.match(await raw('GET //[ HTTP/1.1\r\nHost: x\r\n\r\n'), /^HTTP\/1\.1 400/);
  const upgrade = await raw(
    `GET //[ HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`,
  );
  assert.doesNotMatch(upgrade, /^HTTP\/1\.1 101/);
  assert.equal((await fetch(`${host.origin}/healthz`)).status, 200);
});

test('a request the dispatcher throws on is answered with an internal error; the connection stays usable', async () => {
  const ws = await connect([RPC_SUBPROTOCOL, `token.${token}`]);
  const answers: unknown[] = [];
  ws.on('message', (d) => answers.push(JSON.parse(d.toString())));
  ws.send(JSON.stringify({ id: 1, channel: 'explode', payload: {} }));
  ws.send(JSON.stringify({ id: 2, channel: 'kiosk.info', payload: {} }));
  while (answers.length < 2) await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(answers[0], {
    id: 1,
    ok: false,
    error: { code: 'internal', message: 'the agent could not answer this request' },
  });
  assert.deepEqual(answers[1], { id: 2, ok: true, result: { channel: 'kiosk.info', payload: {} } });
  ws.close();
});

test('a frame that breaks the websocket protocol closes that connection; the host keeps serving', async () => {
  const ws = await connect([RPC_SUBPROTOCOL, `token.${token}`]);
  const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
  ws.on('error', () => undefined);
  // An unmasked client frame (clients must mask), written under the ws library.
  (ws as unknown as { _socket: net.Socket })._socket.write(Buffer.from([0x81, 0x02, 0x68, 0x69]));
  assert.equal(await closed, 1002);
  assert.equal((await fetch(`${host.origin}/healthz`)).status, 200);
});
