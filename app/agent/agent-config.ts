// The agent's configuration file (JSON), validated as a whole at start: a wrong config stops the agent with
// every problem listed, before anything touches the board or Alipay. Secrets are never in this file: it names
// the files that hold them.
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { KIOSK_ID_PATTERN } from '../sale/out-trade-no.ts';

const laneConfig = z
  .object({
    lane: z.number().int().min(1).max(9999),
    productId: z.string().min(1).max(32),
    name: z.string().min(1).max(64),
    priceFen: z.number().int().min(1).max(10_000_000_000),
    stock: z.number().int().min(0),
    capacity: z.number().int().min(0),
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
      })
      .strict(),
    sale: z
      .object({ paymentTimeoutSeconds: z.number().int().min(30).max(900).default(120) })
      .strict()
      .default({ paymentTimeoutSeconds: 120 }),
    host: z
      .object({ port: z.number().int().min(0).max(65535).default(0) })
      .strict()
      .default({ port: 0 }),
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

/** Reads and validates a config file; relative file names inside it are resolved against its directory. */
export function loadAgentConfig(file: string): AgentConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError(`cannot read config ${file}: ${(err as Error).message}`);
  }
  const config = parseAgentConfig(raw, file);
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
    maintenance: config.maintenance.pinHashFile
      ? { pinHashFile: resolve(config.maintenance.pinHashFile) }
      : {},
  };
}

export function parseAgentConfig(raw: unknown, source = 'config'): AgentConfig {
  const parsed = agentConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues
      .map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`)
      .join('\n');
    throw new ConfigError(`${source} is invalid:\n${problems}`);
  }
  const lanes = parsed.data.planogram.map((l) => l.lane);
  const duplicate = lanes.find((l, i) => lanes.indexOf(l) !== i);
  if (duplicate !== undefined)
    throw new ConfigError(`${source} is invalid:\n  planogram: lane ${duplicate} appears twice`);
  return parsed.data;
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
