// Answers to the maintenance channels. Every call but unlock must carry the live session's token.
import { MaintenanceError, type MaintenanceService, type MaintenanceSessions } from '../maintenance/index.ts';
import { vendOutcomeDetail } from '../dispenser/vend-outcome.ts';
import type { LaneRow } from '../store/index.ts';
import type { LaneView } from './contract.ts';
import { RpcFailure, type RpcHandlers } from './dispatcher.ts';

type MaintenanceChannel = Extract<keyof RpcHandlers, `maintenance.${string}`>;

export interface MaintenanceHandlerDeps {
  readonly maintenance: MaintenanceService;
  /** null when no maintenance PIN is configured: the maintenance screen stays closed. */
  readonly sessions: MaintenanceSessions | null;
}

export function createMaintenanceHandlers(
  deps: MaintenanceHandlerDeps,
): Pick<RpcHandlers, MaintenanceChannel> {
  const sessions = (): MaintenanceSessions => {
    if (!deps.sessions) throw new RpcFailure('unavailable', 'no maintenance PIN is configured on this kiosk');
    return deps.sessions;
  };
  const authorised = <T>(token: string, work: () => Promise<T> | T): Promise<T> => {
    if (!sessions().touch(token)) {
      return Promise.reject(
        new RpcFailure('unauthorized', 'the maintenance session has ended; enter the PIN again'),
      );
    }
    return Promise.resolve()
      .then(work)
      .catch((err: unknown) => {
        if (err instanceof MaintenanceError) throw new RpcFailure(err.code, err.message);
        throw err;
      });
  };
  const m = deps.maintenance;
  return {
    'maintenance.unlock': async ({ pin }) => {
      const result = sessions().unlock(pin);
      if (result.ok) return { unlocked: true as const, token: result.token, expiresAt: result.expiresAt };
      return { unlocked: false as const, reason: result.reason, retryAt: result.retryAt ?? null };
    },
    'maintenance.lock': async ({ token }) =>
      authorised(token, () => {
        sessions().lock();
        return { locked: true as const };
      }),
    'maintenance.overview': async ({ token }) =>
      authorised(token, async () => {
        const o = await m.overview();
        return {
          dispenserLink: o.dispenserLink,
          lanes: o.lanes.map(toLaneView),
          machine: o.machine,
          openRefunds: o.openRefunds.map((r) => ({
            outTradeNo: r.outTradeNo,
            outRequestNo: r.outRequestNo,
            amountFen: r.amountFen,
            state: r.state,
            lastError: r.lastError,
          })),
          log: [...o.log],
          toCheck: [...o.toCheck],
          links: o.links,
          sales: {
            todayFen: o.sales.today.fen,
            todayOrders: o.sales.today.orders,
            weekFen: o.sales.weekFen,
            weekOrders: o.sales.weekOrders,
            days: [...o.sales.week],
          },
          recentLog: [...o.recentLog],
        };
      }),
    'maintenance.laneStatus': async ({ token, lane }) => authorised(token, () => m.laneStatus(lane)),
    'maintenance.testVend': async ({ token, lane }) =>
      authorised(token, async () => {
        const outcome = await m.testVend(lane);
        return { outcome: outcome.kind, detail: vendOutcomeDetail(outcome) };
      }),
    'maintenance.setStock': async ({ token, lane, stock }) =>
      authorised(token, async () => toLaneView(await m.setStock(lane, stock))),
    'maintenance.setPrice': async ({ token, lane, priceFen }) =>
      authorised(token, () => toLaneView(m.setPrice(lane, priceFen))),
    'maintenance.setLaneEnabled': async ({ token, lane, enabled }) =>
      authorised(token, () => toLaneView(m.setEnabled(lane, enabled))),
  };
}

function toLaneView(l: LaneRow): LaneView {
  return {
    lane: l.lane,
    productId: l.productId,
    name: l.name,
    priceFen: l.priceFen,
    stock: l.stock,
    capacity: l.capacity,
    enabled: l.enabled,
  };
}
