// The agent's configuration file (JSON), validated as a whole at start: a wrong config stops the agent with
// every problem listed, before anything touches the board or Alipay. Secrets are never in this file: it names
// the files that hold them.
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { KIOSK_ID_PATTERN } from '../sale/out-trade-no.ts';

/** A POLL interval the 0x16 command can set: 100 ms – 2 s, in units of 100 ms (shared/protocols/vmc-fafb.md). */
const POLL_MS = z.number().int().min(100).max(2000).multipleOf(100);
const DEFAULT_POLL_PACE = { openMs: 100, idleMs: 200, idleAfterMs: 5000 };

const laneConfig = z
  .object({
    lane: z.number().int().min(1).max(9999),
    productId: z.string().min(1).max(32),
    name: z.string().min(1).max(64),
    priceFen: z.number().int().min(1).max(10_000_000_000),
    stock: z.number().int().min(0),
    capacity: z.number().int().min(0),
    /** A picture of the product (.png, .jpg, .webp, ≤ 256 KB), relative to the configuration file. */
    image: z.string().min(1).max(256).optional(),
  })
  .strict();

export const agentConfigSchema = z
  .object({
    kioskId: z.string().regex(KIOSK_ID_PATTERN, 'letters and digits only, at most 32'),
    dataDir: z.string().min(1),
    demo: z.boolean().default(false),
    alipay: z
      .object({
        gatewayUrl: z.url(),
        appId: z.string().regex(/^\d{16}$/, '16 digits'),
        sellerId: z
          .string()
          .regex(/^2088\d{12}$/)
          .optional(),
        privateKeyFile: z.string().min(1),
        alipayPublicKeyFile: z.string().min(1),
        notifyUrl: z.url(),
        timeoutMs: z.number().int().min(1000).max(60_000).default(15_000),
      })
      .strict(),
    relay: z.object({ url: z.url(), tokenFile: z.string().min(1) }).strict(),
    dispenser: z
      .object({
        /** fafb: the 0xFA 0xFB VMC protocol (57600 baud); zdm8: ZDM8-family Modbus RTU boards (9600 baud). */
        driver: z.enum(['fafb', 'zdm8']),
        path: z.string().min(1),
        /** Default: the driver's usual rate. */
        baudRate: z.number().int().min(1200).max(921_600).optional(),
        dropSensor: z.boolean().default(true),
        lift: z.boolean().default(false),
        /** zdm8 only: the board's Modbus slave address. */
        unit: z.number().int().min(1).max(247).default(1),
        /**
         * fafb only: the board model's reading of the 0x04 codes, where its vendor manual says a code is sent
         * only when no motor turned (docs/dispenser.md). Absent: the protocol document alone, conservatively.
         */
        fafbProfile: z
          .object({
            model: z.string().min(1),
            notDelivered: z.array(z.number().int().min(0).max(255)),
          })
          .strict()
          .optional(),
        /**
         * fafb only: the board's POLL interval (0x16) while an order is open — from the QR code to the end of
         * its vend — and otherwise (docs/dispenser.md, "POLL pace"). false: never set (the board keeps its own).
         */
        pollPace: z
          .union([
            z.literal(false),
            z
              .object({
                openMs: POLL_MS.default(100),
                idleMs: POLL_MS.default(200),
                idleAfterMs: z.number().int().min(0).max(600_000).default(5000),
              })
              .strict(),
          ])
          .default(DEFAULT_POLL_PACE),
      })
      .strict(),
    sale: z
      .object({
        paymentTimeoutSeconds: z.number().int().min(30).max(900).default(120),
        /** After a restart, how long the board is listened to for the result of a vend it interrupted. */
        recoveryEvidenceSeconds: z.number().min(0.5).max(120).default(3),
        /**
         * Days a finished order (its items, refunds, notifications, audit trail) is kept once nothing about it
         * is owed or unsent: refunds and disputes come months later (docs/configuration.md).
         */
        keepFinishedOrdersDays: z.number().int().min(7).max(3650).default(90),
      })
      .strict()
      .default({ paymentTimeoutSeconds: 120, recoveryEvidenceSeconds: 3, keepFinishedOrdersDays: 90 }),
    host: z
      .object({
        port: z.number().int().min(0).max(65535).default(0),
        /**
         * Present: the agent shows the screen itself (unattended browser host), starting Chromium full screen
         * and starting it again whenever it exits (docs/ui.md). `args` are extra Chromium flags.
         */
        browser: z
          .object({
            executable: z.string().min(1).default('/usr/bin/chromium'),
            args: z
              .array(z.string().regex(/^--[a-z0-9-]+(=.*)?$/, 'a --flag'))
              .max(32)
              .default([]),
          })
          .strict()
          .optional(),
      })
      .strict()
      .default({ port: 0 }),
    /** Who a customer calls when something went wrong; shown on every failure screen. */
    support: z
      .object({
        phone: z.string().min(1).max(32).optional(),
        text: z.string().min(1).max(120).optional(),
      })
      .strict()
      .default({}),
    maintenance: z
      .object({
        /** A file holding the scrypt hash of the technicians' PIN (`kiosk-agent --hash-pin`). */
        pinHashFile: z.string().min(1).optional(),
      })
      .strict()
      .default({}),
    planogram: z.array(laneConfig).min(1),
  })
  .strict();

export type AgentConfig = z.output<typeof agentConfigSchema>;
export type AgentConfigInput = z.input<typeof agentConfigSchema>;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Reads a config file's JSON; a ConfigError when it cannot be read or is not JSON. */
export function readConfigJson(file: string): unknown {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError(`cannot read config ${file}: ${(err as Error).message}`);
  }
}

/** Reads and validates a config file; relative file names inside it are resolved against its directory. */
export function loadAgentConfig(file: string): AgentConfig {
  return resolveConfigPaths(parseAgentConfig(readConfigJson(file), file), file);
}

export function resolveConfigPaths(config: AgentConfig, file: string): AgentConfig {
  const base = path.dirname(path.resolve(file));
  const resolve = (p: string) => path.resolve(base, p);
  return {
    ...config,
    dataDir: resolve(config.dataDir),
    alipay: {
      ...config.alipay,
      privateKeyFile: resolve(config.alipay.privateKeyFile),
      alipayPublicKeyFile: resolve(config.alipay.alipayPublicKeyFile),
    },
    relay: { ...config.relay, tokenFile: resolve(config.relay.tokenFile) },
    planogram: config.planogram.map((l) => (l.image === undefined ? l : { ...l, image: resolve(l.image) })),
    maintenance: config.maintenance.pinHashFile
      ? { pinHashFile: resolve(config.maintenance.pinHashFile) }
      : {},
  };
}

export function parseAgentConfig(raw: unknown, source = 'config'): AgentConfig {
  const parsed = agentConfigSchema.safeParse(raw);
  const problems = [
    ...(parsed.success
      ? []
      : parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)),
    ...configRuleProblems(raw),
  ];
  if (!parsed.success || problems.length > 0)
    throw new ConfigError(`${source} is invalid:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  return parsed.data;
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

function urlOf(value: unknown): URL | null {
  if (typeof value !== 'string') return null;
  try {
    return new URL(value);
  } catch {
    return null;
  }
}

/**
 * The mistakes the field schema cannot see, checked on the raw input so that they are listed together with
 * the field errors (one pass, not "fix these, then learn about the next ones").
 */
export function configRuleProblems(raw: unknown): string[] {
  const problems: string[] = [];
  const obj = (v: unknown): Record<string, unknown> =>
    typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  const root = obj(raw);
  const alipay = obj(root['alipay']);
  const notify = urlOf(alipay['notifyUrl']);
  if (notify && (notify.search !== '' || notify.hash !== '')) {
    problems.push(
      'alipay.notifyUrl: must not carry a query string or fragment (Alipay appends its own parameters ' +
        'and drops or mangles yours); put everything in the path',
    );
  }
  const gateway = urlOf(alipay['gatewayUrl']);
  if (gateway && gateway.protocol !== 'https:' && !LOOPBACK_HOSTS.has(gateway.hostname)) {
    problems.push(
      `alipay.gatewayUrl: must be https:// (got ${gateway.protocol}//${gateway.host}); only a simulator on ` +
        '127.0.0.1 may use http',
    );
  }
  const planogram = Array.isArray(root['planogram']) ? root['planogram'] : [];
  const seen = new Set<unknown>();
  planogram.forEach((entry, index) => {
    const lane = obj(entry);
    if (typeof lane['lane'] === 'number') {
      if (seen.has(lane['lane'])) problems.push(`planogram.${index}: lane ${lane['lane']} appears twice`);
      seen.add(lane['lane']);
    }
    if (
      typeof lane['stock'] === 'number' &&
      typeof lane['capacity'] === 'number' &&
      lane['stock'] > lane['capacity']
    )
      problems.push(
        `planogram.${index}.stock: ${lane['stock']} is more than the lane's capacity ${lane['capacity']}`,
      );
  });
  return problems;
}

/** Reads a secret file (key, token), trimming the trailing newline editors add. */
export function readSecretFile(file: string, what: string): string {
  try {
    const text = fs.readFileSync(file, 'utf8').trim();
    if (!text) throw new Error('file is empty');
    return text;
  } catch (err) {
    throw new ConfigError(`cannot read the ${what} from ${file}: ${(err as Error).message}`);
  }
}

/** The serial rate a board speaks unless the configuration says otherwise. */
export function dispenserBaudRate(dispenser: AgentConfig['dispenser']): number {
  return dispenser.baudRate ?? (dispenser.driver === 'zdm8' ? 9600 : 57600);
}
