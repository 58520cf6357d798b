// The fleet: one row per kiosk with what needs an operator's eye. Refreshed every few seconds by main.ts.
import { getJson, type Fleet, type FleetKiosk } from './api.ts';
import { h, table, when, yuan } from './dom.ts';

export async function fleetPage(): Promise<HTMLElement> {
  const fleet = await getJson<Fleet>('/admin/v1/kiosks');
  const online = fleet.kiosks.filter((k) => k.connected).length;
  const revenue = fleet.kiosks.reduce((fen, k) => fen + k.today.revenueFen, 0);
  const sales = fleet.kiosks.reduce((n, k) => n + k.today.sales, 0);
  return h(
    'section',
    { 'aria-labelledby': 'fleet-title' },
    h('h1', { id: 'fleet-title' }, 'Fleet'),
    h(
      'p',
      { class: 'summary' },
      `${fleet.kiosks.length} kiosks · ${online} online · today ${sales} sales, ${yuan(revenue)}`,
    ),
    table(
      'Kiosks',
      [
        'Kiosk',
        'Link',
        'Last seen',
        'Seq (acked)',
        'Sales today',
        'Revenue today',
        'Refunds owed',
        'Faults',
        'Disabled lanes',
        'Low stock',
        'Outbox',
      ],
      fleet.kiosks.map((k) => row(k, fleet.timeZone)),
    ),
  );
}

function row(k: FleetKiosk, timeZone: string): Array<Node | string> {
  const s = k.status;
  return [
    h('a', { href: `#/kiosk/${encodeURIComponent(k.id)}` }, k.id),
    linkBadge(k),
    when(k.lastSeenAt, timeZone),
    `${k.lastSeq} (${k.ackedSeq})`,
    String(k.today.sales),
    yuan(k.today.revenueFen),
    s === null
      ? '–'
      : s.refundsOwed.count === 0
        ? 'none'
        : `${s.refundsOwed.count}: ${yuan(s.refundsOwed.fen)}`,
    k.faults.length === 0 ? 'none' : h('span', { class: 'bad' }, k.faults.join('; ')),
    s === null ? '–' : s.disabledLanes.length === 0 ? 'none' : s.disabledLanes.join(', '),
    s === null
      ? '–'
      : s.lowStock.length === 0
        ? 'none'
        : s.lowStock.map((l) => `${l.lane} (${l.stock}/${l.capacity})`).join(', '),
    s === null ? '–' : String(s.outboxDepth),
  ];
}

export function linkBadge(k: FleetKiosk): HTMLElement {
  const label = k.revoked ? 'Revoked' : k.connected ? 'Online' : 'Offline';
  return h('span', { class: `badge ${k.connected ? 'up' : 'down'}`, 'data-kiosk-link': k.id }, label);
}
