// How the links a sale needs are doing, as the technicians' screen shows them. Alipay's gateway is judged
// by the last order: a QR code issued means the gateway answered; a failed order means it did not (with the
// order's customer-safe message). Read-only over the orders table.
import type { Db } from '../store/index.ts';

export type LinkState = 'up' | 'down' | 'unknown';

export function alipayLink(db: Db): { state: LinkState; detail: string } {
  const last = db
    .prepare(
      `SELECT state, qr_code IS NOT NULL AS issued, message, created_at AS at
         FROM orders ORDER BY created_at DESC LIMIT 1`,
    )
    .get() as { state: string; issued: number; message: string | null; at: number } | undefined;
  if (last === undefined) return { state: 'unknown', detail: 'no order yet' };
  const when = new Date(last.at).toISOString().slice(0, 16).replace('T', ' ');
  if (last.issued === 1) return { state: 'up', detail: `last QR code issued ${when} UTC` };
  if (last.state === 'failed')
    return { state: 'down', detail: `last order failed ${when} UTC: ${last.message ?? 'no answer'}` };
  return { state: 'unknown', detail: `last order ${when} UTC still starting` };
}
