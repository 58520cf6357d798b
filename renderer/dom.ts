// Tiny DOM builder. Text goes in as Text nodes (append of a string), never as HTML, so names and messages
// coming from the agent cannot inject markup.

export type Attrs = Readonly<Record<string, string | boolean | undefined>>;
export type Child = Node | string;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    el.setAttribute(name, value === true ? '' : value);
  }
  el.append(...children);
  return el;
}

/**
 * A bilingual label. Both languages are always in the page (each marked with its `lang`, for screen readers
 * and fonts); the customer's chosen language (`#app[data-lang]`, zh-CN by default) is shown first and large,
 * the other under it, smaller.
 */
export function bi(zh: string, en: string): HTMLSpanElement {
  return h(
    'span',
    { class: 'bi' },
    h('span', { class: 'zh', lang: 'zh-CN' }, zh),
    h('span', { class: 'en', lang: 'en' }, en),
  );
}

export function setHidden(el: HTMLElement, hidden: boolean): void {
  el.hidden = hidden;
}
