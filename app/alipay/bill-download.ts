import { AlipayError } from './errors.ts';

// The bill's download URL is handed out by a signed gateway answer and stays valid for about 30 s. What the
// file server answers once it has expired is not documented, so nothing here trusts a status code alone: the
// body must be a zip (it starts with "PK\x03\x04"), must arrive within the timeout, and must not exceed the
// size limit, which is enforced while reading (a lying or absent Content-Length cannot make it buffer more).

export type BillDownloadOptions = {
  /** Whole download, connect to last byte. Default 60 s. */
  timeoutMs?: number;
  /** Largest archive accepted. Default 32 MiB (a day of a large fleet is a few MiB). */
  maxBytes?: number;
  fetchImpl?: typeof fetch;
};

const ZIP_MAGIC = [0x50, 0x4b, 0x03, 0x04];

function fail(message: string): never {
  throw new AlipayError('bill_download', message);
}

/** Fetches the archive behind a bill_download_url. Throws AlipayError('bill_download') with the reason. */
export async function downloadBill(url: string, options: BillDownloadOptions = {}): Promise<Buffer> {
  const maxBytes = options.maxBytes ?? 32 * 1024 * 1024;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return fail('bill_download_url is not a URL');
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') fail('bill_download_url is not http(s)');
  const signal = AbortSignal.timeout(options.timeoutMs ?? 60_000);
  let response: Response;
  try {
    response = await (options.fetchImpl ?? fetch)(parsed, { signal, redirect: 'follow' });
  } catch (err) {
    return fail(`download failed: ${describe(err)}`);
  }
  if (response.status !== 200) {
    await response.body?.cancel().catch(() => undefined);
    fail(`download answered HTTP ${response.status} (expired link?)`);
  }
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (declared > maxBytes) {
    await response.body?.cancel().catch(() => undefined);
    fail(`bill is ${declared} bytes, more than the ${maxBytes} accepted`);
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    const reader = response.body?.getReader();
    for (;;) {
      if (!reader) break;
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) {
        await reader.cancel().catch(() => undefined);
        fail(`bill is more than the ${maxBytes} bytes accepted`);
      }
      chunks.push(value);
    }
  } catch (err) {
    if (err instanceof AlipayError) throw err;
    return fail(`download broke off: ${describe(err)}`);
  }
  const body = Buffer.concat(chunks);
  if (!ZIP_MAGIC.every((byte, i) => body[i] === byte)) {
    const start = body.subarray(0, 80).toString('utf8').replace(/\s+/g, ' ');
    fail(`download is not a zip (expired link?): ${JSON.stringify(start)}`);
  }
  return body;
}

function describe(err: unknown): string {
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) return 'timeout';
  const cause = err instanceof Error ? (err as Error & { cause?: { code?: unknown } }).cause : undefined;
  if (cause && typeof cause.code === 'string') return cause.code;
  return err instanceof Error ? err.message : 'unknown error';
}
