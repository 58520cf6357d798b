// A real `notify-relay` process for the tests that attack it: started from a JSON config in a temp dir,
// with its stderr log lines awaitable, and always killed (and its files removed) by stop().
import { spawn } from 'node:child_process';
import type { ChildProcessByStdio } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { APP_ID, KIOSKS, alipayPublicKey, tempDir } from './helpers.ts';

const BIN = fileURLToPath(new URL('../../bin/notify-relay.js', import.meta.url));

export interface RelayProcess {
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  readonly child: ChildProcessByStdio<null, Readable, Readable>;
  /** Every JSON log line so far, parsed. */
  readonly logs: Array<Record<string, unknown>>;
  /** Resolves with the first matching log line from index `from` on (default 0: past lines count too). */
  waitForLog(
    match: (line: Record<string, unknown>) => boolean,
    from?: number,
  ): Promise<Record<string, unknown>>;
  /** Resolves with the exit code; rejects never. */
  readonly exited: Promise<number | null>;
  /** Counter and gauge values from GET /metrics, by full sample name (with labels). */
  metrics(): Promise<Map<string, number>>;
  stop(): Promise<void>;
}

/** Starts the CLI with `config` merged over a working base config (K1, K2 with token files). */
export async function startRelayProcess(
  config: Record<string, unknown> = {},
  spawnOptions: { fdLimit?: number; dir?: string } = {},
): Promise<RelayProcess> {
  // A given dir is reused as it is (a restart on the same database) and left for its owner to remove.
  const ownsDir = spawnOptions.dir === undefined;
  const dir = spawnOptions.dir ?? tempDir();
  fs.writeFileSync(
    path.join(dir, 'alipay_public.pem'),
    alipayPublicKey.export({ type: 'spki', format: 'pem' }),
  );
  for (const k of KIOSKS) fs.writeFileSync(path.join(dir, `${k.id}.token`), k.token, { mode: 0o600 });
  const file = path.join(dir, 'relay.json');
  fs.writeFileSync(
    file,
    JSON.stringify({
      db: 'relay.db',
      alipay: { appId: APP_ID, publicKeyFile: 'alipay_public.pem' },
      kiosks: KIOSKS.map((k) => ({ id: k.id, tokenFile: `${k.id}.token` })),
      ...config,
    }),
  );
  // With fdLimit the relay runs under `ulimit -n`, as a production unit file would set it.
  const child =
    spawnOptions.fdLimit === undefined
      ? spawn(process.execPath, [BIN, '--config', file], { stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn(
          '/bin/sh',
          [
            '-c',
            `ulimit -n ${spawnOptions.fdLimit} && exec "$0" "$@"`,
            process.execPath,
            BIN,
            '--config',
            file,
          ],
          { stdio: ['ignore', 'pipe', 'pipe'] },
        );
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const logs: Array<Record<string, unknown>> = [];
  const watchers: Array<{
    match: (l: Record<string, unknown>) => boolean;
    resolve: (l: Record<string, unknown>) => void;
  }> = [];
  createInterface({ input: child.stderr }).on('line', (text) => {
    let line: Record<string, unknown>;
    try {
      line = JSON.parse(text) as Record<string, unknown>;
    } catch {
      line = { msg: 'unparsed', text };
    }
    logs.push(line);
    for (const w of [...watchers]) {
      if (w.match(line)) {
        watchers.splice(watchers.indexOf(w), 1);
        w.resolve(line);
      }
    }
  });
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
    if (ownsDir) fs.rmSync(dir, { recursive: true, force: true });
  };
  let url: string;
  try {
    const first = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout }).once('line', resolve);
      void exited.then((code) =>
        reject(new Error(`relay exited (${code}) before ready: ${JSON.stringify(logs)}`)),
      );
    });
    url = (JSON.parse(first) as { url: string }).url;
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    url,
    port: Number(new URL(url).port),
    dir,
    child,
    logs,
    exited,
    waitForLog: (match, from = 0) => {
      const seen = logs.slice(from).find(match);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve) => watchers.push({ match, resolve }));
    },
    metrics: async () => {
      const text = await (await fetch(`${url}/metrics`)).text();
      const values = new Map<string, number>();
      for (const line of text.split('\n')) {
        if (line === '' || line.startsWith('#')) continue;
        const cut = line.lastIndexOf(' ');
        values.set(line.slice(0, cut), Number(line.slice(cut + 1)));
      }
      return values;
    },
    stop,
  };
}
