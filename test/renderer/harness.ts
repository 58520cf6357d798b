// Test rig for the kiosk UI: the built renderer served over real HTTP on 127.0.0.1:0 (with the production CSP
// header), a fake AGENT speaking the contract's websocket frames on /rpc (requests and responses are
// validated with the real contract schemas, so a renderer sending a bad payload fails the test), and Debian
// Chromium driven by playwright-core. The real agent is covered by the end-to-end test.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { after, afterEach, before, beforeEach } from 'node:test';
import path from 'node:path';
import jsqrModule from 'jsqr';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { PNG } from 'pngjs';
import { WebSocketServer, type WebSocket } from 'ws';
import {
  eventChannels,
  requestChannels,
  RPC_SUBPROTOCOL,
  type EventChannel,
  type EventOf,
  type KioskInfo,
  type LaneView,
  type MaintenanceOverview,
  type ProductView,
  type RequestChannel,
  type RequestOf,
  type ResponseOf,
  type RpcError,
  type SaleView,
} from '../../app/rpc/contract.ts';
import { buildRenderer } from '../../renderer/build.ts';

export const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self' ws://127.0.0.1:* ws://localhost:*";

export const TOKEN = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';

/** A real 16×16 red PNG, as the agent sends a product picture. */
export const SAMPLE_PICTURE = (() => {
  const png = new PNG({ width: 16, height: 16 });
  for (let i = 0; i < png.data.length; i += 4) png.data.set([200, 30, 30, 255], i);
  return `data:image/png;base64,${PNG.sync.write(png).toString('base64')}`;
})();

/** Shaped like a picture, but no image decoder takes it: the screen must fall back. */
export const BROKEN_PICTURE = 'data:image/png;base64,bm90IGEgcGljdHVyZQ==';

export function sampleProducts(): ProductView[] {
  return [
    {
      lane: 1,
      productId: 'cola',
      name: '可乐 Cola',
      priceFen: 350,
      stock: 5,
      available: true,
      image: SAMPLE_PICTURE,
    },
    {
      lane: 2,
      productId: 'water',
      name: '矿泉水 Water',
      priceFen: 5,
      stock: 3,
      available: true,
      image: BROKEN_PICTURE,
    },
    {
      lane: 3,
      productId: 'tea',
      name: '绿茶 Green tea',
      priceFen: 1200,
      stock: 0,
      available: false,
      image: null,
    },
  ];
}

export function sampleSale(patch: Partial<SaleView> = {}): SaleView {
  return {
    outTradeNo: 'K1_20250101_0001',
    state: 'awaiting_payment',
    totalFen: 700,
    qrCode: 'https://qr.alipay.com/bax08431xk1o5xbadhr8009c',
    expiresAt: Date.now() + 120_000,
    items: [
      { lane: 1, name: '可乐 Cola', priceFen: 350, state: 'pending' },
      { lane: 1, name: '可乐 Cola', priceFen: 350, state: 'pending' },
    ],
    refundFen: 0,
    message: null,
    ...patch,
  };
}

type Handler<C extends RequestChannel> = (payload: RequestOf<C>) => ResponseOf<C> | Promise<ResponseOf<C>>;
type HandlerTable = { [C in RequestChannel]: Handler<C> };

type MaintenanceHandlers = Pick<HandlerTable, Extract<RequestChannel, `maintenance.${string}`>>;
type TestVendAnswer = ResponseOf<'maintenance.testVend'>;
type LaneStatusAnswer = ResponseOf<'maintenance.laneStatus'>;

export const MAINTENANCE_PIN = '2468';

export function sampleLanes(): LaneView[] {
  return [
    { lane: 1, productId: 'cola', name: '可乐 Cola', priceFen: 350, stock: 5, capacity: 10, enabled: true },
    { lane: 2, productId: 'water', name: '矿泉水 Water', priceFen: 5, stock: 3, capacity: 8, enabled: true },
    {
      lane: 3,
      productId: 'tea',
      name: '绿茶 Green tea',
      priceFen: 1200,
      stock: 0,
      capacity: 6,
      enabled: false,
    },
  ];
}

/**
 * The agent's maintenance side, behaving like app/rpc/maintenance-handlers.ts: a PIN (null = none configured
 * → `unavailable`), a lockout after `maxWrongPins` wrong tries, one session token at a time, and the same
 * error codes and messages. Tests change the plain fields, or call `endSession()` to mimic the 5 min expiry.
 */
export class FakeMaintenance {
  pin: string | null = MAINTENANCE_PIN;
  maxWrongPins = 5;
  wrongPins = 0;
  /** When a lockout ends (epoch ms); null: five minutes after the refused try, as the agent does. */
  lockedUntil: number | null = null;
  lanes: LaneView[] = sampleLanes();
  machine: MaintenanceOverview['machine'] = {
    doorOpen: false,
    temperatureC: 4,
    lift: 'ok',
    detail: '',
  };
  openRefunds: MaintenanceOverview['openRefunds'] = [];
  log: MaintenanceOverview['log'] = [];
  /** Interrupted vends refunded without the board's result, as the maintenance screen lists them. */
  toCheck: MaintenanceOverview['toCheck'] = [];
  links: MaintenanceOverview['links'] = {
    board: 'up',
    relay: 'up',
    alipay: { state: 'up', detail: 'last QR code issued 2025-01-01 10:00 UTC' },
  };
  sales: MaintenanceOverview['sales'] = { todayFen: 0, todayOrders: 0, weekFen: 0, weekOrders: 0, days: [] };
  recentLog: MaintenanceOverview['recentLog'] = [];
  /** What a test vend of a lane reports; lanes not listed are delivered. */
  readonly testVendAnswers = new Map<number, TestVendAnswer>();
  readonly laneStatusAnswers = new Map<number, LaneStatusAnswer>();
  /** The live session's token, null when locked. */
  token: string | null = null;
  /** Every token ever issued (a test can check none travels again after a lock). */
  readonly issuedTokens: string[] = [];

  constructor(private readonly dispenserLink: () => 'up' | 'down') {}

  endSession(): void {
    this.token = null;
  }

  handlers(): MaintenanceHandlers {
    const configured = () => {
      if (this.pin === null)
        throw {
          code: 'unavailable',
          message: 'no maintenance PIN is configured on this kiosk',
        } satisfies RpcError;
    };
    const authorised = (token: string) => {
      configured();
      if (this.token === null || token !== this.token)
        throw {
          code: 'unauthorized',
          message: 'the maintenance session has ended; enter the PIN again',
        } satisfies RpcError;
    };
    const laneOf = (lane: number): LaneView => {
      const found = this.lanes.find((l) => l.lane === lane);
      if (found === undefined)
        throw { code: 'bad_request', message: `there is no lane ${lane}` } satisfies RpcError;
      return found;
    };
    const record = (action: string, lane: number | null, detail: string | null) => {
      this.log = [{ at: Date.now(), action, lane, detail }, ...this.log].slice(0, 50);
    };
    const update = (lane: number, patch: Partial<LaneView>): LaneView => {
      const next = { ...laneOf(lane), ...patch };
      this.lanes = this.lanes.map((l) => (l.lane === lane ? next : l));
      return next;
    };
    return {
      'maintenance.unlock': ({ pin }) => {
        configured();
        if (this.wrongPins >= this.maxWrongPins)
          return { unlocked: false, reason: 'locked_out', retryAt: this.lockedUntil ?? Date.now() + 300_000 };
        if (pin !== this.pin) {
          this.wrongPins += 1;
          return { unlocked: false, reason: 'wrong_pin', retryAt: null };
        }
        this.wrongPins = 0;
        this.token = randomBytes(32).toString('hex');
        this.issuedTokens.push(this.token);
        return { unlocked: true, token: this.token, expiresAt: Date.now() + 300_000 };
      },
      'maintenance.lock': ({ token }) => {
        authorised(token);
        this.token = null;
        return { locked: true as const };
      },
      'maintenance.overview': ({ token }) => {
        authorised(token);
        return {
          dispenserLink: this.dispenserLink(),
          lanes: this.lanes,
          machine: this.dispenserLink() === 'up' ? this.machine : null,
          openRefunds: this.openRefunds,
          log: this.log,
          toCheck: this.toCheck,
          links: { ...this.links, board: this.dispenserLink() },
          sales: this.sales,
          recentLog: this.recentLog,
        };
      },
      'maintenance.laneStatus': ({ token, lane }) => {
        authorised(token);
        laneOf(lane);
        return this.laneStatusAnswers.get(lane) ?? { lane, state: 'ok', detail: 'lane ready' };
      },
      'maintenance.testVend': ({ token, lane }) => {
        authorised(token);
        const row = laneOf(lane);
        const answer = this.testVendAnswers.get(lane) ?? { outcome: 'delivered', detail: 'drop confirmed' };
        if (answer.outcome !== 'not_delivered') update(lane, { stock: Math.max(0, row.stock - 1) });
        record(`test_vend_${answer.outcome}`, lane, answer.detail);
        return answer;
      },
      'maintenance.setStock': ({ token, lane, stock }) => {
        authorised(token);
        const row = laneOf(lane);
        if (stock > row.capacity)
          throw {
            code: 'bad_request',
            message: `lane ${lane} holds at most ${row.capacity}`,
          } satisfies RpcError;
        record('set_stock', lane, `${row.stock} → ${stock}`);
        return update(lane, { stock });
      },
      'maintenance.setPrice': ({ token, lane, priceFen }) => {
        authorised(token);
        record('set_price', lane, `${laneOf(lane).priceFen} → ${priceFen} fen`);
        return update(lane, { priceFen });
      },
      'maintenance.setLaneEnabled': ({ token, lane, enabled }) => {
        authorised(token);
        record(enabled ? 'enable_lane' : 'disable_lane', lane, '');
        return update(lane, { enabled });
      },
    };
  }
}

/** A stand-in for the agent: answers the contract's channels from plain fields a test can change. */
export class FakeAgent {
  info: KioskInfo = {
    kioskId: 'K1',
    demo: true,
    dispenserLink: 'up',
    support: { phone: null, text: null },
    version: '',
  };
  products: ProductView[] = sampleProducts();
  current: SaleView | null = null;
  /** Every request received, in order, after validation. */
  readonly calls: { channel: string; payload: unknown }[] = [];
  /** Frames that failed contract validation (must stay empty). */
  readonly badRequests: string[] = [];
  readonly sockets = new Set<WebSocket>();
  acceptedConnections = 0;
  rejectedUpgrades = 0;
  maintenance = new FakeMaintenance(() => this.info.dispenserLink);
  handlers: HandlerTable = this.defaultHandlers();

  reset(): void {
    this.maintenance = new FakeMaintenance(() => this.info.dispenserLink);
    this.info = {
      kioskId: 'K1',
      demo: true,
      dispenserLink: 'up',
      support: { phone: null, text: null },
      version: '',
    };
    this.products = sampleProducts();
    this.current = null;
    this.calls.length = 0;
    this.badRequests.length = 0;
    this.acceptedConnections = 0;
    this.rejectedUpgrades = 0;
    this.handlers = this.defaultHandlers();
    this.dropConnections();
  }

  defaultHandlers(): HandlerTable {
    return {
      'kiosk.info': () => this.info,
      'catalog.list': () => ({ products: this.products }),
      'sale.current': () => this.current,
      'sale.checkout': (payload) => {
        const items = payload.items.flatMap(({ lane, quantity }) => {
          const product = this.products.find((p) => p.lane === lane);
          if (product === undefined)
            throw { code: 'bad_request', message: `no lane ${lane}` } satisfies RpcError;
          return Array.from({ length: quantity }, () => ({
            lane,
            name: product.name,
            priceFen: product.priceFen,
            state: 'pending' as const,
          }));
        });
        this.current = sampleSale({ items, totalFen: items.reduce((sum, item) => sum + item.priceFen, 0) });
        return this.current;
      },
      'sale.cancel': (payload) => {
        if (this.current === null || this.current.outTradeNo !== payload.outTradeNo) {
          throw { code: 'conflict', message: 'no such sale' } satisfies RpcError;
        }
        this.current = { ...this.current, state: 'expired', qrCode: null };
        return this.current;
      },
      ...this.maintenance.handlers(),
    };
  }

  callsTo(channel: RequestChannel): unknown[] {
    return this.calls.filter((c) => c.channel === channel).map((c) => c.payload);
  }

  /** Pushes an event to every connected renderer (validated like the real agent would). */
  push<E extends EventChannel>(event: E, payload: EventOf<E>): void {
    const parsed = eventChannels[event].parse(payload);
    if (event === 'sale.updated') this.current = parsed as SaleView;
    const frame = JSON.stringify({ event, payload: parsed });
    for (const socket of this.sockets) socket.send(frame);
  }

  dropConnections(): void {
    for (const socket of this.sockets) socket.terminate();
    this.sockets.clear();
  }

  /** Answers one request exactly like the agent: validate, run, validate the response. */
  async answer(
    channel: string,
    payload: unknown,
  ): Promise<{ ok: true; result: unknown } | { ok: false; error: RpcError }> {
    if (!(channel in requestChannels))
      return { ok: false, error: { code: 'unknown_channel', message: channel } };
    const name = channel as RequestChannel;
    const request = requestChannels[name].request.safeParse(payload);
    if (!request.success) {
      this.badRequests.push(`${channel}: ${request.error.message}`);
      return { ok: false, error: { code: 'bad_request', message: 'invalid payload' } };
    }
    this.calls.push({ channel, payload: request.data });
    try {
      const handler = this.handlers[name] as (p: unknown) => unknown;
      const result = await handler(request.data);
      return { ok: true, result: requestChannels[name].response.parse(result) };
    } catch (error) {
      const e = error as Partial<RpcError>;
      return { ok: false, error: { code: e.code ?? 'internal', message: e.message ?? 'failed' } };
    }
  }
}

export interface KioskUiRig {
  readonly url: string;
  readonly agent: FakeAgent;
  readonly browser: Browser;
  /** A fresh browser context with Playwright's clock installed (time flows until a test fast-forwards). */
  newPage(viewport?: {
    width: number;
    height: number;
  }): Promise<{ context: BrowserContext; page: Page; consoleErrors: string[] }>;
  close(): Promise<void>;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
};

export async function startKioskUiRig(): Promise<KioskUiRig> {
  const outDir = mkdtempSync(path.join(os.tmpdir(), 'kiosk-renderer-'));
  await buildRenderer(outDir);
  const agent = new FakeAgent();

  const server = http.createServer((req, res) => {
    const pathname = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    const file = pathname === '/' ? 'index.html' : pathname.slice(1);
    const type = CONTENT_TYPES[path.extname(file)];
    if (!/^[a-z0-9._-]+$/i.test(file) || type === undefined) {
      res.writeHead(404).end();
      return;
    }
    try {
      const body = readFileSync(path.join(outDir, file));
      res.writeHead(200, { 'content-type': type, 'content-security-policy': CSP }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });

  const wss = new WebSocketServer({ noServer: true, handleProtocols: () => RPC_SUBPROTOCOL });
  server.on('upgrade', (req, socket, head) => {
    const offered = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
    const pathname = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    if (pathname !== '/rpc' || !offered.includes(RPC_SUBPROTOCOL) || !offered.includes(`token.${TOKEN}`)) {
      agent.rejectedUpgrades += 1;
      socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      agent.acceptedConnections += 1;
      agent.sockets.add(ws);
      ws.on('close', () => agent.sockets.delete(ws));
      ws.on('message', (data) => {
        const frame = JSON.parse(String(data)) as { id: number; channel: string; payload: unknown };
        void agent.answer(frame.channel, frame.payload).then((reply) => {
          if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ id: frame.id, ...reply }));
        });
      });
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;

  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });

  return {
    url: `http://127.0.0.1:${port}/`,
    agent,
    browser,
    async newPage(viewport = { width: 1280, height: 900 }) {
      const context = await browser.newContext({ viewport });
      await context.clock.install();
      const page = await context.newPage();
      const consoleErrors: string[] = [];
      page.on('console', (msg) => {
        if (msg.type() === 'error') consoleErrors.push(msg.text());
      });
      page.on('pageerror', (error) => consoleErrors.push(error.message));
      return { context, page, consoleErrors };
    },
    async close() {
      await browser.close();
      agent.dropConnections();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(outDir, { recursive: true, force: true });
    },
  };
}

// jsqr is CommonJS with typings that declare an ES default export; under NodeNext the default import is
// module.exports (the function itself), which also carries `.default`.
const jsQR = jsqrModule.default;

/** What a phone camera would read from the QR canvas on screen. */
export async function decodeQrOnScreen(page: Page): Promise<{ text: string | null; width: number }> {
  const png = PNG.sync.read(await page.getByTestId('qr').screenshot());
  const code = jsQR(new Uint8ClampedArray(png.data), png.width, png.height);
  return { text: code?.data ?? null, width: png.width };
}

export interface KioskUiSession {
  readonly rig: KioskUiRig;
  readonly context: BrowserContext;
  readonly page: Page;
  readonly consoleErrors: string[];
}

/**
 * The hooks every browser test file shares: one rig per file, a fresh browser context per test (opened on
 * the idle screen with the token unless `open` is false), and after each test the check that the renderer
 * sent nothing the contract rejects (and, with `noConsoleErrors`, no CSP or script error). `use` receives each
 * test's session.
 */
export function useKioskUi(
  use: (session: KioskUiSession) => void,
  options: { open?: boolean; noConsoleErrors?: boolean } = {},
): void {
  let rig: KioskUiRig;
  let context: BrowserContext;
  let consoleErrors: string[];
  before(async () => {
    rig = await startKioskUiRig();
  });
  after(async () => {
    await rig.close();
  });
  beforeEach(async () => {
    rig.agent.reset();
    const opened = await rig.newPage();
    ({ context, consoleErrors } = opened);
    use({ rig, ...opened });
    if (options.open !== false) {
      await opened.page.goto(`${rig.url}#token=${TOKEN}`);
      await opened.page.locator('main#app[data-screen="idle"]').waitFor();
    }
  });
  afterEach(async () => {
    await context.close();
    assert.deepEqual(rig.agent.badRequests, [], 'the renderer sent payloads the contract rejects');
    if (options.noConsoleErrors) {
      assert.deepEqual(consoleErrors, [], 'no CSP violations, script errors or failed loads');
    }
  });
}

/**
 * Five taps on the hidden maintenance corner inside its 3 s tap window. The page's clock is held while they
 * land, so the window is measured on a clock the test controls and a busy machine cannot stretch five clicks
 * past it. The pause point lies a second ahead: the page's clock keeps running while the call travels to it.
 */
export async function tapMaintenanceCorner(
  page: Page,
  options: { keepPaused?: boolean } = {},
): Promise<void> {
  await page.clock.pauseAt((await page.evaluate(() => Date.now())) + 1000);
  for (let i = 0; i < 5; i++) await page.getByTestId('maintenance-corner').click();
  if (!options.keepPaused) await page.clock.resume();
}
