// POLL answer latency while the agent is busy selling: the real agent (startAgent: SQLite with
// synchronous=FULL, the Alipay client, the relay link, the sale logic) runs in this process and sells
// continuously — checkout, precreate, payment notification pushed by the relay, vend, settle — while
// vmc-sim, in its own process on a socat PTY, POLLs every 100 ms and times every answer. alipay-sim and the
// relay run as their own processes, as they would in the field. Target: p99 < 20 ms (the protocol allows 100).
import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseAgentConfig, startAgent } from '../app/agent/index.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const APP_ID = '2021000000000077';

interface SimStats {
  answerLatencyMs: { n: number; p50: number; p99: number; max: number };
  lateAnswers: number;
  unanswered: number;
}

function program(
  name: string,
  args: string[],
  children: ChildProcess[],
): Promise<{ child: ChildProcess; ready: Record<string, string> }> {
  const child = spawn(process.execPath, [path.join(root, 'bin', `${name}.js`), ...args], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  children.push(child); // tracked at once: a sibling that fails to start must not leave this one running
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', (l) => resolve({ child, ready: JSON.parse(l) }));
    child.once('exit', (c) => reject(new Error(`${name} exited ${c}`)));
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
}

export async function runSellingPollLatencyBench(seconds = 20): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-selling-'));
  const children: ChildProcess[] = [];
  const write = (name: string, text: string) => {
    const f = path.join(dir, name);
    fs.writeFileSync(f, text, { mode: 0o600 });
    return f;
  };
  const pair = () =>
    generateKeyPairSync('rsa', {
      modulusLength: 2048,
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    });
  const app = pair();
  const alipay = pair();
  const token = write('token', randomBytes(16).toString('hex'));
  const kioskDev = path.join(dir, 'kiosk');
  const boardDev = path.join(dir, 'board');
  const socat = spawn('socat', [`pty,raw,echo=0,link=${kioskDev}`, `pty,raw,echo=0,link=${boardDev}`], {
    stdio: 'ignore',
  });
  children.push(socat);
  try {
    while (!(fs.existsSync(kioskDev) && fs.existsSync(boardDev))) await sleep(20);
    const [sim, relay, board] = await Promise.all([
      program(
        'alipay-sim',
        [
          '--app-id',
          APP_ID,
          '--app-public-key',
          write('app.pub', app.publicKey),
          '--private-key',
          write('ali.key', alipay.privateKey),
        ],
        children,
      ),
      program(
        'notify-relay',
        [
          '--db',
          path.join(dir, 'relay.sqlite'),
          '--app-id',
          APP_ID,
          '--alipay-public-key',
          write('ali.pub', alipay.publicKey),
          '--kiosk',
          `KB:@${token}`,
        ],
        children,
      ),
      program(
        'vmc-sim',
        [
          '--device',
          boardDev,
          '--lanes',
          '1-4',
          '--stock',
          '250',
          '--capacity',
          '255',
          '--poll-ms',
          '100',
          '--motor-ms',
          '150',
        ],
        children,
      ),
    ]);
    const config = parseAgentConfig({
      kioskId: 'KB',
      dataDir: path.join(dir, 'agent'),
      alipay: {
        gatewayUrl: `${sim.ready['url']}/gateway.do`,
        appId: APP_ID,
        privateKeyFile: write('app.key', app.privateKey),
        alipayPublicKeyFile: path.join(dir, 'ali.pub'),
        notifyUrl: `${relay.ready['url']}/alipay/notify`,
      },
      relay: { url: relay.ready['url'], tokenFile: token },
      dispenser: { driver: 'fafb', path: kioskDev },
      planogram: [1, 2, 3, 4].map((lane) => ({
        lane,
        productId: `P${lane}`,
        name: `P${lane}`,
        priceFen: 100 * lane,
        stock: 250,
        capacity: 255,
      })),
    });
    const agent = await startAgent(config, { log: () => {} });
    while (agent.dispenser.linkState !== 'up') await sleep(20);
    const controlUrl = board.ready['controlUrl'];
    const stats = async () => (await (await fetch(`${controlUrl}/sim/stats`)).json()) as SimStats;

    const report = (label: string, s: SimStats, extra = '') => {
      const l = s.answerLatencyMs;
      console.log(
        `POLL answer [${label}] over ${l.n} POLLs: p50 ${l.p50} ms, p99 ${l.p99} ms, max ${l.max} ms; ` +
          `late (>100 ms) ${s.lateAnswers}, unanswered ${s.unanswered}${extra}`,
      );
      return l.p99;
    };

    await fetch(`${controlUrl}/sim/stats/reset`, { method: 'POST' });
    await sleep(5000);
    const idleP99 = report('agent idle', await stats());

    await fetch(`${controlUrl}/sim/stats/reset`, { method: 'POST' });
    const end = Date.now() + seconds * 1000;
    let sales = 0;
    while (Date.now() < end) {
      const order = await agent.sales.checkout([
        { lane: 1 + (sales % 4), quantity: 1 },
        { lane: 1 + ((sales + 1) % 4), quantity: 1 },
      ]);
      await fetch(`${sim.ready['url']}/sim/pay`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ outTradeNo: order.outTradeNo }),
      });
      while (!['completed', 'refunded'].includes(agent.store.orders.mustGet(order.outTradeNo).state))
        await sleep(10);
      sales++;
    }
    const busyP99 = report('agent selling', await stats(), `; ${sales} sales of 2 items in ${seconds} s`);
    console.log(
      `POLL answer p99 selling / idle: ${(busyP99 / Math.max(idleP99, 0.001)).toFixed(2)}x; target p99 < 20 ms: ${busyP99 < 20 ? 'met' : 'MISSED'}`,
    );
    await agent.close();
  } finally {
    for (const c of children.reverse()) await stop(c);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  await runSellingPollLatencyBench();
}
