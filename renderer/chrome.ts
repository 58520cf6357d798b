// What stays on top of every screen: the demo banner, the offline and reconnecting notices, and the hidden
// maintenance corner.
import { bi, h } from './dom.ts';
import type { Model } from './model.ts';

export interface Chrome {
  readonly screenHost: HTMLElement;
  /** `cornerActive`: the hidden maintenance corner exists only on the bare product grid. */
  update(model: Model, cornerActive: boolean): void;
}

export function createChrome(root: HTMLElement, onCornerTap: () => void): Chrome {
  const demo = h(
    'div',
    { class: 'banner banner-demo', 'data-testid': 'demo-banner', role: 'status', hidden: true },
    bi('演示模式 — 不收真钱', 'DEMO MODE — no real money'),
  );
  const offline = h(
    'div',
    { class: 'banner banner-offline', 'data-testid': 'offline-notice', role: 'alert', hidden: true },
    bi('售货机离线，暂停销售', 'Machine offline — products unavailable'),
  );
  const connection = h(
    'div',
    { class: 'banner banner-connection', 'data-testid': 'connection-notice', role: 'status', hidden: true },
    bi('正在连接…', 'Connecting…'),
  );
  const corner = h('button', {
    class: 'maintenance-corner',
    type: 'button',
    'data-testid': 'maintenance-corner',
    'aria-hidden': 'true',
    tabindex: '-1',
  });
  corner.addEventListener('click', onCornerTap);
  const screenHost = h('div', { class: 'screen-host' });
  root.replaceChildren(demo, offline, connection, screenHost, corner);

  return {
    screenHost,
    update(model: Model, cornerActive: boolean) {
      corner.hidden = !cornerActive;
      demo.hidden = model.info?.demo !== true;
      offline.hidden = model.info?.dispenserLink !== 'down';
      connection.hidden = model.connection === 'connected';
    },
  };
}
