// One HTTP/1.1 POST on a new TCP connection, written and read by hand. The load generator shares the machine's
// two cores with the relay it measures, and node's http client (an Agent, a ClientRequest, a parser and an
// IncomingMessage per request) cost it more CPU per notify than the relay spends: what the relay receives is
// the same request on the same kind of connection, `connection: close`, as Alipay's sender makes them.
import net from 'node:net';

export interface PostTarget {
  readonly host: string;
  readonly port: number;
  readonly path: string;
}

export function postTarget(url: string): PostTarget {
  const u = new URL(url);
  return { host: u.hostname, port: Number(u.port), path: `${u.pathname}${u.search}` };
}

/** Resolves with the status and body of the answer, once the server has closed the connection. */
export function rawPost(
  target: PostTarget,
  contentType: string,
  body: string,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(target.port, target.host);
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('end', () => {
      socket.end();
      try {
        resolve(parseAnswer(Buffer.concat(chunks).toString('utf8')));
      } catch (err) {
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    });
    socket.write(
      `POST ${target.path} HTTP/1.1\r\nhost: ${target.host}:${target.port}\r\n` +
        `content-type: ${contentType}\r\ncontent-length: ${Buffer.byteLength(body)}\r\n` +
        `connection: close\r\n\r\n${body}`,
    );
  });
}

/** A whole answer with a content-length (what the relay sends); anything else is an error. */
function parseAnswer(text: string): { status: number; body: string } {
  const headEnd = text.indexOf('\r\n\r\n');
  const status = /^HTTP\/1\.1 (\d{3}) /.exec(text);
  const length = /\r\ncontent-length: *(\d+)\r\n/i.exec(text.slice(0, headEnd + 2));
  if (headEnd < 0 || status === null || length === null)
    throw new Error(
      `not a complete HTTP answer with a content-length: ${JSON.stringify(text.slice(0, 200))}`,
    );
  const body = text.slice(headEnd + 4);
  if (Buffer.byteLength(body) !== Number(length[1]))
    throw new Error(`answer body of ${Buffer.byteLength(body)} bytes, content-length ${length[1]}`);
  return { status: Number(status[1]), body };
}
