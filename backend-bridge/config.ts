// Relay configuration from a JSON file and/or command-line flags. Secrets (kiosk tokens) are read from
// files or environment variables only, never from argv values, which any local user can see in `ps`.
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { loadPublicKey } from '../app/alipay/index.ts';
import { RelayConfigError } from './errors.ts';
import type { RelayOptions } from './index.ts';
import { ReconcileSection, reconcileOptions } from './reconcile/reconcile-config.ts';

export const USAGE = `notify-relay: receives Alipay asynchronous notifications and pushes them to kiosks.

Usage:
  notify-relay --config relay.json [flags]
  notify-relay --db FILE --app-id ID --alipay-public-key FILE --kiosk ID:@TOKENFILE [--kiosk ...] [flags]
  notify-relay kiosk add|rotate|revoke ID (--config relay.json | --db FILE | --database URL)
  notify-relay kiosk list (--config relay.json | --db FILE | --database URL)
  notify-relay hash-password < password.txt   print the scrypt hash of the console's admin password
  notify-relay reconcile [--date YYYY-MM-DD] [--refund] (--config relay.json | flags)

Fleet enrollment (kiosk ...): add and rotate print the kiosk's new token once on stdout; only its SHA-256
is stored. revoke refuses the kiosk at once and closes its open stream on the running relay.

Reconciliation (reconcile ...): compares Alipay's bill of the day (default: yesterday, Beijing time) with the
relay's notifications and the kiosks' sales, stores and prints the differences; --refund also refunds every
"paid, nothing delivered" one with the kiosk's own refund number. Needs the Alipay gateway and app private
key (alipay.gatewayUrl, alipay.privateKeyFile). Exit 0: no differences, 1: differences, 3: no bill (yet).

Flags (override the config file):
  --config FILE              JSON config (see docs/relay.md); relative paths in it are relative to the file
  --host HOST                listen address (default 127.0.0.1; put a TLS reverse proxy in front)
  --port PORT                listen port (default 0 = any free port; the URL is printed when ready)
  --db FILE                  SQLite database file (created if missing)
  --database URL             PostgreSQL instead of SQLite: postgres://user@host:port/db (several relays
                             may share it; the password comes from PGPASSWORD or ~/.pgpass, never argv)
  --app-id ID                your Alipay app_id; notifies for another app are refused
  --seller-id PID            optional: refuse notifies for another seller_id
  --alipay-public-key FILE   Alipay public key (PEM, bare base64, or alipayCertPublicKey_RSA2.crt)
  --alipay-gateway URL       Alipay gateway for reconciliation (https://openapi.alipay.com/gateway.do)
  --alipay-private-key FILE  your app private key, for reconciliation's calls to Alipay (chmod 600)
  --kiosk ID:@FILE           a kiosk and the file holding its bearer token (repeatable)
  --kiosk ID:FILE            same as ID:@FILE
  --kiosk ID:env:VAR         the token is in environment variable VAR
  --help                     show this text

When listening it prints one JSON line on stdout: {"ready":true,"url":"http://HOST:PORT"}.
Logs are JSON lines on stderr. SIGTERM/SIGINT: drains in-flight requests, closes, exits 0.
`;

const KioskEntry = z.union([
  z.object({ id: z.string(), tokenFile: z.string().min(1) }).strict(),
  z.object({ id: z.string(), tokenEnv: z.string().min(1) }).strict(),
]);

const ConfigFile = z
  .object({
    host: z.string().min(1).optional(),
    port: z.number().int().min(0).max(65535).optional(),
    db: z.string().min(1).optional(),
    database: z
      .object({ url: z.string().regex(/^postgres(ql)?:\/\//i, 'expected postgres://…') })
      .strict()
      .optional(),
    alipay: z
      .object({
        appId: z.string().min(1).optional(),
        sellerId: z.string().min(1).optional(),
        publicKeyFile: z.string().min(1).optional(),
        gatewayUrl: z.string().url().optional(),
        privateKeyFile: z.string().min(1).optional(),
      })
      .strict()
      .optional(),
    kiosks: z.array(KioskEntry).optional(),
    admin: z
      .union([
        z.object({ tokenFile: z.string().min(1) }).strict(),
        z.object({ tokenEnv: z.string().min(1) }).strict(),
      ])
      .optional(),
    console: z
      .union([
        z
          .object({
            passwordHash: z.string().min(1),
            loginDelayMs: z.number().int().min(0).max(10_000).optional(),
          })
          .strict(),
        z
          .object({
            passwordHashFile: z.string().min(1),
            loginDelayMs: z.number().int().min(0).max(10_000).optional(),
          })
          .strict(),
      ])
      .optional(),
    timeZone: z.string().min(1).max(64).optional(),
    reconcile: ReconcileSection.optional(),
    retentionDays: z.number().int().min(2).max(3650).optional(),
    trustProxy: z.union([z.boolean(), z.literal('loopback')]).optional(),
    limits: z
      .object({
        maxNotifyBytes: z.number().int().positive().optional(),
        maxOutboxBytes: z.number().int().positive().optional(),
        badNotifiesPerMinute: z.number().int().positive().optional(),
        maxConnections: z.number().int().min(16).optional(),
        headersTimeoutMs: z.number().int().min(100).max(600_000).optional(),
        requestTimeoutMs: z.number().int().min(100).max(600_000).optional(),
        keepAliveTimeoutMs: z.number().int().min(100).max(600_000).optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

export type CliResult =
  { help: true } | { help: false; options: Omit<RelayOptions, 'log'>; warnings: string[] };

/** Turns argv (without node and script) plus the environment into relay options, or explains what is wrong. */
export function parseRelayCli(argv: readonly string[], env: NodeJS.ProcessEnv): CliResult {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        config: { type: 'string' },
        host: { type: 'string' },
        port: { type: 'string' },
        db: { type: 'string' },
        database: { type: 'string' },
        'app-id': { type: 'string' },
        'seller-id': { type: 'string' },
        'alipay-public-key': { type: 'string' },
        'alipay-gateway': { type: 'string' },
        'alipay-private-key': { type: 'string' },
        kiosk: { type: 'string', multiple: true },
        help: { type: 'boolean' },
      },
    }));
  } catch (err) {
    throw new RelayConfigError(err instanceof Error ? err.message : String(err));
  }
  if (values.help) return { help: true };

  const warnings: string[] = [];
  let file: z.infer<typeof ConfigFile> = {};
  let baseDir = process.cwd();
  if (values.config !== undefined) {
    baseDir = path.dirname(path.resolve(values.config));
    const text = readText(values.config, 'config file');
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new RelayConfigError(`config file ${values.config} is not valid JSON`);
    }
    const parsed = ConfigFile.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new RelayConfigError(
        `config file ${values.config}: ${issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'invalid'}`,
      );
    }
    file = parsed.data;
  }
  const fromFile = (p: string): string => path.resolve(baseDir, p);

  const kiosks = new Map<string, string>();
  for (const k of file.kiosks ?? []) {
    kiosks.set(
      k.id,
      'tokenFile' in k
        ? tokenFromFile(k.id, fromFile(k.tokenFile), warnings)
        : tokenFromEnv(k.id, k.tokenEnv, env),
    );
  }
  for (const spec of values.kiosk ?? []) {
    const [id, token] = kioskFlag(spec, env, warnings);
    kiosks.set(id, token);
  }

  const port = values.port !== undefined ? parsePort(values.port) : file.port;
  const databaseUrl = values.database ?? file.database?.url;
  if (databaseUrl !== undefined) checkDatabaseUrl(databaseUrl);
  const db = values.db ?? (file.db !== undefined ? fromFile(file.db) : undefined);
  const appId = values['app-id'] ?? file.alipay?.appId;
  const sellerId = values['seller-id'] ?? file.alipay?.sellerId;
  const keyPath =
    values['alipay-public-key'] ??
    (file.alipay?.publicKeyFile !== undefined ? fromFile(file.alipay.publicKeyFile) : undefined);

  if (db === undefined && databaseUrl === undefined)
    throw new RelayConfigError(
      'no database: pass --db FILE or --database postgres://…, or set "db" or "database.url" in the config',
    );
  if (appId === undefined) throw new RelayConfigError('no Alipay app id: pass --app-id or set alipay.appId');
  if (keyPath === undefined) {
    throw new RelayConfigError(
      'no Alipay public key: pass --alipay-public-key FILE or set alipay.publicKeyFile',
    );
  }
  if (kiosks.size === 0)
    warnings.push(
      'no kiosks in the configuration: only kiosks enrolled with `notify-relay kiosk add` are served',
    );
  const admin = file.admin;
  const adminToken =
    admin === undefined
      ? undefined
      : 'tokenFile' in admin
        ? tokenFromFile('admin', fromFile(admin.tokenFile), warnings)
        : tokenFromEnv('admin', admin.tokenEnv, env);

  const consoleFile = file.console;
  const consoleOptions =
    consoleFile === undefined
      ? undefined
      : {
          passwordHash:
            'passwordHash' in consoleFile
              ? consoleFile.passwordHash
              : readText(fromFile(consoleFile.passwordHashFile), 'console password hash').trim(),
          ...(consoleFile.loginDelayMs !== undefined ? { loginDelayMs: consoleFile.loginDelayMs } : {}),
        };

  let publicKey;
  try {
    publicKey = loadPublicKey(readText(keyPath, 'Alipay public key'));
  } catch (err) {
    if (err instanceof RelayConfigError) throw err;
    throw new RelayConfigError(
      `Alipay public key ${keyPath}: ${err instanceof Error ? err.message : String(err)}`,
    );
  }

  const reconcile = reconcileOptions({
    section: file.reconcile,
    gatewayUrl: values['alipay-gateway'] ?? file.alipay?.gatewayUrl,
    privateKeyFile:
      values['alipay-private-key'] ??
      (file.alipay?.privateKeyFile !== undefined ? fromFile(file.alipay.privateKeyFile) : undefined),
    readText: (f) => readText(f, 'app private key'),
    warnings,
  });

  return {
    help: false,
    warnings,
    options: {
      host: values.host ?? file.host ?? '127.0.0.1',
      port: port ?? 0,
      ...(databaseUrl !== undefined ? { databaseUrl } : { dbPath: db ?? '' }),
      alipay: { appId, publicKey, ...(sellerId !== undefined ? { sellerId } : {}) },
      kiosks: [...kiosks].map(([id, token]) => ({ id, token })),
      ...(file.limits !== undefined ? { limits: file.limits } : {}),
      ...(file.retentionDays !== undefined ? { retentionDays: file.retentionDays } : {}),
      ...(file.trustProxy !== undefined ? { trustProxy: file.trustProxy } : {}),
      ...(adminToken !== undefined ? { adminToken } : {}),
      ...(consoleOptions !== undefined ? { console: consoleOptions } : {}),
      ...(file.timeZone !== undefined ? { timeZone: file.timeZone } : {}),
      ...(reconcile !== undefined ? { reconcile } : {}),
    },
  };
}

function parsePort(text: string): number {
  const n = Number(text);
  if (!/^[0-9]{1,5}$/.test(text) || n > 65535)
    throw new RelayConfigError(`--port ${text} is not a port number`);
  return n;
}

function kioskFlag(spec: string, env: NodeJS.ProcessEnv, warnings: string[]): [string, string] {
  const cut = spec.indexOf(':');
  if (cut <= 0)
    throw new RelayConfigError(`--kiosk ${spec}: expected ID:@TOKENFILE, ID:TOKENFILE or ID:env:VAR`);
  const id = spec.slice(0, cut);
  const source = spec.slice(cut + 1);
  if (source.startsWith('env:')) return [id, tokenFromEnv(id, source.slice(4), env)];
  const file = source.startsWith('@') ? source.slice(1) : source;
  if (file === '') throw new RelayConfigError(`--kiosk ${id}: no token file given`);
  return [id, tokenFromFile(id, file, warnings)];
}

/** A PostgreSQL URL must not carry a password: argv and config files are readable by others. */
function checkDatabaseUrl(url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new RelayConfigError('database URL is not a URL: expected postgres://user@host:port/dbname');
  }
  if (!/^postgres(ql)?:$/i.test(parsed.protocol))
    throw new RelayConfigError('database URL must start with postgres://');
  if (parsed.password !== '')
    throw new RelayConfigError('database URL carries a password: put it in PGPASSWORD or ~/.pgpass instead');
}

/**
 * The database named by --database, --db, or the config file's "database.url" / "db", for the `kiosk`
 * subcommands: a SQLite path or a postgres:// URL.
 */
export function dbPathFromArgs(argv: readonly string[]): { dbPath: string; positionals: string[] } {
  let values;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: true,
      options: { config: { type: 'string' }, db: { type: 'string' }, database: { type: 'string' } },
    }));
  } catch (err) {
    throw new RelayConfigError(err instanceof Error ? err.message : String(err));
  }
  if (values.database !== undefined) {
    checkDatabaseUrl(values.database);
    return { dbPath: values.database, positionals };
  }
  if (values.db !== undefined) return { dbPath: values.db, positionals };
  if (values.config !== undefined) {
    let json: unknown;
    try {
      json = JSON.parse(readText(values.config, 'config file'));
    } catch (err) {
      if (err instanceof RelayConfigError) throw err;
      throw new RelayConfigError(`config file ${values.config} is not valid JSON`);
    }
    const url = (json as { database?: { url?: unknown } }).database?.url;
    if (typeof url === 'string' && url !== '') {
      checkDatabaseUrl(url);
      return { dbPath: url, positionals };
    }
    const db = (json as { db?: unknown }).db;
    if (typeof db === 'string' && db !== '')
      return { dbPath: path.resolve(path.dirname(path.resolve(values.config)), db), positionals };
  }
  throw new RelayConfigError(
    'no database: pass --db FILE, --database URL, or --config FILE with "db" or "database.url" set',
  );
}

function tokenFromFile(id: string, file: string, warnings: string[]): string {
  const token = readText(file, `token file of kiosk ${id}`).trim();
  if (token === '') throw new RelayConfigError(`token file of kiosk ${id} (${file}) is empty`);
  try {
    if ((fs.statSync(file).mode & 0o077) !== 0) {
      warnings.push(`token file of kiosk ${id} (${file}) is readable by group/others; chmod 600 it`);
    }
  } catch {
    // Already read successfully; the permission hint is best effort.
  }
  return token;
}

function tokenFromEnv(id: string, name: string, env: NodeJS.ProcessEnv): string {
  const token = env[name]?.trim();
  if (token === undefined || token === '') {
    throw new RelayConfigError(`kiosk ${id}: environment variable ${name} is not set or empty`);
  }
  return token;
}

function readText(file: string, what: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new RelayConfigError(`cannot read ${what} ${file} (${code})`);
  }
}
