// The board simulator's control port (127.0.0.1 only): read its motor runs, lanes and link statistics, inject
// faults (jam, no drop, silence = board offline, …) and press "fully loaded". Used by the vmc-sim program and
// by the demo profile, so a newcomer can try a jam without building a stack of processes by hand.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseFault, SimFaultError } from './faults.ts';
import type { VmcSim } from './vmc-sim.ts';

export interface VmcControlServer {
  readonly url: string;
  close(): Promise<void>;
}

const MAX_BODY_CHARS = 64 * 1024;

class BodyTooLarge extends Error {}

/** p50 / p99 / max of the POLL → answer latencies, in ms with 0.1 ms resolution. */
function summarize(values: number[]): { n: number; p50: number; p99: number; max: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number): number =>
    Math.round((sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0) * 10) / 10;
  return { n: sorted.length, p50: at(0.5), p99: at(0.99), max: at(1) };
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => {
      body += c;
      if (body.length > MAX_BODY_CHARS) reject(new BodyTooLarge('body too large'));
    });
    req.on('end', () => resolve(body));
    req.on('error', reject);
  });
}

export async function startVmcControlServer(sim: VmcSim, port = 0): Promise<VmcControlServer> {
  const json = (res: http.ServerResponse, status: number, body: unknown): void => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const server = http.createServer((req, res) => {
    const url = req.url ?? '/';
    // `?from=N`: the runs after the first N, so that a long run's caller does not fetch the whole record
    // after every sale (10,000 runs are a megabyte of JSON).
    const runs = /^\/sim\/motor-runs(?:\?from=(\d{1,9}))?$/.exec(url);
    if (req.method === 'GET' && runs) return json(res, 200, sim.motorRuns().slice(Number(runs[1] ?? 0)));
    if (req.method === 'GET' && url === '/sim/lanes') return json(res, 200, sim.lanes());
    if (req.method === 'GET' && url === '/sim/stats') {
      const { answerLatenciesMs, ...stats } = sim.stats();
      return json(res, 200, { ...stats, answerLatencyMs: summarize(answerLatenciesMs) });
    }
    if (req.method === 'POST' && url === '/sim/stats/reset') {
      sim.resetStats();
      return json(res, 200, { ok: true });
    }
    if (req.method === 'POST' && url === '/sim/fully-loaded') {
      sim.pressFullyLoaded();
      return json(res, 200, { ok: true });
    }
    if (req.method === 'POST' && url === '/sim/release-motor') {
      return json(res, 200, { released: sim.releaseMotor() });
    }
    if (req.method === 'POST' && url === '/sim/faults') {
      readBody(req)
        .then((body) => {
          let parsed: unknown;
          try {
            parsed = JSON.parse(body);
          } catch {
            return json(res, 400, { error: 'body is not JSON' });
          }
          const list = (Array.isArray(parsed) ? parsed : [parsed]).map(parseFault);
          sim.setFault(list);
          json(res, 200, { ok: true, applied: list.length });
        })
        .catch((err: Error) =>
          json(res, err instanceof SimFaultError || err instanceof BodyTooLarge ? 400 : 500, {
            error: err.message,
          }),
        );
      return;
    }
    json(res, 404, { error: `no route ${req.method ?? ''} ${url}` });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const { port: boundPort } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${boundPort}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
