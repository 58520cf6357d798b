// Start-up as an operator sees it after a power cut: kiosk-agent (browser host, production profile with the
// relay, alipay-sim and vmc-sim already running) launched to its ready line, then a Chromium kiosk window
// loading the screen until the first product tile is enabled (UI interactive). The agent runs from the bundle
// `npm run build` makes (dist/cli), as production does; `--help` is also timed from the TypeScript through
// tsx, interleaved, to show what the bundle saves. One more start runs with --cpu-prof: its self time per
// origin says where the start-up goes.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Page } from 'playwright-core';
import { launchChromium } from '../lib/browser.ts';
import { recordProfile } from '../lib/profile-figures.ts';
import { nowMs } from '../lib/figures.ts';
import { startSellingKiosk } from '../lib/selling-kiosk.ts';
import type { Suite } from '../lib/suite.ts';
import { repoRoot } from '../../test/helpers/processes.ts';

/**
 * `kiosk-agent --help`: every module the agent imports is loaded, nothing is started. From the bundle
 * `npm run build` made (what production starts), or from the TypeScript through tsx (F2F_FROM_SOURCE=1).
 */
async function helpRun(fromSource: boolean): Promise<number> {
  const t0 = nowMs();
  await promisify(execFile)(process.execPath, [path.join(repoRoot, 'bin', 'kiosk-agent.js'), '--help'], {
    env: { ...process.env, F2F_FROM_SOURCE: fromSource ? '1' : '0' },
  });
  return nowMs() - t0;
}

async function tilesEnabled(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await page.waitForFunction(() => {
    const tile = document.querySelector('[data-testid="product-1"]') as HTMLButtonElement | null;
    return tile !== null && !tile.disabled;
  });
}

export const startupSuite: Suite = {
  name: 'startup',
  title: 'kiosk-agent launch → ready line → UI interactive (first tile enabled), with a CPU profile',
  async run({ quick, figures }) {
    const kiosk = await startSellingKiosk({ sales: 10, deferAgent: true });
    const page = await (await launchChromium()).newPage({ viewport: { width: 1080, height: 1600 } });
    const ready: number[] = [];
    const help: number[] = [];
    const helpFromSource: number[] = [];
    const interactive: number[] = [];
    for (let i = 0; i < (quick ? 1 : 5); i++) {
      help.push(await helpRun(false));
      helpFromSource.push(await helpRun(true));
      const t0 = nowMs();
      await kiosk.stack.startAgent();
      ready.push(nowMs() - t0);
      await tilesEnabled(page, kiosk.stack.agentUrl());
      interactive.push(nowMs() - t0);
      await page.goto('about:blank');
      await kiosk.stack.agent.stop();
    }
    const helpSpread = figures.samples(
      'help_exit_ms',
      'kiosk-agent --help → exit: node + loading the bundled module graph',
      'ms',
      help,
    );
    const sourceSpread = figures.samples(
      'help_exit_from_source_ms',
      'the same from TypeScript through tsx (F2F_FROM_SOURCE=1), interleaved',
      'ms',
      helpFromSource,
    );
    figures.value(
      'source_over_bundle',
      'help from TypeScript ÷ from the bundle, at p50',
      'x',
      sourceSpread.p50 / helpSpread.p50,
    );
    figures.samples('ready_line_ms', 'launch → ready line', 'ms', ready);
    figures.samples(
      'ui_interactive_ms',
      'launch → first product tile enabled in Chromium',
      'ms',
      interactive,
      {
        target: { op: '<', value: 2000 },
      },
    );

    const profileDir = path.join(kiosk.stack.dir, 'cpu-profile');
    await kiosk.stack.startAgent({ nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] });
    await tilesEnabled(page, kiosk.stack.agentUrl());
    await kiosk.stack.agent.stop();
    const file = fs.readdirSync(profileDir).find((f) => f.endsWith('.cpuprofile'));
    if (!file) throw new Error('kiosk-agent wrote no CPU profile');
    recordProfile(figures, 'profile', 'profiled start, launch to exit', path.join(profileDir, file));
  },
};
