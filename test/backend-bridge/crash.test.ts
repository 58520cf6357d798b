// The relay killed with SIGKILL in the middle of a burst of 1,000 notifies while a kiosk is connected; a
// new relay process takes over the same SQLite database and port. Every notify that was answered `success`
// reaches the kiosk, and none is applied twice ("success only after the commit", and the log's epochs).
import fs from 'node:fs';
import { test } from 'node:test';
import { burstThroughKill } from './burst.ts';
import { postNotify, tempDir } from './helpers.ts';
import { kioskOnRelay } from './kiosk-link.ts';
import { startRelayProcess } from './relay-process.ts';
import type { RelayProcess } from './relay-process.ts';

test('kill -9 during a burst of 1,000 notifies: every success is delivered to the kiosk, none twice', async () => {
  const dir = tempDir();
  let relay: RelayProcess = await startRelayProcess({}, { dir });
  const url = relay.url;
  const kiosk = kioskOnRelay(url);
  try {
    await burstThroughKill({
      applied: kiosk.applied,
      send: async (_i, body) => (await postNotify(url, body)).text,
      kill: async () => {
        relay.child.kill('SIGKILL');
        await relay.stop();
        relay = await startRelayProcess({ port: relay.port }, { dir });
      },
    });
  } finally {
    await kiosk.stop();
    await relay.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
