import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { downloadBill, isAlipayError } from '../../../app/alipay/index.ts';
import { writeZip } from '../../../sim/alipay/zip-writer.ts';

const zip = writeZip([{ name: Buffer.from('a.csv'), data: Buffer.from('x'.repeat(5000)) }]);
const routes: Record<string, (req: IncomingMessage, res: ServerResponse) => void> = {
  '/ok': (_req, res) => res.end(zip),
  '/expired': (_req, res) => res.end('<html><body>链接已失效</body></html>'),
  '/gone': (_req, res) => {
    res.writeHead(404);
    res.end('not found');
  },
  '/endless': (_req, res) => {
    // Chunked, no Content-Length: only counting while reading can stop it.
    res.write(zip);
    const timer = setInterval(() => res.write(Buffer.alloc(64 * 1024)), 1);
    res.on('close', () => clearInterval(timer));
  },
  '/stalls': (_req, res) => res.write(zip.subarray(0, 10)),
  '/big': (_req, res) => {
    res.writeHead(200, { 'content-length': String(100 * 1024 * 1024) });
    res.write(zip);
  },
};
let server: Server;
let base = '';

before(async () => {
  server = createServer((req, res) => routes[req.url ?? '']?.(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

async function refusal(path: string, options: Parameters<typeof downloadBill>[1] = {}): Promise<string> {
  try {
    await downloadBill(`${base}${path}`, options);
  } catch (err) {
    assert.ok(isAlipayError(err), String(err));
    assert.equal(err.code, 'bill_download');
    return err.message;
  }
  return assert.fail('accepted');
}

describe('bill download', () => {
  test('a zip arrives whole', async () => {
    assert.deepEqual(await downloadBill(`${base}/ok`), zip);
  });

  test('an expired link, an error status, an endless body, a stall and a huge Content-Length are refused', async () => {
    assert.match(await refusal('/expired'), /not a zip \(expired link\?\): "<html><body>链接已失效/);
    assert.match(await refusal('/gone'), /HTTP 404/);
    assert.match(
      await refusal('/endless', { maxBytes: 1024 * 1024 }),
      /more than the 1048576 bytes accepted/,
    );
    assert.match(await refusal('/stalls', { timeoutMs: 200 }), /timeout/);
    assert.match(
      await refusal('/big', { maxBytes: 1024 * 1024 }),
      /104857600 bytes, more than the 1048576 accepted/,
    );
  });

  test('only http(s) links are followed', async () => {
    await assert.rejects(downloadBill('file:///etc/passwd'), /not http\(s\)/);
    await assert.rejects(downloadBill('::'), /not a URL/);
  });
});
