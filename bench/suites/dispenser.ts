// POLL answer latency of the FAFB driver while the agent's event loop is busy.
// The board (vmc-sim, its own process) POLLs over a real socat PTY every 100 ms and times each answer;
// this process runs the driver and, meanwhile, hammers a SQLite file and does JSON work in ~5 ms slices,
// as the sale logic would. The protocol allows 100 ms; the target is p99 < 20 ms.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, unlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { createFafbDispenser, openSerialPort } from '../../app/dispenser/index.ts';
import type { FigureSet } from '../lib/figures.ts';
import type { Suite } from '../lib/suite.ts';

interface Latency {
  n: number;
  p50: number;
  p99: number;
  max: number;
}
interface SimStats {
  polls: number;
  lateAnswers: number;
  unanswered: number;
  answerLatencyMs: Latency;
}

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Keeps the event loop busy in slices of about `sliceMs` until stopped. */
function busyLoad(dbFile: string, sliceMs: number): { stop(): { slices: number; rows: number } } {
  const db = new Database(dbFile);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec('CREATE TABLE IF NOT EXISTS ev (id INTEGER PRIMARY KEY, body TEXT NOT NULL)');
  const insert = db.prepare('INSERT INTO ev (body) VALUES (?)');
  const recent = db.prepare('SELECT body FROM ev ORDER BY id DESC LIMIT 50');
  let running = true;
  let slices = 0;
  let rows = 0;
  const slice = (): void => {
    if (!running) return;
    const end = performance.now() + sliceMs;
    db.transaction(() => {
      while (performance.now() < end) {
        const body = JSON.stringify({
          seq: rows,
          items: Array.from({ length: 20 }, (_, i) => ({ lane: i, fen: i * 150 })),
        });
        insert.run(body);
        rows++;
        if (rows % 100 === 0) for (const r of recent.all() as Array<{ body: string }>) JSON.parse(r.body);
      }
    })();
    slices++;
    setImmediate(slice);
  };
  setImmediate(slice);
  return {
    stop() {
      running = false;
      db.close();
      return { slices, rows };
    },
  };
}

async function simStats(controlUrl: string): Promise<SimStats> {
  return (await (await fetch(`${controlUrl}/sim/stats`)).json()) as SimStats;
}

async function runDispenserBench(figures: FigureSet, quick: boolean): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-dispenser-'));
  const a = path.join(dir, 'kiosk');
  const b = path.join(dir, 'board');
  const socat = spawn(
    '/usr/bin/socat',
    ['-d', '-d', `pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`],
    { stdio: 'ignore' },
  );
  const sim = spawn(
    process.execPath,
    [
      path.join(root, 'bin/vmc-sim.js'),
      '--device',
      b,
      '--lanes',
      '1-4',
      '--stock',
      '200',
      '--poll-ms',
      '100',
      '--motor-ms',
      '200',
    ],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  try {
    while (!(existsSync(a) && existsSync(b))) await sleep(20);
    const controlUrl = await new Promise<string>((resolve, reject) => {
      createInterface({ input: sim.stdout! }).once('line', (l) =>
        resolve((JSON.parse(l) as { controlUrl: string }).controlUrl),
      );
      sim.once('exit', (c) => reject(new Error(`vmc-sim exited ${c}`)));
    });
    const driver = createFafbDispenser({ openPort: () => openSerialPort(a), dropSensor: true });
    while (driver.linkState !== 'up') await sleep(20);

    const phase = async (key: string, label: string, ms: number, sliceMs: number): Promise<void> => {
      await fetch(`${controlUrl}/sim/stats/reset`, { method: 'POST' });
      const work = sliceMs > 0 ? busyLoad(path.join(dir, 'busy.sqlite'), sliceMs) : null;
      const end = Date.now() + ms;
      let vends = 0;
      let delivered = 0;
      while (Date.now() < end) {
        // One sale a second: the rest of the time the board just POLLs.
        const o = await driver.vend(1 + (vends % 4), `B${vends}`);
        vends++;
        if (o.kind === 'delivered') delivered++;
        await sleep(1000);
      }
      const done = work?.stop();
      const s = await simStats(controlUrl);
      const l = s.answerLatencyMs;
      const note =
        `${delivered}/${vends} delivered` +
        (done ? `; ${done.slices} slices of ~${sliceMs} ms, ${done.rows} rows` : '');
      figures.value(`${key}.answer_p50_ms`, `POLL answer p50, driver ${label}`, 'ms', l.p50, { note });
      figures.value(`${key}.answer_p99_ms`, `POLL answer p99, driver ${label}`, 'ms', l.p99, {
        target: { op: '<', value: 20 },
      });
      figures.value(`${key}.answer_max_ms`, `POLL answer max, driver ${label}`, 'ms', l.max);
      figures.value(
        `${key}.late_or_unanswered`,
        `POLLs late (>100 ms) or unanswered, driver ${label}`,
        'POLLs',
        s.lateAnswers + s.unanswered,
      );
    };
    const scale = quick ? 0.25 : 1;
    await phase('idle', 'idle', 4000 * scale, 0);
    await phase('busy_5ms', 'busy, 5 ms SQLite slices', 8000 * scale, 5);
    await phase('busy_2ms', 'busy, 2 ms SQLite slices', 8000 * scale, 2);
    await driver.close();
  } finally {
    sim.kill('SIGTERM');
    await new Promise((r) => (sim.exitCode !== null ? r(null) : sim.once('exit', r)));
    socat.kill('SIGTERM');
    await new Promise((r) => (socat.exitCode !== null ? r(null) : socat.once('exit', r)));
    for (const p of [a, b]) if (existsSync(p)) unlinkSync(p);
    rmSync(dir, { recursive: true, force: true });
  }
}

export const dispenserSuite: Suite = {
  name: 'dispenser',
  title: 'the FAFB driver alone under synthetic event-loop load (SQLite slices), POLL answer latency',
  run: ({ figures, quick }) => runDispenserBench(figures, quick),
};
