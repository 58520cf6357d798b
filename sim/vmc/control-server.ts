// The board simulator's control port (127.0.0.1 only): read its motor runs, lanes and link statistics, inject
// faults (jam, no drop, silence = board offline, …) and press "fully loaded". Used by the vmc-sim program and
// by the demo profile, so a newcomer can try a jam without building a stack of processes by hand. The ZDM8
// simulator's port (zdm8-control.ts) is served by the same `startControlServer`, with its own routes.
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

/**
 * A board simulator's control routes, by path: GET gets the query and returns a JSON body; POST gets the
 * request body as text. Either may throw SimFaultError for a bad request (answered 400).
 */
export interface ControlRoutes {
  readonly get: Readonly<Record<string, (query: URLSearchParams) => unknown>>;
  /** May throw SimFaultError for a bad body (answered 400). */
  readonly post: Readonly<Record<string, (body: string) => unknown>>;
}

/**
 * `GET /sim/motor-runs[?from=N]`: the runs after the first N, so that a long run's caller does not fetch the
 * whole record after every sale (10,000 runs are a megabyte of JSON).
 */
export function runsFrom<T>(runs: readonly T[], query: URLSearchParams): T[] {
  const from = query.get('from') ?? '0';
  if (!/^\d{1,9}$/.test(from)) throw new SimFaultError('from must be a whole number');
  return runs.slice(Number(from));
}

/** Parses a POST body of faults: one JSON fault or an array of them. */
export function faultList(body: string): unknown[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new SimFaultError('body is not JSON');
  }
  return Array.isArray(parsed) ? parsed : [parsed];
}

export function startVmcControlServer(sim: VmcSim, port = 0): Promise<VmcControlServer> {
  return startControlServer(
    {
      get: {
        '/sim/motor-runs': (query) => runsFrom(sim.motorRuns(), query),
        '/sim/lanes': () => sim.lanes(),
        '/sim/stats': () => {
          const { answerLatenciesMs, ...stats } = sim.stats();
          return { ...stats, answerLatencyMs: summarize(answerLatenciesMs) };
        },
      },
      post: {
        '/sim/stats/reset': () => (sim.resetStats(), { ok: true }),
        '/sim/fully-loaded': () => (sim.pressFullyLoaded(), { ok: true }),
        '/sim/release-motor': () => ({ released: sim.releaseMotor() }),
        '/sim/faults': (body) => {
          const list = faultList(body).map(parseFault);
          sim.setFault(list);
          return { ok: true, applied: list.length };
        },
      },
    },
    port,
  );
}

export async function startControlServer(routes: ControlRoutes, port = 0): Promise<VmcControlServer> {
  const json = (res: http.ServerResponse, status: number, body: unknown): void => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const server = http.createServer((req, res) => {
    const url = req.url ?? '/';
    const cut = url.indexOf('?');
    const pathname = cut < 0 ? url : url.slice(0, cut);
    // Own keys only: a request for "constructor" is no route.
    const get =
      req.method === 'GET' && Object.hasOwn(routes.get, pathname) ? routes.get[pathname] : undefined;
    if (get) {
      try {
        return json(res, 200, get(new URLSearchParams(cut < 0 ? '' : url.slice(cut + 1))));
      } catch (err) {
        return json(res, err instanceof SimFaultError ? 400 : 500, { error: (err as Error).message });
      }
    }
    const post = req.method === 'POST' && Object.hasOwn(routes.post, url) ? routes.post[url] : undefined;
    if (!post) return json(res, 404, { error: `no route ${req.method ?? ''} ${url}` });
    readBody(req)
      .then((body) => json(res, 200, post(body)))
      .catch((err: Error) =>
        json(res, err instanceof SimFaultError || err instanceof BodyTooLarge ? 400 : 500, {
          error: err.message,
        }),
      );
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
