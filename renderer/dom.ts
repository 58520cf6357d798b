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

/** A bilingual label: Chinese first (the customer's language), English under it. */
export function bi(zh: string, en: string): HTMLSpanElement {
  return h('span', { class: 'bi' }, h('span', { class: 'zh' }, zh), h('span', { class: 'en' }, en));
}

export function setHidden(el: HTMLElement, hidden: boolean): void {
  el.hidden = hidden;
}
