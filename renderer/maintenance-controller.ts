// The technician's maintenance session: holds the session token (in memory only — never in storage or the
// URL, never in the model the screens read), makes the maintenance calls with it, and keeps the screen's
// state. Any `unauthorized` answer means the agent ended the session (5 min idle, lock, restart): the token
// is dropped at once and the host is told to ask for the PIN again.
import type { LaneView, RequestChannel, RequestOf, ResponseOf } from '../app/rpc/contract.ts';
import { MAINTENANCE_IDLE_MS } from './maintenance.ts';
import type { LaneResult, MaintenanceState } from './model.ts';
import type { RpcClient } from './rpc-client.ts';
import { toRpcCallError } from './transport.ts';

type SessionChannel = Exclude<Extract<RequestChannel, `maintenance.${string}`>, 'maintenance.unlock'>;

export type MaintenanceEnd = 'locked' | 'idle' | 'unauthorized';

export interface MaintenanceHost {
  /** The screen state changed (null never: ending goes through `ended`). */
  show(state: MaintenanceState): void;
  ended(reason: MaintenanceEnd): void;
}

const OUTCOME_TEXT = {
  delivered: '出货成功 Delivered',
  not_delivered: '未出货 Not delivered',
  unverified: '未确认 Unverified',
} as const;

/** Thrown inside the controller when the session is gone; never escapes it. */
class SessionEnded extends Error {}

export class MaintenanceController {
  private token: string | null = null;
  private state: MaintenanceState | null = null;
  private idleTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly client: RpcClient,
    private readonly host: MaintenanceHost,
  ) {}

  get isOpen(): boolean {
    return this.token !== null;
  }

  open(token: string): void {
    this.token = token;
    this.state = { overview: null, message: null, busyLanes: new Set(), results: new Map() };
    this.touch();
    this.host.show(this.state);
    void this.refresh();
  }

  /** A touch on the screen: the session stays open for another MAINTENANCE_IDLE_MS. */
  touch(): void {
    if (this.token === null) return;
    if (this.idleTimer !== null) clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => void this.lock('idle'), MAINTENANCE_IDLE_MS);
  }

  async refresh(): Promise<void> {
    try {
      const overview = await this.call('maintenance.overview', {});
      this.patch({ overview, message: null });
    } catch (error) {
      this.failed(error);
    }
  }

  setStock(lane: number, stock: number): Promise<void> {
    return this.laneCall(lane, async () => {
      this.replaceLane(await this.call('maintenance.setStock', { lane, stock }));
      return null;
    });
  }

  setPrice(lane: number, priceFen: number): Promise<void> {
    return this.laneCall(lane, async () => {
      this.replaceLane(await this.call('maintenance.setPrice', { lane, priceFen }));
      return null;
    });
  }

  toggleLane(lane: number): Promise<void> {
    const current = this.state?.overview?.lanes.find((l) => l.lane === lane);
    if (current === undefined) return Promise.resolve();
    return this.laneCall(lane, async () => {
      this.replaceLane(await this.call('maintenance.setLaneEnabled', { lane, enabled: !current.enabled }));
      return null;
    });
  }

  testVend(lane: number): Promise<void> {
    return this.laneCall(lane, async () => {
      this.setResult(lane, { tone: 'busy', text: '测试中… Testing…' });
      const { outcome, detail } = await this.call('maintenance.testVend', { lane });
      return { tone: outcome === 'delivered' ? 'ok' : 'bad', text: `${OUTCOME_TEXT[outcome]} — ${detail}` };
    });
  }

  checkLane(lane: number): Promise<void> {
    return this.laneCall(lane, async () => {
      this.setResult(lane, { tone: 'busy', text: '检查中… Checking…' });
      const { state, detail } = await this.call('maintenance.laneStatus', { lane });
      return { tone: state === 'ok' ? 'ok' : 'bad', text: detail === '' ? state : `${state} — ${detail}` };
    });
  }

  /** Ends the session on both sides. The token is forgotten before the agent is even asked. */
  async lock(reason: Exclude<MaintenanceEnd, 'unauthorized'> = 'locked'): Promise<void> {
    const token = this.token;
    if (token === null) return;
    this.forget();
    this.host.ended(reason);
    try {
      await this.client.invoke('maintenance.lock', { token });
    } catch {
      // Already ended on the agent's side (or the link is down): the agent's idle timeout closes it.
    }
  }

  /** Drops the token and the screen state without calling the agent (e.g. the agent link was lost). */
  forget(): void {
    this.token = null;
    this.state = null;
    if (this.idleTimer !== null) clearTimeout(this.idleTimer);
    this.idleTimer = null;
  }

  // ---- plumbing ----

  private async call<C extends SessionChannel>(
    channel: C,
    payload: Omit<RequestOf<C>, 'token'>,
  ): Promise<ResponseOf<C>> {
    const token = this.token;
    if (token === null) throw new SessionEnded();
    try {
      const result = await this.client.invoke(channel, { ...payload, token } as RequestOf<C>);
      if (this.token !== token) throw new SessionEnded(); // locked while the call was out
      return result;
    } catch (reason) {
      if (reason instanceof SessionEnded) throw reason;
      const error = toRpcCallError(reason);
      if (error.code === 'unauthorized' && this.token === token) {
        this.forget();
        this.host.ended('unauthorized');
      }
      if (this.token !== token) throw new SessionEnded();
      throw error;
    }
  }

  /** Runs one lane action with the lane's buttons disabled; its result (or error) shows in the lane's row. */
  private async laneCall(lane: number, work: () => Promise<LaneResult | null>): Promise<void> {
    if (this.state === null || this.state.busyLanes.has(lane)) return;
    this.touch();
    this.patch({ busyLanes: new Set([...this.state.busyLanes, lane]), message: null });
    let result: LaneResult | null;
    try {
      result = await work();
    } catch (error) {
      if (error instanceof SessionEnded) return;
      result = { tone: 'bad', text: toRpcCallError(error).message };
    }
    if (this.state === null) return;
    const busyLanes = new Set(this.state.busyLanes);
    busyLanes.delete(lane);
    this.patch({ busyLanes });
    if (result !== null) this.setResult(lane, result);
    void this.refresh(); // the log (and, after a test vend, the lane) changed
  }

  private failed(error: unknown): void {
    if (error instanceof SessionEnded) return;
    this.patch({ message: toRpcCallError(error).message });
  }

  private replaceLane(lane: LaneView): void {
    const overview = this.state?.overview;
    if (overview === null || overview === undefined) return;
    this.patch({
      overview: { ...overview, lanes: overview.lanes.map((l) => (l.lane === lane.lane ? lane : l)) },
    });
  }

  private setResult(lane: number, result: LaneResult): void {
    if (this.state === null) return;
    this.patch({ results: new Map(this.state.results).set(lane, result) });
  }

  private patch(change: Partial<MaintenanceState>): void {
    if (this.state === null) return;
    this.state = { ...this.state, ...change };
    this.host.show(this.state);
  }
}
