// The unattended browser host: the agent starts Chromium on its own screen (config host.browser) with nobody
// at the machine, the token handed over through a file only the agent's user can read. The agent is then
// killed with SIGKILL and started again: the same browser window comes back to a sellable screen by itself.
// Chromium runs headless here with a DevTools port so the test can watch the page the agent opened; a kiosk
// never sets that flag.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { waitFor } from '../helpers/agent-harness.ts';
import { onCleanup } from '../helpers/cleanup.ts';
import { processAlive } from '../helpers/pid.ts';
import { startStack } from '../helpers/stack.ts';

const SCREEN_BACK_WITHIN_MS = 10_000;

/** The page the agent's browser shows once its launch page has sent it on to the screen. */
async function screenPage(browser: Browser): Promise<Page> {
  let found: Page | undefined;
  await waitFor(() => {
    found = browser
      .contexts()
      .flatMap((c) => c.pages())
      .find((p) => p.url().startsWith('http://127.0.0.1:'));
    return found !== undefined;
  }, 'the screen page in the agent-started browser');
  return found!;
}

test('the agent shows the screen itself, and after kill -9 and a restart the same window is sellable again within 10 s', async () => {
  const stack = await startStack({
    agentConfig: (config) => ({
      ...config,
      host: {
        browser: {
          executable: '/usr/bin/chromium',
          args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--remote-debugging-port=0'],
        },
      },
    }),
  });
  const screenDir = path.join(stack.dir, 'agent', 'screen');
  const pidFile = path.join(screenDir, 'browser.pid');
  const portFile = path.join(screenDir, 'chromium', 'DevToolsActivePort');
  await waitFor(() => fs.existsSync(portFile) && fs.existsSync(pidFile), 'the browser the agent started');
  const browserPid = Number(fs.readFileSync(pidFile, 'utf8'));
  onCleanup(() => {
    if (processAlive(browserPid)) process.kill(browserPid, 'SIGKILL');
  });
  const devtoolsPort = fs.readFileSync(portFile, 'utf8').split('\n')[0];
  const browser = await chromium.connectOverCDP(`http://127.0.0.1:${devtoolsPort}`);
  onCleanup(() => browser.close());
  const page = await screenPage(browser);
  const sellable = () =>
    page
      .locator('#app[data-screen="idle"] [data-testid="product-2"]:not([disabled])')
      .waitFor({ timeout: SCREEN_BACK_WITHIN_MS });
  await sellable();

  // The handover: the token is in no command line, no log line, and only in files of this user alone.
  const token = JSON.parse(fs.readFileSync(path.join(screenDir, 'handover.json'), 'utf8')).token as string;
  assert.match(token, /^[0-9a-f]{64}$/);
  assert.equal(fs.statSync(screenDir).mode & 0o777, 0o700);
  for (const file of ['handover.json', 'launch.html'])
    assert.equal(fs.statSync(path.join(screenDir, file)).mode & 0o777, 0o600, file);
  assert.ok(
    !fs.readFileSync(`/proc/${browserPid}/cmdline`, 'utf8').includes(token),
    'not on the command line',
  );
  assert.ok(!stack.agent.log().includes(token), 'not in the log');
  assert.ok(!page.url().includes(token), 'not left in the address');

  // kill -9: no shutdown code runs; the browser is left behind with its page.
  const killed = stack.agent;
  killed.child.kill('SIGKILL');
  await once(killed.child, 'exit');
  await page.getByTestId('connection-notice').waitFor({ state: 'visible' });
  assert.ok(processAlive(browserPid), 'the browser outlives the killed agent');

  // Started again (as systemd's Restart=always would): the screen comes back by itself.
  const back = sellable();
  await stack.startAgent();
  await back;
  await page.getByTestId('connection-notice').waitFor({ state: 'hidden' });
  assert.equal(Number(fs.readFileSync(pidFile, 'utf8')), browserPid, 'the same browser, adopted');
  assert.equal(browser.contexts().flatMap((c) => c.pages()).length, 1, 'no second window was opened');
  assert.match(stack.agent.log(), /still shows the screen; it reconnects by itself/);

  // Sellable for real: a checkout reaches the QR code.
  await page.getByTestId('product-2').click();
  await page.getByTestId('checkout').click();
  await page.locator('#app[data-screen="payment"] [data-testid="qr"]:not([hidden])').waitFor();

  // A normal stop ends the browser the agent was showing.
  await stack.agent.stop();
  await waitFor(() => !processAlive(browserPid), 'the browser to end with the agent');
});
