// A real PostgreSQL server of the test's own: initdb into a fresh temp directory, `postgres` on a free
// loopback port with its unix socket inside that directory, stopped (fast shutdown, then the directory
// removed) by the file's cleanup or by stop(). initdb and postgres refuse to run as root: under uid 0 they
// run as `nobody` through setpriv, and the directory is handed to that user. The server also stops when the
// test process dies (parent-death signal), so a killed test leaves no server running.
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import pg from 'pg';
import { onCleanup } from './cleanup.ts';

export interface PostgresServer {
  readonly port: number;
  /** A URL for a database of this server (created on first use by createDatabase). */
  url(database: string): string;
  /** Creates an empty database and resolves with its URL. */
  createDatabase(name: string): Promise<string>;
  stop(): Promise<void>;
}

const SUPERUSER = 'relay';

/** Where Debian's postgresql (or any) keeps initdb and postgres: pg_config --bindir, else the Debian path. */
export function postgresBinDir(): string {
  const candidates: string[] = [];
  try {
    candidates.push(execFileSync('pg_config', ['--bindir'], { encoding: 'utf8' }).trim());
  } catch {
    // no pg_config on PATH
  }
  const debian = '/usr/lib/postgresql';
  if (fs.existsSync(debian)) {
    for (const v of fs.readdirSync(debian).sort().reverse()) candidates.push(path.join(debian, v, 'bin'));
  }
  const found = candidates.find((dir) => fs.existsSync(path.join(dir, 'initdb')));
  if (found === undefined)
    throw new Error(
      'PostgreSQL server binaries (initdb, postgres) not found: install Debian package postgresql',
    );
  return found;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * argv that runs `bin` through setpriv: as an unprivileged user when we are root (initdb and postgres refuse
 * root), and with a parent-death signal, so a server whose test process was killed (a file over its time
 * budget) shuts down instead of outliving it. setpriv execs in place: the child's pid is postgres itself.
 */
function asServerUser(bin: string, args: string[]): [string, string[]] {
  const user = process.getuid?.() === 0 ? ['--reuid=nobody', '--regid=nogroup', '--clear-groups'] : [];
  return ['setpriv', ['--pdeathsig', 'SIGINT', ...user, '--', bin, ...args]];
}

export async function startPostgres(): Promise<PostgresServer> {
  const bin = postgresBinDir();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'relay-pg-'));
  const data = path.join(dir, 'data');
  if (process.getuid?.() === 0) {
    fs.chmodSync(dir, 0o755);
    execFileSync('chown', ['nobody:nogroup', dir]);
  }
  const [initCmd, initArgs] = asServerUser(path.join(bin, 'initdb'), [
    '-D',
    data,
    '-U',
    SUPERUSER,
    '--auth=trust',
    '-E',
    'UTF8',
    '--no-sync',
  ]);
  execFileSync(initCmd, initArgs, { stdio: 'pipe', cwd: dir });

  const port = await freePort();
  const [cmd, args] = asServerUser(path.join(bin, 'postgres'), [
    '-D',
    data,
    '-p',
    String(port),
    '-k',
    dir,
    '-c',
    'listen_addresses=127.0.0.1',
    '-c',
    'max_connections=200',
  ]);
  const child: ChildProcess = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], cwd: dir });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const log: string[] = [];
  await new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stderr! }).on('line', (line) => {
      log.push(line);
      if (line.includes('database system is ready to accept connections')) resolve();
    });
    void exited.then(() => reject(new Error(`postgres exited before ready:\n${log.join('\n')}`)));
  });

  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopped ??= (async () => {
      // SIGINT: fast shutdown (disconnects clients, no waiting for them).
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
      await exited;
      fs.rmSync(dir, { recursive: true, force: true });
    })());
  onCleanup(stop);

  const url = (database: string): string => `postgres://${SUPERUSER}@127.0.0.1:${port}/${database}`;
  return {
    port,
    url,
    createDatabase: async (name) => {
      const client = new pg.Client({ connectionString: url('postgres') });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
      } finally {
        await client.end();
      }
      return url(name);
    },
    stop,
  };
}
