// Screens that show no data: starting up, and refusing to run without the agent's token.
import { bi, h } from '../dom.ts';
import { staticScreen, type ScreenView } from './screen.ts';

export function createLoadingScreen(): ScreenView {
  return staticScreen(
    h('section', { class: 'screen screen-loading' }, h('h1', {}, bi('正在启动…', 'Starting…'))),
  );
}

export function createLockedScreen(): ScreenView {
  return staticScreen(
    h(
      'section',
      { class: 'screen screen-locked', 'data-testid': 'locked' },
      h('h1', {}, bi('暂停服务', 'Out of service')),
      h('p', {}, bi('此页面须由售货机程序打开', 'This screen must be opened by the kiosk agent')),
    ),
  );
}
