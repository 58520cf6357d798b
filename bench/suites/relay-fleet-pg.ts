// Two relay instances on one PostgreSQL server (started for the run: test/helpers/postgres.ts), as a fleet
// runs behind a load balancer: half the kiosks hold their websocket on each instance, signed notifies go to
// the instances in turn, and each is timed from the POST to the kiosk receiving the event (it acks at once),
// so most notifies cross instances through NOTIFY. Part of the relay-capacity suite, beside the SQLite figures.
import { randomBytes } from 'node:crypto';
import { loadPrivateKey } from '../../app/alipay/index.ts';
import type { KeyPairFiles } from '../../test/helpers/key-files.ts';
import { startPostgres } from '../../test/helpers/postgres.ts';
import { startProgram } from '../../test/helpers/processes.ts';
import { nowMs, type FigureSet } from '../lib/figures.ts';
import { Arrivals, TOKEN_ENV, connectKiosks, deliver, relayArgs, signedNotify } from '../lib/relay-load.ts';

export async function measureFleetOnPostgres(opts: {
  quick: boolean;
  figures: FigureSet;
  progress: (line: string) => void;
  alipay: KeyPairFiles;
  concurrency: number;
}): Promise<void> {
  const { quick, figures, progress, alipay, concurrency } = opts;
  const kiosks = quick ? 50 : 1000;
  const notifies = quick ? 200 : 3000;
  const token = randomBytes(24).toString('hex');
  const ids = Array.from({ length: kiosks }, (_, i) => `K${i + 1}`);
  progress('starting PostgreSQL and two relay instances');
  const server = await startPostgres();
  try {
    const url = await server.createDatabase('relay');
    const start = () =>
      startProgram('notify-relay', relayArgs(alipay.publicKeyFile, ids, ['--database', url]), 60_000, {
        env: { [TOKEN_ENV]: token },
      });
    const a = await start();
    const b = await start();
    const urls = [String(a.ready['url']), String(b.ready['url'])];
    const received = new Arrivals();
    const onEvent = (no: string, at: number) => received.arrived(no, at);
    const sockets = [
      ...(await connectKiosks(urls[0]!, ids.slice(0, kiosks / 2), token, onEvent)),
      ...(await connectKiosks(urls[1]!, ids.slice(kiosks / 2), token, onEvent)),
    ];
    try {
      progress(`signing ${notifies} notifies`);
      const key = loadPrivateKey(alipay.privateKeyPem);
      const batch = Array.from({ length: notifies }, (_, i) => signedNotify(key, ids[i % ids.length]!, i));
      const t0 = nowMs();
      const latencies = await deliver(urls, batch, concurrency, received);
      const rate = notifies / ((nowMs() - t0) / 1000);
      figures.value(
        'pg_fleet_notifies_per_s',
        `two instances on PostgreSQL: verified notifies per second, ${concurrency} at a time, alternating instances`,
        'notifies/s',
        rate,
      );
      figures.samples(
        'pg_fleet_notify_to_kiosk_ms',
        'two instances on PostgreSQL: notify POSTed → event at the kiosk (half of them held by the other instance)',
        'ms',
        latencies,
        { target: { op: '<', value: 100 }, targetOn: 'p99' },
      );
    } finally {
      for (const ws of sockets) ws.terminate();
      await a.stop();
      await b.stop();
    }
  } finally {
    await server.stop();
  }
}
