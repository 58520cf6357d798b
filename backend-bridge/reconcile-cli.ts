// `notify-relay reconcile [--date D] [--refund]`: one day's reconciliation from the command line, on the relay's
// database (SQLite in WAL mode takes it while the relay runs) with the relay's own configuration. Prints the
// differences and, with --refund, compensates every "paid, nothing delivered" one with the kiosk's number.
import { parseArgs } from 'node:util';
import { parseRelayCli } from './config.ts';
import { RelayConfigError } from './errors.ts';
import { createRelayLogger } from './logging.ts';
import { dayToReconcile, dayWindow } from './reconcile/day.ts';
import { createReconciliation } from './reconcile/relay-reconciliation.ts';
import { kioskIdFromOutTradeNo } from './routing.ts';
import { openRelayStore } from './store.ts';

/** Exit codes: the day agrees, it has differences, or it could not be compared (no bill yet). */
export const RECONCILE_EXIT = { ok: 0, differences: 1, failed: 3 } as const;

function split(argv: readonly string[]): { date: string | undefined; refund: boolean; rest: string[] } {
  let values;
  let tokens;
  try {
    ({ values, tokens } = parseArgs({
      args: [...argv],
      strict: false,
      tokens: true,
      options: { date: { type: 'string' }, refund: { type: 'boolean' } },
    }));
  } catch (err) {
    throw new RelayConfigError(err instanceof Error ? err.message : String(err));
  }
  // Everything but --date and --refund is the relay's own configuration (parsed, strictly, by parseRelayCli).
  const rest: string[] = [];
  for (const token of tokens) {
    if (token.kind === 'option' && (token.name === 'date' || token.name === 'refund')) continue;
    if (token.kind === 'option') {
      if (token.inlineValue === true) rest.push(`${token.rawName}=${token.value ?? ''}`);
      else rest.push(token.rawName, ...(token.value !== undefined ? [token.value] : []));
    } else if (token.kind === 'positional') rest.push(token.value);
  }
  if (values.date !== undefined && typeof values.date !== 'string')
    throw new RelayConfigError('--date needs a day, YYYY-MM-DD');
  if (values.refund !== undefined && typeof values.refund !== 'boolean')
    throw new RelayConfigError('--refund takes no value');
  return { date: values.date, refund: values.refund === true, rest };
}

export async function runReconcileCommand(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  out: (line: string) => void,
  err: (line: string) => void,
  now: () => Date = () => new Date(),
): Promise<number> {
  const { date, refund, rest } = split(argv);
  const day = date ?? dayToReconcile(now());
  try {
    dayWindow(day);
  } catch {
    throw new RelayConfigError(`--date ${JSON.stringify(day)} is not a day (want YYYY-MM-DD)`);
  }
  const parsed = parseRelayCli(rest, env);
  if (parsed.help) throw new RelayConfigError('reconcile takes the relay flags or --config, not --help');
  const { options, warnings } = parsed;
  for (const w of warnings) err(JSON.stringify({ msg: 'config warning', warning: w }));
  if (!options.reconcile) {
    throw new RelayConfigError(
      'reconcile needs the Alipay gateway and app private key: --alipay-gateway and --alipay-private-key, ' +
        'or alipay.gatewayUrl and alipay.privateKeyFile in the config',
    );
  }
  const store = await openRelayStore(options.databaseUrl ?? options.dbPath ?? '');
  try {
    const { service } = createReconciliation({
      relayStore: store,
      appId: options.alipay.appId,
      alipayPublicKey: options.alipay.publicKey,
      // The command line compensates only when asked to (--refund), whatever the relay's autoRefund says.
      options: { ...options.reconcile, autoRefund: false },
      kioskOf: (outTradeNo) => kioskIdFromOutTradeNo(outTradeNo) ?? null,
      now,
      log: createRelayLogger(err),
    });
    const requester = { trigger: 'operator', actor: 'cli' } as const;
    const detail = await service.run(day, requester);
    out(`${detail.date}\t${detail.status}\t${detail.differences.length} difference(s)\tran ${detail.ranAt}`);
    if (detail.error !== undefined) out(`error\t${detail.error}`);
    for (const d of detail.differences) {
      out(
        [
          d.outTradeNo,
          d.class,
          d.kioskId ?? '-',
          `alipay ${d.alipayFen ?? '-'}`,
          `kiosk ${d.kioskFen ?? '-'}`,
          d.detail,
        ].join('\t'),
      );
    }
    if (refund) {
      const refundable = [
        ...new Set(
          detail.differences.filter((d) => d.class === 'paid_not_delivered').map((d) => d.outTradeNo),
        ),
      ];
      for (const outTradeNo of refundable) {
        const answer = await service.refund(day, outTradeNo, requester);
        if (answer.kind === 'done') {
          const a = answer.action;
          out(`refund\t${a.outTradeNo}\t${a.outRequestNo}\t${a.refundFen}\t${a.result}\t${a.detail}`);
        } else if (answer.kind === 'not_refundable')
          out(`refund\t${outTradeNo}\tnot refunded\t${answer.why}`);
      }
    }
    // The exit code is what the run found: a refund made now shows in the bill of the day it was made.
    return RECONCILE_EXIT[detail.status];
  } finally {
    await store.close();
  }
}
