// The agent's answers to the UI channels of contract.ts.
import type { Dispenser } from '../dispenser/dispenser.ts';
import type { MaintenanceService, MaintenanceSessions } from '../maintenance/index.ts';
import { CheckoutError, type SaleService } from '../sale/index.ts';
import type { OrderRow, Store } from '../store/index.ts';
import type { KioskInfo, ProductView, SaleView, SupportContact } from './contract.ts';
import { RpcFailure, type RpcHandlers } from './dispatcher.ts';
import { createMaintenanceHandlers } from './maintenance-handlers.ts';
import { toSaleView } from './sale-view.ts';

export interface RpcHandlerDeps {
  readonly kioskId: string;
  readonly demo: boolean;
  readonly store: Store;
  readonly sales: SaleService;
  readonly dispenser: Dispenser;
  readonly maintenance: MaintenanceService;
  readonly sessions: MaintenanceSessions | null;
  readonly support?: SupportContact;
  /** productId → picture (data: URL). */
  readonly images?: ReadonlyMap<string, string>;
  readonly version?: string;
}

export function createRpcHandlers(deps: RpcHandlerDeps): RpcHandlers {
  const view = (order: OrderRow): SaleView =>
    toSaleView(order, deps.store.refunds.forOrder(order.outTradeNo));
  return {
    'kiosk.info': async () => describeKiosk(deps),
    'catalog.list': async () => ({ products: listProducts(deps) }),
    'sale.checkout': async ({ items }) => {
      try {
        return view(await deps.sales.checkout(items));
      } catch (err) {
        if (err instanceof CheckoutError) throw new RpcFailure(err.code, err.message);
        if (isStorageFull(err)) {
          // Nothing was committed, so nothing was shown to pay: the customer can walk away unharmed.
          throw new RpcFailure(
            'unavailable',
            "the kiosk's storage is full; sales are paused until a technician frees space",
          );
        }
        throw err;
      }
    },
    'sale.current': async () => {
      const order = deps.sales.current();
      return order ? view(order) : null;
    },
    'sale.cancel': async ({ outTradeNo }) => {
      if (!deps.store.orders.get(outTradeNo)) throw new RpcFailure('bad_request', `no order ${outTradeNo}`);
      return view(await deps.sales.cancel(outTradeNo));
    },
    ...createMaintenanceHandlers(deps),
  };
}

export function describeKiosk(
  deps: Pick<RpcHandlerDeps, 'kioskId' | 'demo' | 'dispenser' | 'support' | 'version'>,
): KioskInfo {
  return {
    kioskId: deps.kioskId,
    demo: deps.demo,
    dispenserLink: deps.dispenser.linkState,
    support: deps.support ?? { phone: null, text: null },
    version: deps.version ?? '',
  };
}

export function listProducts(deps: Pick<RpcHandlerDeps, 'store' | 'dispenser' | 'images'>): ProductView[] {
  const online = deps.dispenser.linkState === 'up';
  return deps.store.lanes.list().map((l) => ({
    lane: l.lane,
    productId: l.productId,
    name: l.name,
    priceFen: l.priceFen,
    stock: l.stock,
    available: online && l.enabled && l.stock > 0,
    image: deps.images?.get(l.productId) ?? null,
  }));
}

export { toSaleView };

/** SQLite could not write: the disk (or the database's size limit) is full. */
function isStorageFull(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'SQLITE_FULL' || code === 'SQLITE_IOERR_WRITE' || code === 'SQLITE_IOERR_FSYNC';
}
