// A program's V8 heap read from outside through the inspector protocol (the program is started with
// --inspect=127.0.0.1:0): a full GC first, so that what is left is what the program holds.
import WebSocket from 'ws';

export interface HeapReader {
  /** Used heap in MiB after a forced garbage collection. */
  usedAfterGcMiB(): Promise<number>;
  close(): void;
}

export async function connectHeapReader(stderr: () => string): Promise<HeapReader> {
  const url = /Debugger listening on (ws:\/\/127\.0\.0\.1:\d+\/[\w-]+)/.exec(stderr())?.[1];
  if (!url) throw new Error('the program did not print its inspector URL');
  const ws = new WebSocket(url);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  ws.on('error', () => {}); // the program exiting under us is the end of the run, not a failure
  let next = 1;
  const call = (method: string) =>
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
      ws.send(JSON.stringify({ id, method }));
    });
  return {
    usedAfterGcMiB: async () => {
      await call('HeapProfiler.collectGarbage');
      return Number((await call('Runtime.getHeapUsage'))['usedSize']) / 2 ** 20;
    },
    close: () => ws.close(),
  };
}
