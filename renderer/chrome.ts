// What stays on every screen: a top bar with the demo banner, the offline and reconnecting notices and the
// language switch, and the hidden maintenance corner.
import { bi, h } from './dom.ts';
import type { Model } from './model.ts';

export interface Chrome {
  readonly screenHost: HTMLElement;
  /** `cornerActive`: the hidden maintenance corner exists only where no customer is being served. */
  update(model: Model, options: { cornerActive: boolean; languageSwitch: boolean }): void;
}

export function createChrome(
  root: HTMLElement,
  onCornerTap: () => void,
  onLanguageSwitch: () => void,
): Chrome {
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
  // The switch names the language it switches to, in that language, so a visitor finds it.
  const language = h('button', {
    class: 'btn lang-switch',
    type: 'button',
    'data-testid': 'lang-switch',
  });
  language.addEventListener('click', onLanguageSwitch);
  const corner = h('button', {
    class: 'maintenance-corner',
    type: 'button',
    'data-testid': 'maintenance-corner',
    'aria-hidden': 'true',
    tabindex: '-1',
  });
  corner.addEventListener('click', onCornerTap);
  const banners = h('div', { class: 'banners' }, demo, offline, connection);
  const topbar = h('div', { class: 'topbar' }, banners, language);
  const screenHost = h('div', { class: 'screen-host' });
  root.replaceChildren(topbar, screenHost, corner);

  return {
    screenHost,
    update(model, options) {
      corner.hidden = !options.cornerActive;
      demo.hidden = model.info?.demo !== true;
      offline.hidden = model.info?.dispenserLink !== 'down';
      connection.hidden = model.connection === 'connected';
      language.hidden = !options.languageSwitch;
      const english = model.lang === 'en';
      language.setAttribute('lang', english ? 'zh-CN' : 'en');
      language.textContent = english ? '中文' : 'English';
      topbar.hidden = demo.hidden && offline.hidden && connection.hidden && language.hidden;
    },
  };
}
