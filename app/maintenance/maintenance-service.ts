// What a technician can do on the maintenance screen: see lanes, stock, board and machine state and open
// refunds; count stock; switch lanes off and on; test-vend a lane. Every change is logged.
import type { Dispenser, LaneStatus, MachineStatus, VendOutcome } from '../dispenser/dispenser.ts';
import { vendOutcomeDetail } from '../dispenser/vend-outcome.ts';
import { CHECK_INTERRUPTED_VEND, type LaneRow, type RefundRow, type Store } from '../store/index.ts';
import { alipayLink, type LinkState } from './link-states.ts';
import type { RecentLog } from './recent-log.ts';
import { salesSummary, type SalesSummary } from './sales-summary.ts';

export class MaintenanceError extends Error {
  override readonly name = 'MaintenanceError';
  constructor(
    readonly code: 'bad_request' | 'conflict' | 'unavailable',
    message: string,
  ) {
    super(message);
  }
}

export interface MaintenanceOverview {
  readonly lanes: readonly LaneRow[];
  readonly dispenserLink: 'up' | 'down';
  readonly machine: MachineStatus | null;
  readonly openRefunds: readonly RefundRow[];
  readonly log: ReturnType<Store['maintenanceLog']['recent']>;
  /** Vends a restart interrupted and refunded without the board's result: check whether the item came out. */
  readonly toCheck: ReturnType<Store['maintenanceLog']['recent']>;
  readonly links: {
    readonly board: LinkState;
    readonly relay: LinkState;
    readonly alipay: { readonly state: LinkState; readonly detail: string };
  };
  readonly sales: SalesSummary;
  readonly recentLog: readonly { at: number; line: string }[];
}

/** What the overview shows beyond the store and the board; all optional, shown as unknown when absent. */
export interface MaintenanceSources {
  readonly relayLink?: () => LinkState;
  readonly recentLog?: RecentLog;
  readonly now?: () => number;
}

export class MaintenanceService {
  constructor(
    private readonly store: Store,
    private readonly dispenser: Dispenser,
    private readonly sources: MaintenanceSources = {},
  ) {}

  async overview(): Promise<MaintenanceOverview> {
    const online = this.dispenser.linkState === 'up';
    let machine: MachineStatus | null = null;
    if (online) {
      try {
        machine = await this.dispenser.machineStatus();
      } catch {
        machine = null; // the board did not answer in time: shown as unknown, not as an error screen
      }
    }
    return {
      lanes: this.store.lanes.list(),
      dispenserLink: this.dispenser.linkState,
      machine,
      openRefunds: [...this.store.refunds.pending(), ...this.store.refunds.failed()],
      log: this.store.maintenanceLog.recent(),
      toCheck: this.store.maintenanceLog.ofAction(CHECK_INTERRUPTED_VEND),
      links: {
        board: this.dispenser.linkState,
        relay: this.sources.relayLink?.() ?? 'unknown',
        alipay: alipayLink(this.store.db),
      },
      sales: salesSummary(this.store.db, (this.sources.now ?? Date.now)()),
      recentLog: this.sources.recentLog?.recent(30) ?? [],
    };
  }

  /** A new price for the lane's product; logged with the old and new price. */
  setPrice(lane: number, priceFen: number): LaneRow {
    const row = this.mustExist(lane);
    this.store.db.transaction(() => {
      this.store.lanes.setPrice(lane, priceFen);
      this.store.maintenanceLog.record('set_price', lane, `${row.priceFen} → ${priceFen} fen`);
    })();
    return this.mustExist(lane);
  }

  async laneStatus(lane: number): Promise<LaneStatus> {
    this.mustExist(lane);
    this.mustBeOnline();
    return this.dispenser.laneStatus(lane);
  }

  /**
   * Records a technician's stock count. A board that keeps its own count (and would refuse a lane it thinks
   * empty) is told first; if it does not take the count, nothing changes, so the two never disagree.
   */
  async setStock(lane: number, stock: number): Promise<LaneRow> {
    const row = this.mustExist(lane);
    if (stock > row.capacity)
      throw new MaintenanceError('bad_request', `lane ${lane} holds at most ${row.capacity}`);
    if (this.dispenser.setStock) {
      this.mustBeOnline();
      if (!(await this.dispenser.setStock(lane, stock))) {
        throw new MaintenanceError(
          'unavailable',
          `the board did not take the new count for lane ${lane}; nothing changed`,
        );
      }
    }
    this.store.lanes.setStock(lane, stock);
    this.store.maintenanceLog.record('set_stock', lane, `${row.stock} → ${stock}`);
    return this.mustExist(lane);
  }

  /** The technician pressed the board's "fully loaded" button: every lane is full again. */
  fullyLoaded(): void {
    this.store.db.transaction(() => {
      for (const lane of this.store.lanes.list()) this.store.lanes.setStock(lane.lane, lane.capacity);
      this.store.maintenanceLog.record('fully_loaded', null, 'board button: every lane set to its capacity');
    })();
  }

  setEnabled(lane: number, enabled: boolean): LaneRow {
    this.mustExist(lane);
    this.store.lanes.setEnabled(lane, enabled);
    this.store.maintenanceLog.record(enabled ? 'enable_lane' : 'disable_lane', lane, '');
    return this.mustExist(lane);
  }

  /** Drives one lane once, outside any sale. Refused while a customer's sale is in progress. */
  async testVend(lane: number): Promise<VendOutcome> {
    this.mustExist(lane);
    this.mustBeOnline();
    const busy = this.store.orders.listOpen().find((o) => o.state !== 'refund_pending');
    if (busy) throw new MaintenanceError('conflict', `a sale is in progress (${busy.outTradeNo})`);
    // Logged before the motor runs, like a sale's vend intent: a crash mid-test still leaves a trace.
    this.store.maintenanceLog.record('test_vend_start', lane, '');
    const outcome = await this.dispenser.vend(lane, `test-${lane}-${Date.now()}`);
    if (outcome.kind !== 'not_delivered') this.store.lanes.decrementStock(lane);
    this.store.maintenanceLog.record(`test_vend_${outcome.kind}`, lane, vendOutcomeDetail(outcome));
    return outcome;
  }

  private mustExist(lane: number): LaneRow {
    const row = this.store.lanes.get(lane);
    if (!row) throw new MaintenanceError('bad_request', `there is no lane ${lane}`);
    return row;
  }

  private mustBeOnline(): void {
    if (this.dispenser.linkState !== 'up')
      throw new MaintenanceError('unavailable', 'the dispenser board is offline');
  }
}
