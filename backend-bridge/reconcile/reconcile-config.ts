// The configuration of reconciliation: the `reconcile` section of relay.json (schedule, auto-refund) and the
// Alipay credentials it calls Alipay with (alipay.gatewayUrl, alipay.privateKeyFile or their flags). The private
// key is read from a file only, never from an argument, and lives in a KeyObject from here on.
import fs from 'node:fs';
import { z } from 'zod';
import { loadPrivateKey } from '../../app/alipay/index.ts';
import { RelayConfigError } from '../errors.ts';
import type { ReconcileOptions } from './relay-reconciliation.ts';
import { isDailyTime } from './schedule.ts';

export const ReconcileSection = z
  .object({
    /** Run every day inside the relay (default true when the section is present). */
    enabled: z.boolean().optional(),
    /** Beijing time of the daily run; Alipay's bill of a day is ready by about 09:00 the next morning. */
    at: z.string().refine(isDailyTime, 'must be HH:MM (24-hour, Beijing time)').optional(),
    autoRefund: z.boolean().optional(),
  })
  .strict();

export const DEFAULT_DAILY_AT = '10:00';

export function reconcileOptions(args: {
  section: z.infer<typeof ReconcileSection> | undefined;
  gatewayUrl: string | undefined;
  privateKeyFile: string | undefined;
  readText: (file: string) => string;
  warnings: string[];
}): ReconcileOptions | undefined {
  const { section, gatewayUrl, privateKeyFile } = args;
  const wanted = section !== undefined && section.enabled !== false;
  if (gatewayUrl === undefined && privateKeyFile === undefined) {
    if (wanted) {
      throw new RelayConfigError(
        'reconcile needs the Alipay gateway and app private key: set alipay.gatewayUrl and alipay.privateKeyFile',
      );
    }
    return undefined;
  }
  if (gatewayUrl === undefined)
    throw new RelayConfigError('alipay.privateKeyFile is set: set alipay.gatewayUrl too');
  if (privateKeyFile === undefined)
    throw new RelayConfigError('alipay.gatewayUrl is set: set alipay.privateKeyFile too');
  try {
    const url = new URL(gatewayUrl);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error('not http(s)');
  } catch {
    throw new RelayConfigError(`alipay gateway ${JSON.stringify(gatewayUrl)} is not an http(s) URL`);
  }
  let privateKey;
  try {
    privateKey = loadPrivateKey(args.readText(privateKeyFile));
  } catch (err) {
    if (err instanceof RelayConfigError) throw err;
    // The message names the file and what is wrong with it, never any of its content.
    throw new RelayConfigError(
      `app private key ${privateKeyFile}: ${err instanceof Error ? err.message : 'unreadable'}`,
    );
  }
  try {
    if ((fs.statSync(privateKeyFile).mode & 0o077) !== 0) {
      args.warnings.push(`app private key (${privateKeyFile}) is readable by group/others; chmod 600 it`);
    }
  } catch {
    // Already read successfully; the permission hint is best effort.
  }
  return {
    gatewayUrl,
    privateKey,
    autoRefund: section?.autoRefund ?? false,
    ...(wanted ? { dailyAt: section.at ?? DEFAULT_DAILY_AT } : {}),
  };
}
