// The load generator's hand-written POST: a real HTTP server receives an ordinary request, and only a whole
// answer with a content-length is taken for one.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { postTarget, rawPost } from '../../../bench/lib/raw-post.ts';

async function server(
  answer: (req: http.IncomingMessage, body: string, res: http.ServerResponse) => void,
): Promise<{ url: string; close: () => Promise<void> }> {
  const srv = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => answer(req, body, res));
  });
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((r) => srv.close(() => r())) };
}

test('the server sees an ordinary POST and its answer comes back whole', async () => {
  const seen: Array<{ method?: string; url?: string; type?: string; connection?: string; body: string }> = [];
  const s = await server((req, body, res) => {
    seen.push({
      method: req.method,
      url: req.url,
      type: req.headers['content-type'],
      connection: req.headers.connection,
      body,
    });
    const text = '成功 success';
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(text) }).end(text);
  });
  try {
    const answer = await rawPost(postTarget(`${s.url}/alipay/notify?x=1`), 'text/plain', 'a=1&b=支付');
    assert.deepEqual(answer, { status: 200, body: '成功 success' });
    assert.deepEqual(seen, [
      {
        method: 'POST',
        url: '/alipay/notify?x=1',
        type: 'text/plain',
        connection: 'close',
        body: 'a=1&b=支付',
      },
    ]);
  } finally {
    await s.close();
  }
});

test('an answer without a content-length, or a connection cut, is an error', async () => {
  const chunked = await server((_req, _body, res) => {
    res.write('suc');
    res.end('cess');
  });
  const cut = await server((req) => req.socket.destroy());
  try {
    await assert.rejects(rawPost(postTarget(chunked.url), 'text/plain', 'x'), /content-length/);
    await assert.rejects(rawPost(postTarget(cut.url), 'text/plain', 'x'));
  } finally {
    await chunked.close();
    await cut.close();
  }
});
