// A real nginx (Debian's nginx-light) on loopback, configured with the server block docs/relay.md gives
// operators, so the proxy tests check the set-up that is actually documented.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const NGINX = '/usr/sbin/nginx';
const DOC = fileURLToPath(new URL('../../docs/relay.md', import.meta.url));

export interface RunningNginx {
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

/** The documented server block with TLS swapped for a loopback port and the relay's real port. */
export function documentedServerBlock(listenPort: number, relayPort: number): string {
  const doc = fs.readFileSync(DOC, 'utf8');
  const m = /```nginx\n([\s\S]*?)```/.exec(doc);
  if (!m?.[1]) throw new Error('docs/relay.md has no ```nginx block');
  return m[1]
    .split('\n')
    .filter((line) => !/^\s*ssl_/.test(line))
    .join('\n')
    .replace('listen 443 ssl;', `listen 127.0.0.1:${listenPort};`)
    .replaceAll('127.0.0.1:8080', `127.0.0.1:${relayPort}`);
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Resolves once something accepts connections on the port (nginx has no ready signal of its own). */
function accepting(port: number, child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    const attempt = (): void => {
      if (child.exitCode !== null) return reject(new Error(`nginx exited with ${child.exitCode}`));
      const s = net.connect({ port, host: '127.0.0.1' });
      s.once('connect', () => {
        s.destroy();
        resolve();
      });
      s.once('error', () => setImmediate(attempt));
    };
    attempt();
  });
}

export async function startNginx(relayPort: number): Promise<RunningNginx> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'relay-nginx-'));
  const port = await freePort();
  const conf = path.join(dir, 'nginx.conf');
  fs.writeFileSync(
    conf,
    `daemon off;
master_process off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
user ${os.userInfo().username};
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
${documentedServerBlock(port, relayPort)}
}
`,
  );
  const child = spawn(NGINX, ['-p', dir, '-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    await accepting(port, child);
  } catch (err) {
    await stop();
    throw new Error(`${(err as Error).message}: ${stderr}`);
  }
  return { url: `http://127.0.0.1:${port}`, port, stop };
}
