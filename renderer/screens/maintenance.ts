// The technicians' maintenance screen: board and machine state, one row per lane (stock, enable, test vend,
// check), refunds that need attention and the recent technician log. Rows are keyed by lane and updated in
// place, so a button under a finger is never swapped for a new one mid-tap.
import type { LaneView, MaintenanceOverview } from '../../app/rpc/contract.ts';
import { bi, h } from '../dom.ts';
import type { Actions, MaintenanceState, Model } from '../model.ts';
import { formatFen } from '../money.ts';
import type { ScreenView } from './screen.ts';

interface LaneRow {
  readonly element: HTMLTableRowElement;
  update(lane: LaneView, state: MaintenanceState): void;
}

function button(label: string | Node, testId: string, onPress: () => void, cls = 'btn'): HTMLButtonElement {
  const el = h('button', { class: cls, type: 'button', 'data-testid': testId }, label);
  el.addEventListener('click', onPress);
  return el;
}

function createLaneRow(laneNo: number, actions: Actions): LaneRow {
  let current: LaneView | null = null;
  const name = h('td', { class: 'maint-name' });
  const stock = h('span', { class: 'maint-stock', 'data-testid': `maint-stock-${laneNo}` });
  const price = h('span', { class: 'maint-price', 'data-testid': `maint-price-${laneNo}` });
  const cheaper = button('−¥0.10', `maint-price-down-${laneNo}`, () => {
    if (current !== null && current.priceFen > PRICE_STEP_FEN)
      actions.maintenanceSetPrice(laneNo, current.priceFen - PRICE_STEP_FEN);
  });
  const dearer = button('+¥0.10', `maint-price-up-${laneNo}`, () => {
    if (current !== null) actions.maintenanceSetPrice(laneNo, current.priceFen + PRICE_STEP_FEN);
  });
  const minus = button('−', `maint-minus-${laneNo}`, () => {
    if (current !== null && current.stock > 0) actions.maintenanceSetStock(laneNo, current.stock - 1);
  });
  const plus = button('+', `maint-plus-${laneNo}`, () => {
    if (current !== null && current.stock < current.capacity)
      actions.maintenanceSetStock(laneNo, current.stock + 1);
  });
  const full = button(bi('满', 'Full'), `maint-full-${laneNo}`, () => {
    if (current !== null) actions.maintenanceSetStock(laneNo, current.capacity);
  });
  const toggle = button('', `maint-toggle-${laneNo}`, () => actions.maintenanceToggleLane(laneNo));
  toggle.setAttribute('role', 'switch');
  const test = button(bi('测试出货', 'Test vend'), `maint-test-${laneNo}`, () =>
    actions.maintenanceTestVend(laneNo),
  );
  const check = button(bi('检查', 'Check'), `maint-check-${laneNo}`, () =>
    actions.maintenanceCheckLane(laneNo),
  );
  const result = h('span', {
    class: 'maint-result',
    'data-testid': `maint-result-${laneNo}`,
    role: 'status',
  });
  const element = h(
    'tr',
    { 'data-testid': `maint-lane-${laneNo}` },
    h('td', { class: 'maint-lane-no' }, String(laneNo)),
    name,
    h('td', { class: 'maint-price-cell' }, cheaper, price, dearer),
    h('td', { class: 'maint-stock-cell' }, minus, stock, plus, full),
    h('td', {}, toggle),
    h('td', { class: 'maint-actions' }, test, check, result),
  );
  return {
    element,
    update(lane, state) {
      current = lane;
      const busy = state.busyLanes.has(laneNo);
      name.textContent = lane.name;
      price.textContent = formatFen(lane.priceFen);
      cheaper.disabled = busy || lane.priceFen <= PRICE_STEP_FEN;
      dearer.disabled = busy;
      stock.textContent = `${lane.stock}/${lane.capacity}`;
      minus.disabled = busy || lane.stock <= 0;
      plus.disabled = busy || lane.stock >= lane.capacity;
      full.disabled = busy || lane.stock === lane.capacity;
      toggle.disabled = busy;
      toggle.setAttribute('aria-checked', lane.enabled ? 'true' : 'false');
      toggle.className = lane.enabled ? 'btn toggle on' : 'btn toggle off';
      toggle.replaceChildren(lane.enabled ? bi('已启用', 'Enabled') : bi('已停用', 'Disabled'));
      element.classList.toggle('disabled-lane', !lane.enabled);
      test.disabled = busy;
      check.disabled = busy;
      const r = state.results.get(laneNo);
      result.textContent = r?.text ?? '';
      result.dataset.tone = r?.tone ?? '';
    },
  };
}

function doorText(open: boolean | null): string {
  if (open === null) return '? unknown';
  return open ? '开 open' : '关 closed';
}

function machineLine(overview: MaintenanceOverview): string[] {
  const m = overview.machine;
  if (m === null) return ['门 Door: ? unknown', '温度 Temp: ? unknown', '升降 Lift: ? unknown'];
  return [
    `门 Door: ${doorText(m.doorOpen)}`,
    `温度 Temp: ${m.temperatureC === null ? '? unknown' : `${m.temperatureC} °C`}`,
    `升降 Lift: ${m.lift ?? '? unknown'}`,
    ...(m.detail === '' ? [] : [m.detail]),
  ];
}

/** Prices change in steps of ¥0.10 on the touch screen. */
const PRICE_STEP_FEN = 10;

function linkText(name: string, state: 'up' | 'down' | 'unknown', detail = ''): string {
  const word = state === 'up' ? '● ok' : state === 'down' ? '✕ down' : '? unknown';
  return `${name} ${word}${detail === '' ? '' : ` (${detail})`}`;
}

/** Seven bars, one per day, heights relative to the best day; the amount under each. */
function salesChart(days: MaintenanceOverview['sales']['days']): HTMLElement[] {
  const best = Math.max(1, ...days.map((d) => d.fen));
  return days.map((d) => {
    const bar = h('span', { class: 'maint-bar' });
    bar.style.height = `${Math.round((d.fen / best) * 100)}%`;
    return h(
      'li',
      { title: `${d.day}: ${formatFen(d.fen)} (${d.orders})` },
      h('span', { class: 'maint-bar-box' }, bar),
      h('span', { class: 'maint-bar-day' }, d.day.slice(5)),
      h('span', { class: 'maint-bar-fen' }, formatFen(d.fen)),
    );
  });
}

function twoDigits(n: number): string {
  return String(n).padStart(2, '0');
}

function clockTime(at: number): string {
  const d = new Date(at);
  return `${d.getMonth() + 1}-${d.getDate()} ${twoDigits(d.getHours())}:${twoDigits(d.getMinutes())}:${twoDigits(d.getSeconds())}`;
}

export function createMaintenanceScreen(actions: Actions): ScreenView {
  const link = h('span', { class: 'maint-link', 'data-testid': 'maint-link' });
  const machine = h('span', { class: 'maint-machine', 'data-testid': 'maint-machine' });
  const message = h('p', { class: 'maint-message', 'data-testid': 'maint-message', role: 'alert' });
  const body = h('tbody', {});
  const refunds = h('ul', { class: 'maint-refunds', 'data-testid': 'maint-refunds' });
  const log = h('ol', { class: 'maint-log', 'data-testid': 'maint-log' });
  const toCheck = h('ul', { class: 'maint-to-check', 'data-testid': 'maint-to-check' });
  const links = h('p', { class: 'maint-links', 'data-testid': 'maint-links' });
  const version = h('span', { class: 'maint-version', 'data-testid': 'maint-version' });
  const salesTotals = h('p', { class: 'maint-sales-totals', 'data-testid': 'maint-sales' });
  const chart = h('ol', { class: 'maint-chart', 'data-testid': 'maint-chart' });
  const agentLog = h('ol', { class: 'maint-agent-log', 'data-testid': 'maint-agent-log' });
  const lock = button(
    bi('完成并锁定', 'Done — lock'),
    'maint-lock',
    () => actions.maintenanceLock(),
    'btn primary',
  );
  const refresh = button(bi('刷新', 'Refresh'), 'maint-refresh', () => actions.maintenanceRefresh());
  const rows = new Map<number, LaneRow>();

  const element = h(
    'section',
    { class: 'screen screen-maintenance', 'data-testid': 'maintenance' },
    h(
      'header',
      { class: 'maint-header' },
      h('h1', {}, bi('维护', 'Maintenance')),
      version,
      link,
      machine,
      refresh,
      lock,
    ),
    message,
    links,
    h(
      'div',
      { class: 'maint-body', 'data-scroll-list': '' },
      h(
        'table',
        { class: 'maint-lanes' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            h('th', {}, bi('货道', 'Lane')),
            h('th', {}, bi('商品', 'Product')),
            h('th', {}, bi('价格', 'Price')),
            h('th', {}, bi('库存/容量', 'Stock/capacity')),
            h('th', {}, bi('状态', 'Enabled')),
            h('th', {}, bi('测试', 'Test')),
          ),
        ),
        body,
      ),
      h(
        'div',
        { class: 'maint-lists' },
        h('div', {}, h('h2', {}, bi('待检查的中断出货', 'Interrupted vends to check')), toCheck),
        h('div', {}, h('h2', {}, bi('待处理退款', 'Refunds needing attention')), refunds),
        h('div', {}, h('h2', {}, bi('最近操作', 'Recent actions')), log),
        h('div', {}, h('h2', {}, bi('销售', 'Sales')), salesTotals, chart),
        h('div', {}, h('h2', {}, bi('运行日志', 'Agent log')), agentLog),
      ),
    ),
  );
  // Every touch keeps the session alive; capture so it counts even on disabled buttons.
  element.addEventListener('pointerdown', () => actions.maintenanceTouched(), { capture: true });

  return {
    element,
    update(model: Model) {
      const state = model.maintenance;
      if (state === null) return;
      message.textContent = state.message ?? '';
      const overview = state.overview;
      if (overview === null) {
        link.textContent = '载入中… Loading…';
        return;
      }
      version.textContent = model.info?.version ? `v${model.info.version}` : '';
      links.textContent = [
        linkText('主板 Board', overview.links.board),
        linkText('中继 Relay', overview.links.relay),
        linkText('支付宝 Alipay', overview.links.alipay.state, overview.links.alipay.detail),
      ].join('   ');
      const s = overview.sales;
      salesTotals.textContent =
        `今天 Today ${formatFen(s.todayFen)} (${s.todayOrders})   ` +
        `7 天 7 days ${formatFen(s.weekFen)} (${s.weekOrders})`;
      chart.replaceChildren(...salesChart(s.days));
      agentLog.replaceChildren(
        ...overview.recentLog.slice(-15).map((entry) => h('li', {}, `${clockTime(entry.at)} ${entry.line}`)),
      );
      const online = overview.dispenserLink === 'up';
      link.textContent = online ? '主板在线 Board online' : '主板离线 Board offline';
      link.dataset.state = online ? 'online' : 'offline';
      machine.replaceChildren(...machineLine(overview).map((part) => h('span', {}, part)));

      const seen = new Set<number>();
      for (const lane of overview.lanes) {
        seen.add(lane.lane);
        let row = rows.get(lane.lane);
        if (row === undefined) {
          row = createLaneRow(lane.lane, actions);
          rows.set(lane.lane, row);
        }
        row.update(lane, state);
      }
      for (const [laneNo, row] of rows) {
        if (!seen.has(laneNo)) {
          row.element.remove();
          rows.delete(laneNo);
        }
      }
      // Keep table order = agent order (appending an attached node moves it, without recreating it).
      for (const lane of overview.lanes) {
        const row = rows.get(lane.lane);
        if (row !== undefined && body.lastElementChild !== row.element) body.append(row.element);
      }

      refunds.replaceChildren(
        ...(overview.openRefunds.length === 0
          ? [h('li', { class: 'empty' }, '无 None')]
          : overview.openRefunds.map((r) =>
              h(
                'li',
                { 'data-state': r.state },
                h('strong', {}, formatFen(r.amountFen)),
                ` ${r.outTradeNo} (${r.state})`,
                ...(r.lastError === null ? [] : [h('span', { class: 'maint-error' }, ` — ${r.lastError}`)]),
              ),
            )),
      );
      // Refunded without the board's result after a restart: the technician looks whether the item came out.
      toCheck.replaceChildren(
        ...(overview.toCheck.length === 0
          ? [h('li', { class: 'empty' }, '无 None')]
          : overview.toCheck.map((entry) =>
              h(
                'li',
                {},
                h('strong', {}, `#${entry.lane ?? '?'}`),
                ` ${clockTime(entry.at)} ${entry.detail ?? ''}`,
              ),
            )),
      );
      log.replaceChildren(
        ...overview.log.map((entry) =>
          h(
            'li',
            {},
            `${clockTime(entry.at)} ${entry.action}`,
            entry.lane === null ? '' : ` #${entry.lane}`,
            entry.detail === null || entry.detail === '' ? '' : ` ${entry.detail}`,
          ),
        ),
      );
    },
    dispose() {},
  };
}
