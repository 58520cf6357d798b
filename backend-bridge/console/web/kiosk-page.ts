// One kiosk in detail: its figures, sales per hour (24 h) and per day (14 days), and its recent orders with
// their states and vend results.
import { findJson, type KioskDetail } from './api.ts';
import { salesChart } from './chart.ts';
import { h, table, when, yuan } from './dom.ts';
import { linkBadge } from './fleet-page.ts';

export async function kioskPage(id: string, timeZone: string): Promise<HTMLElement> {
  const k = await findJson<KioskDetail>(`/admin/v1/kiosks/${encodeURIComponent(id)}`);
  if (k === undefined) return h('section', {}, h('h1', {}, `Kiosk ${id}`), h('p', {}, 'No such kiosk.'));
  const s = k.status;
  // The charts sit side by side from 1100 px (console.css), one above the other below; each fits its box.
  const columns = window.innerWidth >= 1100 ? 2 : 1;
  const mainWidth = (document.querySelector('main')?.clientWidth ?? 800) - 32;
  const width = Math.floor((mainWidth - (columns - 1) * 16) / columns) - 24;
  const hourLabel = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit' });
  const facts: Array<[string, Node | string]> = [
    ['Link', linkBadge(k)],
    ['Last seen', when(k.lastSeenAt, timeZone)],
    ['Sequence', `${k.lastSeq} assigned, ${k.ackedSeq} acked`],
    ['Sales today', `${k.today.sales}, ${yuan(k.today.revenueFen)}`],
    ['Board', k.board ?? 'unknown'],
    ['Faults', k.faults.length === 0 ? 'none' : k.faults.join('; ')],
    ['Refunds owed', s === null ? 'unknown' : `${s.refundsOwed.count}: ${yuan(s.refundsOwed.fen)}`],
    ['Disabled lanes', s === null ? 'unknown' : s.disabledLanes.join(', ') || 'none'],
    [
      'Low stock',
      s === null
        ? 'unknown'
        : s.lowStock.map((l) => `lane ${l.lane} ${l.stock}/${l.capacity}`).join(', ') || 'none',
    ],
    ['Outbox', s === null ? 'unknown' : `${s.outboxDepth} events waiting (as of ${when(s.at, timeZone)})`],
  ];
  return h(
    'section',
    { 'aria-labelledby': 'kiosk-title' },
    h('p', {}, h('a', { href: '#/' }, '← Fleet')),
    h('h1', { id: 'kiosk-title' }, `Kiosk ${k.id}`),
    h('dl', { class: 'facts' }, ...facts.flatMap(([term, value]) => [h('dt', {}, term), h('dd', {}, value)])),
    h(
      'div',
      { class: 'charts' },
      salesChart(
        'Revenue per hour, last 24 hours',
        k.salesByHour.map((b) => hourLabel.format(new Date(b.hour))),
        k.salesByHour.map((b) => b.revenueFen),
        width,
      ),
      salesChart(
        'Revenue per day, last 14 days',
        k.salesByDay.map((b) => b.date.slice(5)),
        k.salesByDay.map((b) => b.revenueFen),
        width,
      ),
    ),
    table(
      'Recent orders',
      ['Settled', 'Order', 'State', 'Paid', 'Delivered', 'Vends'],
      k.recentOrders.map((o) => [
        when(o.at, timeZone),
        o.outTradeNo,
        o.state,
        yuan(o.totalFen),
        yuan(o.deliveredFen),
        o.items
          .map((i) => `lane ${i.lane ?? '?'}: ${i.vendState}${i.detail ? ` (${i.detail})` : ''}`)
          .join('; ') || '–',
      ]),
    ),
  );
}
