// A program's V8 read from outside through the inspector protocol (the program is started with
// --inspect=127.0.0.1:0): its heap after a full GC, and CPU profiles of exactly the window being measured.
import WebSocket from 'ws';
import type { CpuProfile } from './cpu-profile.ts';

export interface Inspector {
  /** Used heap in MiB after a forced garbage collection. */
  usedHeapAfterGcMiB(): Promise<number>;
  startProfile(): Promise<void>;
  stopProfile(): Promise<CpuProfile>;
  close(): void;
}

/** node flag that opens the inspector on a free loopback port. */
export const INSPECT_ARG = '--inspect=127.0.0.1:0';

export async function connectInspector(stderr: () => string): Promise<Inspector> {
  const url = /Debugger listening on (ws:\/\/127\.0\.0\.1:\d+\/[\w-]+)/.exec(stderr())?.[1];
  if (!url) throw new Error('the program did not print its inspector URL');
  const ws = new WebSocket(url);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  ws.on('error', () => {}); // the program exiting under us is the end of the run, not a failure
  let next = 1;
  const call = (method: string, params: Record<string, unknown> = {}) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const id = next++;
      const onMessage = (data: WebSocket.RawData) => {
        const msg = JSON.parse(data.toString()) as {
          id?: number;
          result?: Record<string, unknown>;
          error?: unknown;
        };
        if (msg.id !== id) return;
        ws.off('message', onMessage);
        if (msg.error) reject(new Error(`${method}: ${JSON.stringify(msg.error)}`));
        else resolve(msg.result ?? {});
      };
      ws.on('message', onMessage);
      ws.send(JSON.stringify({ id, method, params }));
    });
  return {
    usedHeapAfterGcMiB: async () => {
      await call('HeapProfiler.collectGarbage');
      return Number((await call('Runtime.getHeapUsage'))['usedSize']) / 2 ** 20;
    },
    startProfile: async () => {
      await call('Profiler.enable');
      await call('Profiler.setSamplingInterval', { interval: 500 });
      await call('Profiler.start');
    },
    stopProfile: async () => (await call('Profiler.stop'))['profile'] as CpuProfile,
    close: () => ws.close(),
  };
}
