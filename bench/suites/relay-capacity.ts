// What one relay on SQLite carries, from outside: the notify-relay program with many kiosks configured, that
// many kiosk websockets held at once (relay memory per connection, /healthz round trip while holding them as
// its event-loop delay), then signed notifies POSTed as fast as they are answered, spread over the kiosks,
// each timed from the POST to the kiosk receiving the event (it acks at once). Beside them, in the same run,
// the physical limits: RSA-2048 verifications per second on one core and fsync'd SQLite commits per second.
// Then the same notify load on two instances sharing one PostgreSQL server (relay-fleet-pg.ts).
import { createPublicKey, createVerify, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import Database from 'better-sqlite3';
import { signContent, loadPrivateKey } from '../../app/alipay/index.ts';
import { nowMs, opsPerSecond, type FigureSet } from '../lib/figures.ts';
import { connectInspector, INSPECT_ARG } from '../lib/inspector.ts';
import { measureFleetOnPostgres } from './relay-fleet-pg.ts';
import { Arrivals, TOKEN_ENV, connectKiosks, deliver, relayArgs, signedNotify } from '../lib/relay-load.ts';
import { rssMiB, sqliteBytes } from '../lib/proc.ts';
import { storeNotifiesPerSecond } from '../lib/store-rate.ts';
import { recordProfile } from '../lib/profile-figures.ts';
import { budget } from '../lib/budget.ts';
import type { Suite } from '../lib/suite.ts';
import { writeKeyPair, type KeyPairFiles } from '../../test/helpers/key-files.ts';
import { startProgram } from '../../test/helpers/processes.ts';
import { tempDir } from '../../test/helpers/temp-dir.ts';

/** fsync'd commits per second on this disk: one row per transaction, WAL, synchronous=FULL (as the relay). */
function sqliteCommitsPerSecond(file: string, ms: number): number {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec('CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, body TEXT NOT NULL)');
  const insert = db.prepare('INSERT INTO t (body) VALUES (?)');
  const body = 'x'.repeat(600); // about one notify's raw body
  const rate = opsPerSecond(() => insert.run(body), ms);
  db.close();
  return rate;
}

function rsaVerifyPerSecond(keys: KeyPairFiles, ms: number): number {
  const content = 'app_id=2021&out_trade_no=K1_1&total_amount=3.50&trade_status=TRADE_SUCCESS';
  const sign = signContent(content, loadPrivateKey(keys.privateKeyPem));
  // A key object parsed once, as the relay holds it: re-parsing the PEM each time would measure the parser.
  const publicKey = createPublicKey(keys.publicKeyPem);
  return opsPerSecond(
    () => createVerify('RSA-SHA256').update(content, 'utf8').verify(publicKey, sign, 'base64'),
    ms,
  );
}

async function healthzRoundTrips(relayUrl: string, n: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = nowMs();
    // Each on its own connection, like the notifies: a reused keep-alive connection may be closed by the
    // relay's keep-alive timeout just as it is reused (on a loaded machine that happens), failing the run.
    await new Promise<void>((resolve, reject) => {
      http
        .get(`${relayUrl}/healthz`, { agent: false }, (res) => {
          res.resume();
          res.on('end', resolve);
          res.on('error', reject);
        })
        .on('error', reject);
    });
    out.push(nowMs() - t0);
  }
  return out;
}

async function measureLimits(
  dir: string,
  keys: KeyPairFiles,
  ms: number,
): Promise<{ rsa: number; fsync: number }> {
  return {
    rsa: rsaVerifyPerSecond(keys, ms),
    fsync: sqliteCommitsPerSecond(path.join(dir, `fsync-${Date.now()}.sqlite`), ms),
  };
}

function recordLimits(
  figures: FigureSet,
  limits: Array<{ rsa: number; fsync: number }>,
): { rsa: number; fsync: number } {
  const rsa = figures.samples(
    'limit.rsa2048_verify_per_s_per_core',
    'RSA-2048 verifications per second, one core',
    'ops/s',
    limits.map((l) => l.rsa),
  );
  const fsync = figures.samples(
    'limit.sqlite_fsync_commits_per_s',
    "fsync'd SQLite commits per second on this disk",
    'commits/s',
    limits.map((l) => l.fsync),
  );
  return { rsa: rsa.p50, fsync: fsync.p50 };
}

/** Notifies signed, then delivered, per round. */
const ROUND = 2_000;

export const relayCapacitySuite: Suite = {
  name: 'relay-capacity',
  title:
    'one relay on SQLite: kiosk websockets held, notifies/s with p99 notify → kiosk, beside RSA and fsync limits; the same for two instances on PostgreSQL',
  async run({ quick, figures, progress }) {
    const kiosks = quick ? 100 : 10_000;
    // The 100,000 notifies, or as many as fit the delivery time allowed (relay-capacity.notifies).
    const wanted = budget(
      { env: 'BENCH_RELAY_NOTIFIES', quick: 200, full: 100_000, fullSeconds: 135 },
      quick,
    );
    const concurrency = 32;
    const dir = tempDir('f2f-bench-relay-');
    const alipay = writeKeyPair(dir, 'alipay');
    const token = randomBytes(24).toString('hex');
    const ids = Array.from({ length: kiosks }, (_, i) => `K${i + 1}`);
    const limits = [await measureLimits(dir, alipay, quick ? 200 : 1000)];
    // The connection cap (default 10 000) must leave room for the notifies and probes beside the kiosks.
    const config = path.join(dir, 'relay.json');
    fs.writeFileSync(config, JSON.stringify({ limits: { maxConnections: kiosks + 1000 } }));
    const relay = await startProgram(
      'notify-relay',
      relayArgs(alipay.publicKeyFile, ids, ['--config', config, '--db', path.join(dir, 'relay.sqlite')]),
      60_000,
      { env: { [TOKEN_ENV]: token }, nodeArgs: [INSPECT_ARG] },
    );
    const relayUrl = String(relay.ready['url']);
    const pid = relay.child.pid!;
    const rssBefore = rssMiB(pid);
    const received = new Arrivals();
    const sockets = await connectKiosks(relayUrl, ids, token, (no, at) => received.arrived(no, at));
    try {
      const rssHeld = rssMiB(pid);
      figures.value('websockets_held', 'kiosk websockets held at once', 'sockets', sockets.length, {
        target: { op: '>=', value: 10_000 },
      });
      figures.value('relay_rss_idle_mib', 'relay RSS before kiosks connect', 'MiB', rssBefore);
      figures.value('relay_rss_held_mib', 'relay RSS with every kiosk connected', 'MiB', rssHeld);
      figures.value(
        'kib_per_connection',
        'relay memory per kiosk websocket',
        'KiB',
        ((rssHeld - rssBefore) * 1024) / sockets.length,
      );
      figures.samples(
        'healthz_ms_while_held',
        '/healthz round trip while holding every websocket (event-loop delay)',
        'ms',
        await healthzRoundTrips(relayUrl, quick ? 20 : 200),
        { target: { op: '<', value: 100 }, targetOn: 'p99' },
      );

      // In rounds: a round is signed (clock stopped: signing is Alipay's work, not the relay's), then
      // delivered (clock running), until the count is reached or the delivery time allowed is spent.
      const key = loadPrivateKey(alipay.privateKeyPem);
      const latencies: number[] = [];
      let notifies = 0;
      let seconds = 0;
      while (notifies < wanted.count && seconds < wanted.seconds) {
        const round = Array.from({ length: Math.min(ROUND, wanted.count - notifies) }, (_, i) =>
          signedNotify(key, ids[(notifies + i) % ids.length]!, notifies + i),
        );
        const t0 = nowMs();
        latencies.push(...(await deliver([relayUrl], round, concurrency, received)));
        seconds += (nowMs() - t0) / 1000;
        notifies += round.length;
        progress(`${notifies} notifies delivered in ${seconds.toFixed(0)} s`);
      }
      const rate = notifies / seconds;
      figures.value('notifies', 'notifies delivered (the issue asks for 100,000)', 'notifies', notifies, {
        target: { op: '>=', value: 100_000 },
      });
      figures.value(
        'notifies_per_s',
        `verified notifies per second, ${concurrency} at a time over ${kiosks} kiosks`,
        'notifies/s',
        rate,
        { target: { op: '>=', value: 1000 } },
      );
      figures.samples(
        'notify_to_kiosk_ms',
        'notify POSTed → event at the kiosk (which acks at once)',
        'ms',
        latencies,
        { target: { op: '<', value: 100 }, targetOn: 'p99' },
      );
      figures.value('relay_rss_after_mib', `relay RSS after ${notifies} notifies`, 'MiB', rssMiB(pid));
      figures.value(
        'db_bytes_per_notify',
        'relay SQLite bytes per stored notify',
        'bytes',
        sqliteBytes(path.join(dir, 'relay.sqlite')) / notifies,
      );
      // Where the relay's time goes per notify: a further batch under the profiler, apart from the measured one.
      const inspector = await connectInspector(relay.log);
      const extra = Array.from({ length: Math.min(1_000, Math.ceil(notifies / 5)) }, (_, i) =>
        signedNotify(key, ids[i % ids.length]!, notifies + i),
      );
      await inspector.startProfile();
      await deliver([relayUrl], extra, concurrency, received);
      recordProfile(figures, 'relay_profile', 'relay CPU per notify', await inspector.stopProfile(), {
        unit: 'notify',
        count: extra.length,
      });
      inspector.close();
      limits.push(await measureLimits(dir, alipay, quick ? 200 : 1000));
      const limit = recordLimits(figures, limits);
      figures.value(
        'notifies_over_rsa_limit',
        'notifies/s ÷ RSA-2048 verify/s on one core',
        'x',
        rate / limit.rsa,
      );
      figures.value(
        'notifies_over_fsync_limit',
        "notifies/s ÷ fsync'd SQLite commits/s",
        'x',
        rate / limit.fsync,
      );
    } finally {
      for (const ws of sockets) ws.terminate();
      await relay.stop();
      fs.rmSync(path.join(dir, 'relay.sqlite'), { force: true });
    }
    // Group commit on its own: the store with one notify in flight (one fsync each) and with 32.
    for (const inFlight of [1, concurrency]) {
      figures.value(
        `store_notifies_per_s_${inFlight}_in_flight`,
        `the SQLite store alone (no HTTP, no RSA): notifies stored per second, ${inFlight} in flight`,
        'notifies/s',
        await storeNotifiesPerSecond(dir, inFlight, quick ? 500 : 3000),
      );
    }
    await measureFleetOnPostgres({ quick, figures, progress, alipay, concurrency });
  },
};
