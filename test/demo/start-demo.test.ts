// The demo profile tells a newcomer where the simulators are, and its board simulator has a control port:
// a jam can be tried without building a stack of processes by hand.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startDemo } from '../../demo/start-demo.ts';
import { tempDir } from '../helpers/temp-dir.ts';

test('the demo prints the Alipay simulator and board control URLs, and the control port takes a jam', async () => {
  const logged: string[] = [];
  const demo = await startDemo(tempDir('f2f-demo-'), (line) => logged.push(line));
  try {
    const text = logged.join('\n');
    assert.ok(text.includes(`DEMO Alipay simulator: ${demo.alipaySimUrl}`), text);
    assert.ok(text.includes(`${demo.alipaySimUrl}/sim/trades`), text);
    assert.ok(text.includes(`DEMO board control: ${demo.boardControlUrl}`), text);
    assert.match(
      text,
      /jam lane 3: +curl -X POST http:\/\/127\.0\.0\.1:\d+\/sim\/faults -d '\{"kind":"jam","lane":3\}'/,
    );

    const jam = await fetch(`${demo.boardControlUrl}/sim/faults`, {
      method: 'POST',
      body: JSON.stringify({ kind: 'jam', lane: 3 }),
    });
    assert.equal(jam.status, 200, await jam.text());
    const bad = await fetch(`${demo.boardControlUrl}/sim/faults`, {
      method: 'POST',
      body: '{"kind":"melt"}',
    });
    assert.equal(bad.status, 400);
    const lanes = (await (await fetch(`${demo.boardControlUrl}/sim/lanes`)).json()) as unknown[];
    assert.ok(lanes.length > 0);
  } finally {
    await demo.close();
  }
});
