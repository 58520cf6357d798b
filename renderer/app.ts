// The controller: owns the model, turns agent pushes and customer taps into model changes, and shows the
// screen the model calls for on `<main id="app" data-screen=…>`.
import type { SaleState, SaleView } from '../app/rpc/contract.ts';
import { addToCart, checkoutItems, EMPTY_CART, pruneCart, removeOneFromCart, type Cart } from './cart.ts';
import { createChrome, type Chrome } from './chrome.ts';
import {
  createTapCounter,
  MAX_PIN_LENGTH,
  MIN_PIN_LENGTH,
  PIN_PAD_IDLE_MS,
  requestMaintenanceUnlock,
  type MaintenanceUnlockResult,
} from './maintenance.ts';
import { MaintenanceController, type MaintenanceEnd } from './maintenance-controller.ts';
import { isSellable, type Actions, type BilingualText, type Model } from './model.ts';
import type { RpcClient } from './rpc-client.ts';
import {
  CLOSING_SCREEN_MS,
  isActiveSale,
  screenForSaleState,
  shouldShowSale,
  type ScreenName,
} from './sale-screens.ts';
import { createDispensingScreen } from './screens/dispensing.ts';
import {
  createDoneScreen,
  createErrorScreen,
  createExpiredScreen,
  createRefundScreen,
} from './screens/closing.ts';
import { createIdleScreen } from './screens/idle.ts';
import { createPaymentScreen } from './screens/payment.ts';
import { createMaintenanceScreen } from './screens/maintenance.ts';
import { createPinScreen } from './screens/pin.ts';
import type { ScreenView } from './screens/screen.ts';
import { createAttractScreen, createOutOfServiceScreen } from './screens/unavailable.ts';
import { createLoadingScreen, createLockedScreen } from './screens/status.ts';
import { toRpcCallError } from './transport.ts';

/** A cart nobody touched for this long is emptied, so the next customer starts clean. */
export const CART_IDLE_MS = 60_000;
/** The product grid left untouched (empty cart) this long gives way to the attract screen. */
export const ATTRACT_IDLE_MS = 90_000;
const NOTICE_MS = 8_000;
const REFRESH_RETRY_MS = 2_000;

const UNLOCK_MESSAGES: Record<Exclude<MaintenanceUnlockResult, { ok: true }>['reason'], BilingualText> = {
  wrong_pin: { zh: '密码错误', en: 'Wrong PIN' },
  locked_out: { zh: '尝试次数过多，请稍后再试', en: 'Too many attempts — try again later' },
  not_available: { zh: '维护功能暂不可用', en: 'Maintenance is not available' },
  failed: { zh: '无法验证密码，请重试', en: 'Could not check the PIN — try again' },
};
const SESSION_ENDED: BilingualText = {
  zh: '维护会话已结束，请重新输入密码',
  en: 'Session ended — enter the PIN again',
};

function screenFactory(name: ScreenName, actions: Actions): ScreenView {
  switch (name) {
    case 'loading':
      return createLoadingScreen();
    case 'locked':
      return createLockedScreen();
    case 'idle':
      return createIdleScreen(actions);
    case 'attract':
      return createAttractScreen(actions);
    case 'out-of-service':
      return createOutOfServiceScreen();
    case 'pin':
      return createPinScreen(actions);
    case 'maintenance':
      return createMaintenanceScreen(actions);
    case 'payment':
      return createPaymentScreen(actions);
    case 'dispensing':
      return createDispensingScreen();
    case 'done':
      return createDoneScreen(actions);
    case 'refund':
      return createRefundScreen(actions);
    case 'expired':
      return createExpiredScreen(actions);
    case 'error':
      return createErrorScreen(actions);
  }
}

export class KioskApp {
  private model: Model = {
    connection: 'connecting',
    lang: 'zh',
    attract: false,
    info: null,
    products: [],
    cart: EMPTY_CART,
    sale: null,
    checkoutPending: false,
    cancelPending: false,
    notice: null,
    pin: null,
    maintenance: null,
  };
  /** Sales whose closing screen was shown and left, with the state they were left in (sale-screens.ts). */
  private readonly dismissed = new Map<string, SaleState>();
  /** Sales the customer cancelled: their `expired`/`failed` end goes straight back to the grid. */
  private readonly cancelledByCustomer = new Set<string>();
  private readonly chrome: Chrome;
  private shown: { name: ScreenName; view: ScreenView } | null = null;
  private closing: { key: string; timer: ReturnType<typeof setTimeout> } | null = null;
  private cartTimer: ReturnType<typeof setTimeout> | null = null;
  private noticeTimer: ReturnType<typeof setTimeout> | null = null;
  private pinTimer: ReturnType<typeof setTimeout> | null = null;
  private attractTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly cornerTaps = createTapCounter();
  private readonly maintenance: MaintenanceController;
  private refreshSeq = 0;
  private readonly actions: Actions;

  constructor(
    private readonly root: HTMLElement,
    private readonly client: RpcClient,
  ) {
    this.chrome = createChrome(
      root,
      () => this.cornerTap(),
      () => this.set({ lang: this.model.lang === 'zh' ? 'en' : 'zh' }),
    );
    // Any touch counts as someone at the kiosk: the attract screen waits again.
    root.addEventListener('pointerdown', () => this.restartAttractTimer(), { capture: true });
    this.maintenance = new MaintenanceController(client, {
      show: (maintenance) => this.set({ maintenance }),
      ended: (reason) => this.maintenanceEnded(reason),
    });
    this.actions = {
      addToCart: (lane) => this.addToCart(lane),
      removeFromCart: (lane) => this.setCart(removeOneFromCart(this.model.cart, lane)),
      clearCart: () => this.setCart(EMPTY_CART),
      checkout: () => void this.checkout(),
      cancelPayment: () => void this.cancelPayment(),
      wake: () => this.set({ attract: false }),
      backToIdle: () => {
        if (this.model.sale !== null && !isActiveSale(this.model.sale))
          this.dismiss(this.model.sale.outTradeNo);
      },
      pinDigit: (digit) => this.pinDigit(digit),
      pinBackspace: () =>
        this.updatePin((pin) => ({ ...pin, digits: pin.digits.slice(0, -1), message: null })),
      pinSubmit: () => void this.pinSubmit(),
      pinClose: () => this.closePin(),
      maintenanceTouched: () => this.maintenance.touch(),
      maintenanceSetStock: (lane, stock) => void this.maintenance.setStock(lane, stock),
      maintenanceSetPrice: (lane, priceFen) => void this.maintenance.setPrice(lane, priceFen),
      maintenanceToggleLane: (lane) => void this.maintenance.toggleLane(lane),
      maintenanceTestVend: (lane) => void this.maintenance.testVend(lane),
      maintenanceCheckLane: (lane) => void this.maintenance.checkLane(lane),
      maintenanceRefresh: () => void this.maintenance.refresh(),
      maintenanceLock: () => void this.maintenance.lock(),
    };
  }

  start(): void {
    this.render();
    this.client.onStatus((connection) => {
      this.set({ connection });
      if (connection === 'connected') void this.refresh();
    });
    this.client.on('sale.updated', (sale) => this.showSale(sale));
    this.client.on('kiosk.updated', (info) => {
      this.set({ info });
      void this.refreshCatalog();
    });
  }

  // ---- model plumbing ----

  private set(patch: Partial<Model>): void {
    this.model = { ...this.model, ...patch };
    this.render();
  }

  private screenName(): ScreenName {
    const { info, sale, pin, maintenance } = this.model;
    // The technician is at the machine: the maintenance screen stays until it is locked.
    if (maintenance !== null) return 'maintenance';
    if (sale !== null) return screenForSaleState(sale.state);
    if (info === null) return 'loading';
    if (pin !== null) return 'pin';
    if (this.outOfService()) return 'out-of-service';
    if (this.model.attract) return 'attract';
    return 'idle';
  }

  /** No customer can buy anything: the board is offline, or no lane can sell (all empty or disabled). */
  private outOfService(): boolean {
    const { info, products } = this.model;
    return info?.dispenserLink === 'down' || (products.length > 0 && !products.some((p) => p.available));
  }

  private render(): void {
    const name = this.screenName();
    if (this.shown?.name !== name) {
      this.shown?.view.dispose();
      const view = screenFactory(name, this.actions);
      this.shown = { name, view };
      this.chrome.screenHost.replaceChildren(view.element);
      this.root.dataset.screen = name;
    }
    this.shown.view.update(this.model);
    this.root.dataset.lang = this.model.lang;
    document.documentElement.lang = this.model.lang === 'en' ? 'en' : 'zh-CN';
    this.chrome.update(this.model, {
      cornerActive: name === 'idle' || name === 'out-of-service',
      languageSwitch: !['maintenance', 'pin', 'loading', 'locked'].includes(name),
    });
    this.armClosingTimer(name);
    this.armAttractTimer(name);
  }

  /** The attract screen comes after ATTRACT_IDLE_MS on an untouched grid with an empty cart. */
  private armAttractTimer(name: ScreenName): void {
    const waiting = name === 'idle' && this.model.cart.size === 0;
    if (!waiting && this.attractTimer !== null) {
      clearTimeout(this.attractTimer);
      this.attractTimer = null;
    }
    if (waiting && this.attractTimer === null) {
      this.attractTimer = setTimeout(() => {
        this.attractTimer = null;
        if (this.screenName() === 'idle' && this.model.cart.size === 0)
          this.set({ attract: true, lang: 'zh' });
      }, ATTRACT_IDLE_MS);
    }
  }

  private restartAttractTimer(): void {
    if (this.attractTimer === null) return;
    clearTimeout(this.attractTimer);
    this.attractTimer = null;
    this.armAttractTimer(this.screenName());
  }

  /** Closing screens return to the grid by themselves; refund_pending → refunded keeps the same timer. */
  private armClosingTimer(name: ScreenName): void {
    const sale = this.model.sale;
    const delay = CLOSING_SCREEN_MS[name];
    const key = sale !== null && delay !== undefined ? `${sale.outTradeNo}:${name}` : null;
    if (key === (this.closing?.key ?? null)) return;
    if (this.closing !== null) clearTimeout(this.closing.timer);
    this.closing = null;
    if (key !== null && sale !== null && delay !== undefined) {
      const outTradeNo = sale.outTradeNo;
      this.closing = { key, timer: setTimeout(() => this.dismiss(outTradeNo), delay) };
    }
  }

  private dismiss(outTradeNo: string): void {
    const sale = this.model.sale;
    this.dismissed.set(outTradeNo, sale?.outTradeNo === outTradeNo ? sale.state : 'completed');
    // The sale is over: the next customer starts in the default language.
    if (sale?.outTradeNo === outTradeNo) this.set({ sale: null, lang: 'zh' });
    void this.refreshCatalog(); // stock changed
  }

  // ---- agent data ----

  private async refresh(): Promise<void> {
    const seq = ++this.refreshSeq;
    try {
      const [info, catalog, current] = await Promise.all([
        this.client.invoke('kiosk.info', {}),
        this.client.invoke('catalog.list', {}),
        this.client.invoke('sale.current', {}),
      ]);
      if (seq !== this.refreshSeq) return;
      this.set({ info, products: catalog.products, cart: pruneCart(this.model.cart, catalog.products) });
      if (current !== null) this.showSale(current);
      else if (this.model.sale !== null && isActiveSale(this.model.sale)) this.set({ sale: null });
    } catch {
      // Lost the link mid-way: the next `connected` refreshes again. Still connected: the agent had a
      // transient error, so try again shortly.
      setTimeout(() => {
        if (seq === this.refreshSeq && this.model.connection === 'connected') void this.refresh();
      }, REFRESH_RETRY_MS);
    }
  }

  private async refreshCatalog(): Promise<void> {
    try {
      const catalog = await this.client.invoke('catalog.list', {});
      this.set({ products: catalog.products, cart: pruneCart(this.model.cart, catalog.products) });
    } catch {
      // Shown data stays; the next reconnect or sale end reloads it.
    }
  }

  private showSale(sale: SaleView): void {
    if (!shouldShowSale(this.model.sale, sale, this.dismissed)) return;
    if (
      this.cancelledByCustomer.has(sale.outTradeNo) &&
      (sale.state === 'expired' || sale.state === 'failed')
    ) {
      this.dismissed.set(sale.outTradeNo, sale.state);
      if (this.model.sale?.outTradeNo === sale.outTradeNo) this.set({ sale: null });
      return;
    }
    const paidFor = !['created', 'awaiting_payment', 'expired', 'failed'].includes(sale.state);
    this.set({ sale, pin: null, notice: null, attract: false, cart: paidFor ? EMPTY_CART : this.model.cart });
  }

  // ---- customer actions ----

  private addToCart(lane: number): void {
    const product = this.model.products.find((p) => p.lane === lane);
    if (product === undefined) return;
    const next = addToCart(this.model.cart, product, isSellable(this.model, product));
    if (next === null) {
      this.showNotice({ zh: '无法再添加此商品', en: 'This item cannot be added' });
      return;
    }
    this.setCart(next);
  }

  private setCart(cart: Cart): void {
    if (this.cartTimer !== null) clearTimeout(this.cartTimer);
    this.cartTimer = null;
    if (cart.size > 0) this.cartTimer = setTimeout(() => this.cartIdle(), CART_IDLE_MS);
    this.set({ cart, notice: null });
  }

  private cartIdle(): void {
    this.cartTimer = null;
    // Mid-payment the cart is the sale's: look again later instead of pulling it away.
    if (this.model.sale !== null) this.cartTimer = setTimeout(() => this.cartIdle(), CART_IDLE_MS);
    else this.set({ cart: EMPTY_CART, lang: 'zh' });
  }

  private showNotice(notice: BilingualText): void {
    if (this.noticeTimer !== null) clearTimeout(this.noticeTimer);
    this.noticeTimer = setTimeout(() => this.set({ notice: null }), NOTICE_MS);
    this.set({ notice });
  }

  private async checkout(): Promise<void> {
    const { cart, checkoutPending, sale } = this.model;
    if (checkoutPending || cart.size === 0 || sale !== null) return;
    this.set({ checkoutPending: true, notice: null });
    try {
      const created = await this.client.invoke('sale.checkout', { items: checkoutItems(cart) });
      this.set({ checkoutPending: false });
      this.showSale(created);
    } catch (reason) {
      const error = toRpcCallError(reason);
      this.set({ checkoutPending: false });
      this.showNotice(
        error.code === 'unavailable'
          ? { zh: '暂时无法下单，请稍后再试', en: 'Cannot start a payment right now — please try again' }
          : { zh: '下单失败，请重试', en: 'Could not start the payment — please try again' },
      );
      // The cart may no longer match the machine (stock, a sale already running): reload what is true.
      if (this.model.connection === 'connected') void this.refresh();
    }
  }

  private async cancelPayment(): Promise<void> {
    const sale = this.model.sale;
    if (sale === null || this.model.cancelPending || !['created', 'awaiting_payment'].includes(sale.state))
      return;
    this.cancelledByCustomer.add(sale.outTradeNo);
    this.set({ cancelPending: true });
    try {
      this.showSale(await this.client.invoke('sale.cancel', { outTradeNo: sale.outTradeNo }));
    } catch {
      // The sale keeps its own course (a payment may have raced the cancel); its pushes drive the screen.
    } finally {
      this.set({ cancelPending: false });
    }
  }

  // ---- technician entry ----

  private cornerTap(): void {
    // Only on the bare product grid: never over a customer's payment, dispensing or closing screen.
    const name = this.screenName();
    if (
      (name !== 'idle' && name !== 'out-of-service') ||
      this.model.sale !== null ||
      this.model.checkoutPending
    ) {
      this.cornerTaps.reset();
      return;
    }
    if (!this.cornerTaps.tap(Date.now())) return;
    this.set({ pin: { digits: '', busy: false, message: null } });
    this.armPinTimer();
  }

  private armPinTimer(): void {
    if (this.pinTimer !== null) clearTimeout(this.pinTimer);
    this.pinTimer = setTimeout(() => this.closePin(), PIN_PAD_IDLE_MS);
  }

  private closePin(): void {
    if (this.pinTimer !== null) clearTimeout(this.pinTimer);
    this.pinTimer = null;
    this.set({ pin: null });
  }

  private updatePin(change: (pin: NonNullable<Model['pin']>) => NonNullable<Model['pin']>): void {
    if (this.model.pin === null || this.model.pin.busy) return;
    this.armPinTimer();
    this.set({ pin: change(this.model.pin) });
  }

  private pinDigit(digit: string): void {
    if (!/^[0-9]$/.test(digit)) return;
    this.updatePin((pin) =>
      pin.digits.length >= MAX_PIN_LENGTH ? pin : { ...pin, digits: pin.digits + digit, message: null },
    );
  }

  private async pinSubmit(): Promise<void> {
    const pin = this.model.pin;
    if (pin === null || pin.busy || pin.digits.length < MIN_PIN_LENGTH) return;
    this.armPinTimer();
    this.set({ pin: { digits: '', busy: true, message: null } });
    let result: MaintenanceUnlockResult;
    try {
      result = await requestMaintenanceUnlock(this.client, pin.digits);
    } catch {
      result = { ok: false, reason: 'not_available', retryAt: null };
    }
    if (this.model.pin === null || this.model.sale !== null) {
      // Closed meanwhile (timeout, or a sale took the screen): do not leave a session open behind it.
      if (result.ok) void this.client.invoke('maintenance.lock', { token: result.token }).catch(() => {});
      return;
    }
    if (result.ok) {
      this.closePin();
      this.maintenance.open(result.token);
    } else {
      const message =
        result.reason === 'locked_out' && result.retryAt !== null
          ? lockedOutMessage(result.retryAt - Date.now())
          : UNLOCK_MESSAGES[result.reason];
      this.set({ pin: { digits: '', busy: false, message } });
    }
  }

  private maintenanceEnded(reason: MaintenanceEnd): void {
    if (reason === 'unauthorized') {
      this.set({ maintenance: null, pin: { digits: '', busy: false, message: SESSION_ENDED } });
      this.armPinTimer();
    } else {
      this.set({ maintenance: null });
    }
    void this.refreshCatalog(); // stock and enabled lanes may have changed
  }
}

/** "Too many attempts — try again in 5 min": whole minutes, rounded up, never less than one. */
export function lockedOutMessage(msLeft: number): BilingualText {
  const minutes = Math.max(1, Math.ceil(msLeft / 60_000));
  return {
    zh: `尝试次数过多，请 ${minutes} 分钟后再试`,
    en: `Too many attempts — try again in ${minutes} min`,
  };
}

/** Without a token the page shows nothing from the agent and opens no connection. */
export function showLocked(root: HTMLElement): void {
  root.dataset.screen = 'locked';
  root.replaceChildren(createLockedScreen().element);
}
