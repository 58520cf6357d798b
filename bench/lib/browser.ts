// Debian's Chromium driven by playwright-core with the project's standard flags.
import { chromium, type Browser } from 'playwright-core';
import { onCleanup } from '../../test/helpers/cleanup.ts';

export async function launchChromium(): Promise<Browser> {
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  onCleanup(() => browser.close());
  return browser;
}
