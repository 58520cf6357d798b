// Reconciliation days (the relay's daily comparison with Alipay's bill) and one day's differences and the
// refunds taken for them.
import { findJson, type ReconDay, type ReconDaySummary } from './api.ts';
import { h, table, when, yuan } from './dom.ts';

const fen = (value: number | null): string => (value === null ? '–' : yuan(value));

export async function reconciliationPage(timeZone: string): Promise<HTMLElement> {
  const title = h('h1', { id: 'recon-title' }, 'Reconciliation');
  const answer = await findJson<{ days: ReconDaySummary[] }>('/admin/v1/reconciliation');
  if (answer === undefined)
    return h(
      'section',
      { 'aria-labelledby': 'recon-title' },
      title,
      h('p', {}, 'Reconciliation is not set up on this relay.'),
    );
  const { days } = answer;
  return h(
    'section',
    { 'aria-labelledby': 'recon-title' },
    title,
    days.length === 0 ? h('p', {}, 'No day has been reconciled yet.') : null,
    table(
      'Reconciled days',
      ['Day', 'Status', 'Differences', 'By class', 'Ran at'],
      days.map((d) => [
        h('a', { href: `#/reconciliation/${d.date}` }, d.date),
        h('span', { class: `badge ${d.status === 'ok' ? 'up' : 'down'}` }, d.status),
        String(d.differences),
        Object.entries(d.byClass)
          .map(([cls, n]) => `${cls}: ${n}`)
          .join(', ') ||
          (d.error ?? '–'),
        when(d.ranAt, timeZone),
      ]),
    ),
  );
}

export async function reconciliationDayPage(date: string, timeZone: string): Promise<HTMLElement> {
  const back = h('p', {}, h('a', { href: '#/reconciliation' }, '← Reconciliation'));
  const day = await findJson<ReconDay>(`/admin/v1/reconciliation/${encodeURIComponent(date)}`);
  if (day === undefined)
    return h(
      'section',
      {},
      back,
      h('h1', {}, `Reconciliation ${date}`),
      h('p', {}, 'This day has not been reconciled.'),
    );
  return h(
    'section',
    { 'aria-labelledby': 'day-title' },
    back,
    h('h1', { id: 'day-title' }, `Reconciliation ${day.date}`),
    h(
      'p',
      {},
      `Status ${day.status}, ran at ${when(day.ranAt, timeZone)}`,
      day.error ? ` — ${day.error}` : '',
    ),
    table(
      'Differences',
      ['Order', 'Class', 'Kiosk', 'Alipay', 'Kiosk amount', 'Detail'],
      day.differences.map((d) => [
        d.outTradeNo,
        d.class,
        d.kioskId ?? '–',
        fen(d.alipayFen),
        fen(d.kioskFen),
        d.detail,
      ]),
    ),
    table(
      'Actions taken',
      ['At', 'Order', 'Refund number', 'Refund', 'Trigger', 'Result', 'Detail'],
      day.actions.map((a) => [
        when(a.at, timeZone),
        a.outTradeNo,
        a.outRequestNo,
        yuan(a.refundFen),
        a.trigger,
        a.result,
        a.detail,
      ]),
    ),
  );
}
