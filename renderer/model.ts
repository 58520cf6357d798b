// Everything the screens draw from, and the things a customer can do. Screens read a Model and call Actions;
// only the controller (app.ts) changes the model.
import type { KioskInfo, MaintenanceOverview, ProductView, SaleView } from '../app/rpc/contract.ts';
import type { Cart } from './cart.ts';
import type { ConnectionStatus } from './transport.ts';

export interface BilingualText {
  readonly zh: string;
  readonly en: string;
}

export interface PinPadState {
  /** Entered digits. Shown only as dots, never logged. */
  readonly digits: string;
  readonly busy: boolean;
  readonly message: BilingualText | null;
}

/** What the last test vend or check of a lane said, shown inline in its row. */
export interface LaneResult {
  readonly tone: 'busy' | 'ok' | 'bad';
  readonly text: string;
}

/** The technicians' maintenance screen. The session token is NOT here: it lives in the controller only. */
export interface MaintenanceState {
  /** Null until the first `maintenance.overview` answer. */
  readonly overview: MaintenanceOverview | null;
  /** Why the last call failed (other than an ended session), shown under the header. */
  readonly message: string | null;
  /** Lanes with a call in flight: their buttons are disabled. */
  readonly busyLanes: ReadonlySet<number>;
  readonly results: ReadonlyMap<number, LaneResult>;
}

/** The customer's language: zh-CN by default; English on request, until the sale ends. */
export type Language = 'zh' | 'en';

export interface Model {
  readonly connection: ConnectionStatus;
  readonly lang: Language;
  /** The attract screen is up (nobody touched the kiosk for a while). */
  readonly attract: boolean;
  /** Null until the first `kiosk.info` answer arrived. */
  readonly info: KioskInfo | null;
  readonly products: readonly ProductView[];
  readonly cart: Cart;
  /** The sale on screen; null on the product grid. */
  readonly sale: SaleView | null;
  readonly checkoutPending: boolean;
  readonly cancelPending: boolean;
  /** A short message on the product grid, e.g. why a checkout did not start. */
  readonly notice: BilingualText | null;
  /** Non-null while the technician PIN pad is open. */
  readonly pin: PinPadState | null;
  /** Non-null while a technician's maintenance session is open. */
  readonly maintenance: MaintenanceState | null;
}

export interface Actions {
  addToCart(lane: number): void;
  removeFromCart(lane: number): void;
  clearCart(): void;
  checkout(): void;
  cancelPayment(): void;
  /** Leave the attract screen for the product grid. */
  wake(): void;
  /** Leave a closing screen (done, refund, expired, error) before its timer does. */
  backToIdle(): void;
  pinDigit(digit: string): void;
  pinBackspace(): void;
  pinSubmit(): void;
  pinClose(): void;
  /** Any touch on the maintenance screen: keeps the session from locking itself. */
  maintenanceTouched(): void;
  maintenanceSetStock(lane: number, stock: number): void;
  /** A new price, in fen (the screen steps it by ¥0.10). */
  maintenanceSetPrice(lane: number, priceFen: number): void;
  maintenanceToggleLane(lane: number): void;
  maintenanceTestVend(lane: number): void;
  maintenanceCheckLane(lane: number): void;
  maintenanceRefresh(): void;
  maintenanceLock(): void;
}

/** A product can be put in the cart only when its lane sells, the board is reachable and the agent is. */
export function isSellable(model: Model, product: ProductView): boolean {
  return product.available && model.info?.dispenserLink === 'up' && model.connection === 'connected';
}
