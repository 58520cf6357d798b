// The planogram: which product sits in which lane, at what price, with how much stock.
import type { Db } from './database.ts';

export interface LaneRow {
  readonly lane: number;
  readonly productId: string;
  readonly name: string;
  readonly priceFen: number;
  readonly stock: number;
  readonly capacity: number;
  readonly enabled: boolean;
}

interface RawLane {
  lane: number;
  product_id: string;
  name: string;
  price_fen: number;
  stock: number;
  capacity: number;
  enabled: number;
}

const toLane = (r: RawLane): LaneRow => ({
  lane: r.lane,
  productId: r.product_id,
  name: r.name,
  priceFen: r.price_fen,
  stock: r.stock,
  capacity: r.capacity,
  enabled: r.enabled === 1,
});

export class LanesRepository {
  constructor(private readonly db: Db) {}

  list(): LaneRow[] {
    return (this.db.prepare('SELECT * FROM lanes ORDER BY lane').all() as RawLane[]).map(toLane);
  }

  get(lane: number): LaneRow | null {
    const row = this.db.prepare('SELECT * FROM lanes WHERE lane = ?').get(lane) as RawLane | undefined;
    return row ? toLane(row) : null;
  }

  /** Loads a planogram only into an empty table: stock counted on the machine is never overwritten at boot. */
  seedIfEmpty(lanes: readonly LaneRow[]): boolean {
    const count = (this.db.prepare('SELECT count(*) AS n FROM lanes').get() as { n: number }).n;
    if (count > 0) return false;
    const insert = this.db.prepare(
      'INSERT INTO lanes (lane, product_id, name, price_fen, stock, capacity, enabled) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    this.db.transaction(() => {
      for (const l of lanes) {
        insert.run(l.lane, l.productId, l.name, l.priceFen, l.stock, l.capacity, l.enabled ? 1 : 0);
      }
    })();
    return true;
  }

  /** Sets a lane's stock as counted by a technician; refuses more than the lane holds. */
  setStock(lane: number, stock: number): boolean {
    return (
      this.db.prepare('UPDATE lanes SET stock = ? WHERE lane = ? AND ? <= capacity').run(stock, lane, stock)
        .changes === 1
    );
  }

  setEnabled(lane: number, enabled: boolean): boolean {
    return (
      this.db.prepare('UPDATE lanes SET enabled = ? WHERE lane = ?').run(enabled ? 1 : 0, lane).changes === 1
    );
  }

  setPrice(lane: number, priceFen: number): boolean {
    return this.db.prepare('UPDATE lanes SET price_fen = ? WHERE lane = ?').run(priceFen, lane).changes === 1;
  }

  decrementStock(lane: number): void {
    this.db.prepare('UPDATE lanes SET stock = stock - 1 WHERE lane = ? AND stock > 0').run(lane);
  }
}
