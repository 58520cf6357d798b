// The product grid and the cart panel: what a customer sees when nobody is paying.
import type { ProductView } from '../../app/rpc/contract.ts';
import { cartLines, cartTotalFen } from '../cart.ts';
import { bi, h } from '../dom.ts';
import { isSellable, type Actions, type Model } from '../model.ts';
import { formatFen } from '../money.ts';
import type { ScreenView } from './screen.ts';

/**
 * The product's picture, or — without one, or when it does not decode — a plain tile with the name's first
 * character, so a missing file never leaves a broken-image icon. Decorative: the name is in the tile as text.
 */
function productPicture(product: ProductView): HTMLElement {
  const fallback = (): HTMLElement =>
    h(
      'span',
      { class: 'tile-picture tile-picture-fallback', 'data-testid': `picture-fallback-${product.lane}` },
      Array.from(product.name)[0] ?? '?',
    );
  if (product.image === null) return fallback();
  const img = h('img', {
    class: 'tile-picture',
    src: product.image,
    alt: '',
    'data-testid': `picture-${product.lane}`,
  });
  img.addEventListener('error', () => img.replaceWith(fallback()), { once: true });
  return img;
}

function productTile(
  product: ProductView,
  sellable: boolean,
  inCart: number,
  actions: Actions,
): HTMLButtonElement {
  const tile = h(
    'button',
    {
      class: sellable ? 'tile' : 'tile unavailable',
      type: 'button',
      'data-testid': `product-${product.lane}`,
      disabled: !sellable,
      'aria-disabled': sellable ? 'false' : 'true',
    },
    h('span', { class: 'tile-lane' }, String(product.lane)),
    productPicture(product),
    h('span', { class: 'tile-name' }, product.name),
    h('span', { class: 'tile-price', 'data-testid': `price-${product.lane}` }, formatFen(product.priceFen)),
  );
  // "Sold out" only when the lane is empty; a lane that cannot sell for another reason says so.
  if (product.stock === 0) tile.append(h('span', { class: 'tile-badge' }, bi('售罄', 'Sold out')));
  else if (!sellable) tile.append(h('span', { class: 'tile-badge' }, bi('暂停', 'Unavailable')));
  if (inCart > 0)
    tile.append(h('span', { class: 'tile-count', 'data-testid': `in-cart-${product.lane}` }, `×${inCart}`));
  tile.addEventListener('click', () => actions.addToCart(product.lane));
  return tile;
}

export function createIdleScreen(actions: Actions): ScreenView {
  const grid = h('div', { class: 'grid', 'data-testid': 'product-grid' });
  const lines = h('ul', { class: 'cart-lines', 'data-testid': 'cart' });
  const total = h('span', { class: 'cart-total-amount', 'data-testid': 'cart-total' });
  const notice = h('p', { class: 'cart-notice', 'data-testid': 'cart-notice', role: 'alert' });
  const checkout = h(
    'button',
    { class: 'btn primary', type: 'button', 'data-testid': 'checkout' },
    bi('扫码支付', 'Scan to pay'),
  );
  const clear = h('button', { class: 'btn', type: 'button', 'data-testid': 'clear' }, bi('清空', 'Clear'));
  checkout.addEventListener('click', () => actions.checkout());
  clear.addEventListener('click', () => actions.clearCart());

  const element = h(
    'section',
    { class: 'screen screen-idle' },
    h('div', { class: 'catalog' }, h('h1', {}, bi('请选择商品', 'Choose your item')), grid),
    h(
      'aside',
      { class: 'cart-panel' },
      h('h2', {}, bi('购物车', 'Cart')),
      lines,
      h('div', { class: 'cart-total' }, bi('合计', 'Total'), total),
      notice,
      h('div', { class: 'cart-actions' }, clear, checkout),
    ),
  );

  // Rebuild only what changed, so a tile is not replaced under a finger for an unrelated update.
  let gridKey = '';
  let cartKey = '';
  return {
    element,
    update(model: Model) {
      const nextGridKey = JSON.stringify([
        model.products,
        model.info?.dispenserLink,
        model.connection,
        [...model.cart],
      ]);
      if (nextGridKey !== gridKey) {
        gridKey = nextGridKey;
        grid.replaceChildren(
          ...model.products.map((p) =>
            productTile(p, isSellable(model, p), model.cart.get(p.lane) ?? 0, actions),
          ),
        );
      }
      const cl = cartLines(model.cart, model.products);
      const nextCartKey = JSON.stringify([
        [...model.cart],
        model.products.length,
        model.checkoutPending,
        model.connection,
      ]);
      if (nextCartKey !== cartKey) {
        cartKey = nextCartKey;
        if (cl.length === 0) {
          lines.replaceChildren(h('li', { class: 'cart-empty' }, bi('购物车是空的', 'Your cart is empty')));
        } else {
          lines.replaceChildren(
            ...cl.map((line) => {
              const minus = h(
                'button',
                {
                  class: 'btn small',
                  type: 'button',
                  'data-testid': `remove-${line.product.lane}`,
                  'aria-label': `减少一件 ${line.product.name} / remove one`,
                },
                '−',
              );
              minus.addEventListener('click', () => actions.removeFromCart(line.product.lane));
              return h(
                'li',
                { class: 'cart-line', 'data-testid': `cart-line-${line.product.lane}` },
                h('span', { class: 'cart-line-name' }, line.product.name),
                h('span', { class: 'cart-line-qty' }, `×${line.quantity}`),
                h('span', { class: 'cart-line-amount' }, formatFen(line.subtotalFen)),
                minus,
              );
            }),
          );
        }
        total.textContent = formatFen(cartTotalFen(cl));
        checkout.disabled = cl.length === 0 || model.checkoutPending || model.connection !== 'connected';
        clear.disabled = cl.length === 0 || model.checkoutPending;
      }
      notice.replaceChildren(...(model.notice === null ? [] : [bi(model.notice.zh, model.notice.en)]));
    },
    dispose() {},
  };
}
