import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ProductView } from '../../app/rpc/contract.ts';
import {
  addToCart,
  cartLines,
  cartTotalFen,
  checkoutItems,
  EMPTY_CART,
  MAX_CART_LINES,
  pruneCart,
  removeOneFromCart,
  type Cart,
} from '../../renderer/cart.ts';

const product = (lane: number, patch: Partial<ProductView> = {}): ProductView => ({
  lane,
  productId: `p${lane}`,
  name: `Item ${lane}`,
  priceFen: 100 * lane + 5,
  image: null,
  stock: 20,
  available: true,
  ...patch,
});

test('adding counts quantities per lane and the total is the sum in fen', () => {
  let cart: Cart = EMPTY_CART;
  cart = addToCart(cart, product(1), true)!;
  cart = addToCart(cart, product(1), true)!;
  cart = addToCart(cart, product(2), true)!;
  const products = [product(1), product(2)];
  assert.deepEqual(checkoutItems(cart), [
    { lane: 1, quantity: 2 },
    { lane: 2, quantity: 1 },
  ]);
  assert.equal(cartTotalFen(cartLines(cart, products)), 105 * 2 + 205);
});

test('unavailable, unsellable, out-of-stock and over-limit additions are refused and change nothing', () => {
  assert.equal(addToCart(EMPTY_CART, product(1, { available: false }), true), null);
  assert.equal(addToCart(EMPTY_CART, product(1), false), null);
  assert.equal(addToCart(EMPTY_CART, product(1, { stock: 0 }), true), null);
  let cart: Cart = EMPTY_CART;
  for (let i = 0; i < 10; i++) cart = addToCart(cart, product(1), true)!;
  assert.equal(addToCart(cart, product(1), true), null, 'at most 10 of one item (contract limit)');
  cart = EMPTY_CART;
  for (let lane = 1; lane <= MAX_CART_LINES; lane++) cart = addToCart(cart, product(lane), true)!;
  assert.equal(addToCart(cart, product(99), true), null, 'at most 10 lines (contract limit)');
  assert.equal(cart.size, MAX_CART_LINES);
});

test('removing takes one away and drops the line at zero', () => {
  let cart: Cart = addToCart(addToCart(EMPTY_CART, product(1), true)!, product(1), true)!;
  cart = removeOneFromCart(cart, 1);
  assert.equal(cart.get(1), 1);
  cart = removeOneFromCart(cart, 1);
  assert.equal(cart.size, 0);
  assert.equal(removeOneFromCart(cart, 7), cart);
});

test('a fresh catalog drops lanes that became unavailable and trims to the stock left', () => {
  const cart: Cart = new Map([
    [1, 3],
    [2, 2],
    [3, 1],
  ]);
  const pruned = pruneCart(cart, [product(1, { stock: 2 }), product(2, { available: false })]);
  assert.deepEqual([...pruned], [[1, 2]]);
  const unchanged = new Map([[1, 1]]);
  assert.equal(pruneCart(unchanged, [product(1)]), unchanged, 'same object when nothing changed');
});
