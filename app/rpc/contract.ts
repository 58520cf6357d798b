// The UI contract: one typed, validated table of channels between the kiosk UI (renderer/) and the agent.
// Both hosts serve exactly this table: the browser host over a loopback websocket, the Electron host over
// IPC. The renderer imports this file for its types only (`import type`), so zod never reaches its bundle.
import { z } from 'zod';

const fen = z.number().int().nonnegative();
const lane = z.number().int().min(1).max(9999);
const outTradeNo = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_]+$/);

export const productView = z.object({
  lane,
  productId: z.string(),
  name: z.string(),
  priceFen: fen,
  stock: z.number().int().nonnegative(),
  /** False when the lane cannot sell now: empty, jammed, disabled by a technician or its board is offline. */
  available: z.boolean(),
  /** The product's picture as a data: URL (png, jpeg, webp); null: the screen draws its fallback. */
  image: z
    .string()
    .regex(/^data:image\/(png|jpeg|webp);base64,[A-Za-z0-9+/=]+$/)
    .nullable()
    .default(null),
});
export type ProductView = z.infer<typeof productView>;

export const saleState = z.enum([
  'created',
  'awaiting_payment',
  'paid',
  'vending',
  'completed',
  'refund_pending',
  'refunded',
  'expired',
  'failed',
]);
export type SaleState = z.infer<typeof saleState>;

export const vendState = z.enum(['pending', 'vending', 'delivered', 'not_delivered', 'unknown']);
export type VendState = z.infer<typeof vendState>;

export const saleView = z.object({
  outTradeNo,
  state: saleState,
  totalFen: fen,
  /** The precreate qr_code to render; null until Alipay issued one. */
  qrCode: z.string().nullable(),
  /** Epoch milliseconds at which an unpaid QR code stops being accepted. */
  expiresAt: z.number().int().nullable(),
  items: z.array(z.object({ lane, name: z.string(), priceFen: fen, state: vendState })),
  /** Amount owed or returned to the customer for goods not delivered. */
  refundFen: fen,
  /** Short customer-facing explanation for failures, never a stack trace or a secret. */
  message: z.string().nullable(),
});
export type SaleView = z.infer<typeof saleView>;

export const supportContact = z.object({ phone: z.string().nullable(), text: z.string().nullable() });
export type SupportContact = z.infer<typeof supportContact>;

export const kioskInfo = z.object({
  kioskId: z.string(),
  demo: z.boolean(),
  dispenserLink: z.enum(['up', 'down']),
  /** Who a customer contacts (config `support`); shown on failure, refund and out-of-service screens. */
  support: supportContact.default({ phone: null, text: null }),
  /** The agent's version, shown to technicians. */
  version: z.string().default(''),
});
export type KioskInfo = z.infer<typeof kioskInfo>;

const maintenanceToken = z.string().regex(/^[0-9a-f]{64}$/);
const linkState = z.enum(['up', 'down', 'unknown']);

export const laneView = z.object({
  lane,
  productId: z.string(),
  name: z.string(),
  priceFen: fen,
  stock: z.number().int().nonnegative(),
  capacity: z.number().int().nonnegative(),
  enabled: z.boolean(),
});
export type LaneView = z.infer<typeof laneView>;

const maintenanceLogEntry = z.object({
  at: z.number().int(),
  action: z.string(),
  lane: z.number().int().nullable(),
  detail: z.string().nullable(),
});

export const maintenanceOverview = z.object({
  dispenserLink: z.enum(['up', 'down']),
  lanes: z.array(laneView),
  machine: z
    .object({
      doorOpen: z.boolean().nullable(),
      temperatureC: z.number().nullable(),
      lift: z.string().nullable(),
      detail: z.string(),
    })
    .nullable(),
  openRefunds: z.array(
    z.object({
      outTradeNo: z.string(),
      outRequestNo: z.string(),
      amountFen: fen,
      state: z.enum(['pending', 'succeeded', 'failed']),
      lastError: z.string().nullable(),
    }),
  ),
  log: z.array(maintenanceLogEntry),
  /**
   * Vends an agent restart interrupted and refunded without the board's result (lane, time, order in the
   * detail): a technician checks whether the item came out. Newest first.
   */
  toCheck: z.array(maintenanceLogEntry).default([]),
  /** The links a sale needs: the board, the relay that pushes payments, and Alipay's gateway. */
  links: z
    .object({
      board: linkState,
      relay: linkState,
      alipay: z.object({ state: linkState, detail: z.string() }),
    })
    .default({ board: 'unknown', relay: 'unknown', alipay: { state: 'unknown', detail: '' } }),
  /** What was sold and kept (paid minus refunded), in fen: today and per day over the last seven days. */
  sales: z
    .object({
      todayFen: fen,
      todayOrders: z.number().int().nonnegative(),
      weekFen: fen,
      weekOrders: z.number().int().nonnegative(),
      days: z.array(z.object({ day: z.string(), fen, orders: z.number().int().nonnegative() })),
    })
    .default({ todayFen: 0, todayOrders: 0, weekFen: 0, weekOrders: 0, days: [] }),
  /** The agent's last log lines (never secrets), newest last. */
  recentLog: z.array(z.object({ at: z.number().int(), line: z.string() })).default([]),
});
export type MaintenanceOverview = z.infer<typeof maintenanceOverview>;

/** Request/response channels: the renderer calls, the agent answers. */
export const requestChannels = {
  'kiosk.info': { request: z.object({}).strict(), response: kioskInfo },
  'catalog.list': {
    request: z.object({}).strict(),
    response: z.object({ products: z.array(productView) }),
  },
  'sale.checkout': {
    request: z
      .object({
        items: z
          .array(z.object({ lane, quantity: z.number().int().min(1).max(10) }).strict())
          .min(1)
          .max(10),
      })
      .strict(),
    response: saleView,
  },
  'sale.current': { request: z.object({}).strict(), response: saleView.nullable() },
  'sale.cancel': { request: z.object({ outTradeNo }).strict(), response: saleView },
  // Maintenance (technicians). `maintenance.unlock` trades the PIN for a session token that every other
  // maintenance call must carry; wrong PINs count towards a lockout. A refused PIN is an answer, not an error.
  'maintenance.unlock': {
    request: z.object({ pin: z.string().regex(/^\d{4,12}$/) }).strict(),
    response: z.discriminatedUnion('unlocked', [
      z.object({ unlocked: z.literal(true), token: maintenanceToken, expiresAt: z.number().int() }),
      z.object({
        unlocked: z.literal(false),
        reason: z.enum(['wrong_pin', 'locked_out']),
        /** When a locked-out pad accepts PINs again (epoch ms). */
        retryAt: z.number().int().nullable(),
      }),
    ]),
  },
  'maintenance.lock': {
    request: z.object({ token: maintenanceToken }).strict(),
    response: z.object({ locked: z.literal(true) }),
  },
  'maintenance.overview': {
    request: z.object({ token: maintenanceToken }).strict(),
    response: maintenanceOverview,
  },
  'maintenance.laneStatus': {
    request: z.object({ token: maintenanceToken, lane }).strict(),
    response: z.object({ lane, state: z.string(), detail: z.string() }),
  },
  'maintenance.testVend': {
    request: z.object({ token: maintenanceToken, lane }).strict(),
    response: z.object({ outcome: z.enum(['delivered', 'not_delivered', 'unverified']), detail: z.string() }),
  },
  'maintenance.setStock': {
    request: z.object({ token: maintenanceToken, lane, stock: z.number().int().min(0).max(9999) }).strict(),
    response: laneView,
  },
  /** A new price for a lane's product (audited in the maintenance log); orders already made keep theirs. */
  'maintenance.setPrice': {
    request: z
      .object({ token: maintenanceToken, lane, priceFen: z.number().int().min(1).max(10_000_000_000) })
      .strict(),
    response: laneView,
  },
  'maintenance.setLaneEnabled': {
    request: z.object({ token: maintenanceToken, lane, enabled: z.boolean() }).strict(),
    response: laneView,
  },
} as const;

/** Pushed events: the agent tells, the renderer listens. */
export const eventChannels = {
  'sale.updated': saleView,
  'kiosk.updated': kioskInfo,
} as const;

export type RequestChannel = keyof typeof requestChannels;
export type EventChannel = keyof typeof eventChannels;
export type RequestOf<C extends RequestChannel> = z.input<(typeof requestChannels)[C]['request']>;
export type ResponseOf<C extends RequestChannel> = z.output<(typeof requestChannels)[C]['response']>;
export type EventOf<C extends EventChannel> = z.output<(typeof eventChannels)[C]>;

/** Errors the renderer may see. `code` is stable; `message` is safe to show a technician. */
export type RpcErrorCode =
  'bad_request' | 'unknown_channel' | 'unauthorized' | 'unavailable' | 'conflict' | 'internal';
export interface RpcError {
  readonly code: RpcErrorCode;
  readonly message: string;
}

/** Wire frames of the browser host's websocket (the Electron host carries the same payloads over IPC). */
export type ClientFrame = { readonly id: number; readonly channel: string; readonly payload: unknown };
export type ServerFrame =
  | { readonly id: number; readonly ok: true; readonly result: unknown }
  | { readonly id: number; readonly ok: false; readonly error: RpcError }
  | { readonly event: string; readonly payload: unknown };

/** The websocket subprotocol; the per-boot token travels as a second subprotocol `token.<hex>`. */
export const RPC_SUBPROTOCOL = 'kiosk-rpc';
