// Shared fixtures for the relay tests: a throwaway Alipay key pair, signed notify bodies, a relay on a
// temp SQLite file, and a websocket client that queues what it receives.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WebSocket } from 'ws';
import { signParams } from '../../app/alipay/index.ts';
import { startRelay } from '../../backend-bridge/index.ts';
import type { RelayOptions, RunningRelay } from '../../backend-bridge/index.ts';

export const APP_ID = '2021000000000001';
export const SELLER_ID = '2088000000000002';
export const KIOSKS = [
  { id: 'K1', token: 'k1-token-0123456789abcdef' },
  { id: 'K2', token: 'k2-token-0123456789abcdef' },
];

const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
export const alipayPrivateKey: KeyObject = pair.privateKey;
export const alipayPublicKey: KeyObject = pair.publicKey;

export function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'relay-test-'));
}

let counter = 0;

/** A trade_status_sync notify as Alipay sends it: form-encoded, RSA2 signed without sign/sign_type. */
export function signedNotify(
  overrides: Record<string, string> = {},
  key: KeyObject = alipayPrivateKey,
): string {
  counter++;
  const params: Record<string, string> = {
    gmt_create: '2026-11-22 15:56:22',
    charset: 'utf-8',
    seller_email: 'shop@example.com',
    subject: 'Cola + 测试 - 1',
    buyer_id: '2088102534368455',
    invoice_amount: '3.50',
    notify_id: `2026112200222155624068450${String(counter).padStart(9, '0')}`,
    fund_bill_list: '[{"amount":"3.50","fundChannel":"ALIPAYACCOUNT"}]',
    notify_type: 'trade_status_sync',
    trade_status: 'TRADE_SUCCESS',
    receipt_amount: '3.50',
    app_id: APP_ID,
    buyer_pay_amount: '3.50',
    seller_id: SELLER_ID,
    gmt_payment: '2026-11-22 15:56:24',
    notify_time: '2026-11-22 15:56:25',
    version: '1.0',
    out_trade_no: `K1_20261122155618${String(counter).padStart(4, '0')}`,
    total_amount: '3.50',
    trade_no: `2026112222001468450${String(counter).padStart(9, '0')}`,
    auth_app_id: APP_ID,
    point_amount: '0.00',
    ...overrides,
  };
  const sign = signParams(params, key);
  return new URLSearchParams({ ...params, sign, sign_type: 'RSA2' }).toString();
}

export async function startTestRelay(
  dbPath: string,
  extra: Partial<RelayOptions> = {},
): Promise<RunningRelay> {
  return startRelay({
    dbPath,
    alipay: { appId: APP_ID, publicKey: alipayPublicKey },
    kiosks: KIOSKS,
    ...extra,
  });
}

/** Uploads telemetry events as the kiosk's outbox does (POST /v1/kiosks/:id/outbox); the relay must take them. */
export async function uploadTelemetry(
  url: string,
  kiosk: { id: string; token: string },
  events: unknown[],
): Promise<void> {
  const res = await fetch(`${url}/v1/kiosks/${kiosk.id}/outbox`, {
    method: 'POST',
    headers: { authorization: `Bearer ${kiosk.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ events }),
  });
  assert.equal(res.status, 200);
}

/** A kiosk.status event of a kiosk with one lane (3, cola) holding 1 of 10, board up, nothing owed. */
export function oneLaneStatus(at: string): unknown {
  return {
    id: 'status-1',
    type: 'kiosk.status',
    at,
    data: {
      lanes: [{ lane: 3, productId: 'cola', stock: 1, capacity: 10, enabled: true }],
      board: 'up',
      refundsPending: { count: 0, fen: 0 },
      refundsFailed: { count: 0, fen: 0 },
      outboxDepth: 0,
    },
  };
}

export async function postNotify(
  url: string,
  body: string | Buffer,
  contentType = 'application/x-www-form-urlencoded; charset=utf-8',
): Promise<{ status: number; text: string; contentType: string | null }> {
  const res = await fetch(`${url}/alipay/notify`, {
    method: 'POST',
    headers: { 'content-type': contentType },
    body: typeof body === 'string' ? body : new Uint8Array(body),
  });
  return { status: res.status, text: await res.text(), contentType: res.headers.get('content-type') };
}

export interface StreamFrame {
  type: string;
  seq: number;
  kind: string;
  body: string;
  receivedAt: string;
}

/** A kiosk-side websocket that queues frames so tests can await them one by one. */
export class TestStream {
  readonly frames: StreamFrame[] = [];
  /** The relay's answers to hello: {type:'welcome', epoch, lastSeq} (where delivery resumes). */
  readonly welcomes: Array<{ epoch: string; lastSeq: number }> = [];
  readonly #waiting: Array<(f: StreamFrame) => void> = [];
  closeCode: number | undefined;
  readonly closed: Promise<number>;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as StreamFrame & { epoch?: string; lastSeq?: number };
      if (frame.type === 'welcome') {
        this.welcomes.push({ epoch: frame.epoch ?? '', lastSeq: frame.lastSeq ?? -1 });
        return;
      }
      const w = this.#waiting.shift();
      if (w) w(frame);
      else this.frames.push(frame);
    });
    this.closed = new Promise((resolve) =>
      ws.on('close', (code) => {
        this.closeCode = code;
        resolve(code);
      }),
    );
  }

  static open(url: string, kioskId: string, token: string): Promise<TestStream> {
    const ws = new WebSocket(`${url.replace('http', 'ws')}/v1/kiosks/${kioskId}/stream`, {
      headers: { authorization: `Bearer ${token}` },
    });
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(new TestStream(ws)));
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
      ws.once('error', reject);
    });
  }

  send(msg: unknown): void {
    this.ws.send(JSON.stringify(msg));
  }

  /** The next event frame; fails (rather than hangs) if none comes within 5 s. */
  next(): Promise<StreamFrame> {
    const queued = this.frames.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no frame within 5 s')), 5000);
      this.#waiting.push((f) => {
        clearTimeout(timer);
        resolve(f);
      });
    });
  }

  async close(): Promise<void> {
    if (this.ws.readyState !== WebSocket.CLOSED) {
      this.ws.close();
      await this.closed;
    }
  }
}

/** Round-trips a ping so every frame the relay sent before it has been received. */
export function settle(stream: TestStream): Promise<void> {
  return new Promise((resolve) => {
    stream.ws.once('pong', () => resolve());
    stream.ws.ping();
  });
}

/**
 * Finding 4's scenario: `forged` notifies (signed, then altered) from one address, then `genuine` ones from
 * the same address. Returns the forger's last status and the genuine answers.
 */
export async function forgerThenGenuine(
  url: string,
  forged: number,
  genuine: number,
): Promise<{ lastForgedStatus: number | undefined; genuine: Array<[number, string]> }> {
  let lastForgedStatus: number | undefined;
  for (let i = 0; i < forged; i++) {
    const body = signedNotify({ out_trade_no: `K1_forged-${i}` }).replace(
      'total_amount=3.50',
      'total_amount=0.01',
    );
    lastForgedStatus = (await postNotify(url, body)).status;
  }
  const answers: Array<[number, string]> = [];
  for (let i = 0; i < genuine; i++) {
    const res = await postNotify(url, signedNotify({ out_trade_no: `K1_genuine-${i}` }));
    answers.push([res.status, res.text]);
  }
  return { lastForgedStatus, genuine: answers };
}
