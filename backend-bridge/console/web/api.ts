// The console's reads of the operator API (/admin/v1/), with the session cookie the login set. A 401 means the
// session ended: back to the login page.
export class NotAvailable extends Error {}

export async function getJson<T>(path: string): Promise<T> {
  const res = await fetch(path, { credentials: 'same-origin', headers: { accept: 'application/json' } });
  if (res.status === 401) {
    location.assign('/console/login');
    throw new Error('signed out');
  }
  if (res.status === 404) throw new NotAvailable(path);
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
  return (await res.json()) as T;
}

export interface SalesBucket {
  sales: number;
  revenueFen: number;
}

export interface FleetKiosk {
  id: string;
  revoked: boolean;
  connected: boolean;
  lastSeenAt: string | null;
  lastSeq: number;
  ackedSeq: number;
  today: { date: string } & SalesBucket;
  board: 'up' | 'down' | null;
  faults: string[];
  status: {
    at: string;
    disabledLanes: number[];
    lowStock: Array<{ lane: number; productId: string; stock: number; capacity: number }>;
    refundsOwed: { count: number; fen: number };
    outboxDepth: number;
  } | null;
}

export interface KioskDetail extends FleetKiosk {
  salesByHour: Array<{ hour: string } & SalesBucket>;
  salesByDay: Array<{ date: string } & SalesBucket>;
  recentOrders: Array<{
    outTradeNo: string;
    state: string;
    at: string;
    totalFen: number;
    deliveredFen: number;
    items: Array<{ lane?: number; vendState: string; detail?: string | null }>;
  }>;
}

export interface Fleet {
  timeZone: string;
  kiosks: FleetKiosk[];
}

export interface ReconDaySummary {
  date: string;
  ranAt: string;
  status: 'ok' | 'differences' | 'failed';
  error?: string;
  differences: number;
  byClass: Record<string, number>;
}

export interface ReconDay {
  date: string;
  ranAt: string;
  status: 'ok' | 'differences' | 'failed';
  error?: string;
  differences: Array<{
    outTradeNo: string;
    class: string;
    kioskId: string | null;
    alipayFen: number | null;
    kioskFen: number | null;
    detail: string;
  }>;
  actions: Array<{
    at: string;
    outTradeNo: string;
    outRequestNo: string;
    refundFen: number;
    trigger: 'operator' | 'auto';
    result: string;
    detail: string;
  }>;
}
