// The customer's cart before checkout: lane → quantity. Pure functions so the rules are easy to test.
// Limits mirror the `sale.checkout` request schema: at most 10 lines, 1..10 of each.
import type { ProductView } from '../app/rpc/contract.ts';

export const MAX_CART_LINES = 10;
export const MAX_LINE_QUANTITY = 10;

export type Cart = ReadonlyMap<number, number>;
export const EMPTY_CART: Cart = new Map();

export interface CartLine {
  readonly product: ProductView;
  readonly quantity: number;
  readonly subtotalFen: number;
}

/** The cart with one more of `product`, or null when it cannot be added (unavailable, out of stock, limits). */
export function addToCart(cart: Cart, product: ProductView, sellable: boolean): Cart | null {
  if (!sellable || !product.available) return null;
  const current = cart.get(product.lane) ?? 0;
  if (current === 0 && cart.size >= MAX_CART_LINES) return null;
  if (current + 1 > Math.min(product.stock, MAX_LINE_QUANTITY)) return null;
  const next = new Map(cart);
  next.set(product.lane, current + 1);
  return next;
}

export function removeOneFromCart(cart: Cart, lane: number): Cart {
  const current = cart.get(lane);
  if (current === undefined) return cart;
  const next = new Map(cart);
  if (current <= 1) next.delete(lane);
  else next.set(lane, current - 1);
  return next;
}

/** Drops lanes that vanished or became unavailable and trims quantities to the stock left. */
export function pruneCart(cart: Cart, products: readonly ProductView[]): Cart {
  const byLane = new Map(products.map((p) => [p.lane, p]));
  const next = new Map<number, number>();
  for (const [lane, quantity] of cart) {
    const product = byLane.get(lane);
    if (product === undefined || !product.available) continue;
    const allowed = Math.min(quantity, product.stock, MAX_LINE_QUANTITY);
    if (allowed > 0) next.set(lane, allowed);
  }
  return next.size === cart.size && [...next].every(([lane, q]) => cart.get(lane) === q) ? cart : next;
}

export function cartLines(cart: Cart, products: readonly ProductView[]): CartLine[] {
  const byLane = new Map(products.map((p) => [p.lane, p]));
  const lines: CartLine[] = [];
  for (const [lane, quantity] of cart) {
    const product = byLane.get(lane);
    if (product !== undefined) lines.push({ product, quantity, subtotalFen: product.priceFen * quantity });
  }
  return lines;
}

export function cartTotalFen(lines: readonly CartLine[]): number {
  return lines.reduce((sum, line) => sum + line.subtotalFen, 0);
}

export function cartCount(cart: Cart): number {
  let count = 0;
  for (const quantity of cart.values()) count += quantity;
  return count;
}

/** The `sale.checkout` items for this cart. */
export function checkoutItems(cart: Cart): { lane: number; quantity: number }[] {
  return [...cart].map(([lane, quantity]) => ({ lane, quantity }));
}
