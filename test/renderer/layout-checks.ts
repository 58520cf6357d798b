// The layout and accessibility check of every screen at one size, in Chromium: each button on screen is
// inside the window and not covered by anything, nothing is clipped sideways, the QR code decodes from a
// screenshot of the whole window, and axe-core finds no serious or critical accessibility violation. One test
// file per size (layout-*.test.ts), so each walk has a test file's time to itself.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { AxeBuilder } from '@axe-core/playwright';
import type { Page } from 'playwright-core';
import { decodeQrPng } from '../helpers/qr-from-screenshot.ts';
import { startKioskUiRig, type KioskUiRig } from './harness.ts';
import { tourScreens, type SCREEN_SIZES } from './screen-tour.ts';

interface Blocked {
  readonly testId: string;
  readonly why: string;
}

/** Buttons a customer or technician could not press without scrolling: outside the window, or covered. */
function unreachableButtons(page: Page): Promise<Blocked[]> {
  return page.evaluate(() => {
    const blocked: { testId: string; why: string }[] = [];
    for (const button of document.querySelectorAll<HTMLButtonElement>('button')) {
      const rect = button.getBoundingClientRect();
      if (rect.width === 0 || rect.height === 0 || button.dataset['testid'] === 'maintenance-corner')
        continue;
      const testId = button.dataset['testid'] ?? button.textContent ?? '?';
      // A technician's list of lanes may be longer than any screen: it scrolls in its own box under a header
      // that stays; its buttons must still fit sideways.
      const inList = button.closest('[data-scroll-list]') !== null;
      if (inList) {
        if (rect.left < 0 || rect.right > innerWidth + 0.5)
          blocked.push({ testId, why: `clipped sideways: ${JSON.stringify(rect)}` });
        continue;
      }
      const inside =
        rect.left >= 0 && rect.top >= 0 && rect.right <= innerWidth + 0.5 && rect.bottom <= innerHeight + 0.5;
      if (!inside) {
        blocked.push({ testId, why: `outside the window: ${JSON.stringify(rect)}` });
        continue;
      }
      const hit = document.elementFromPoint(rect.left + rect.width / 2, rect.top + rect.height / 2);
      if (hit === null || !button.contains(hit))
        blocked.push({ testId, why: `covered by ${hit?.outerHTML.slice(0, 80) ?? 'nothing'}` });
      if (rect.height < 44) blocked.push({ testId, why: `only ${rect.height} px high` });
    }
    const screen = document.querySelector('.screen');
    if (screen !== null && screen.scrollWidth > screen.clientWidth + 1)
      blocked.push({
        testId: 'screen',
        why: `clipped sideways (${screen.scrollWidth} > ${screen.clientWidth})`,
      });
    return blocked;
  });
}

/** The QR canvas is fully inside the window and nothing lies over any part of it. */
function qrCovered(page: Page): Promise<string | null> {
  return page.evaluate(() => {
    const qr = document.querySelector('[data-testid="qr"]')!;
    const r = qr.getBoundingClientRect();
    if (r.left < 0 || r.top < 0 || r.right > innerWidth || r.bottom > innerHeight)
      return 'outside the window';
    for (const fx of [0.02, 0.5, 0.98])
      for (const fy of [0.02, 0.5, 0.98]) {
        const hit = document.elementFromPoint(r.left + r.width * fx, r.top + r.height * fy);
        if (hit !== qr) return `covered at (${fx}, ${fy}) by ${hit?.outerHTML.slice(0, 80)}`;
      }
    return null;
  });
}

/**
 * axe-core paces its work with timers, and the walk holds the page's clock (screen-tour.ts). The clock is
 * moved on a millisecond at a time while axe runs: its timers fire, while the few milliseconds of page time
 * that pass can never reach a closing screen's 5 s.
 */
async function analyzeOnHeldClock(page: Page): ReturnType<AxeBuilder['analyze']> {
  let done = false;
  // Legacy mode: axe runs in this page only. The default finishes in a second, blank page of the same context,
  // whose closing would race the clock calls (the clock is the context's); the kiosk page has no frames.
  const analysis = new AxeBuilder({ page })
    .setLegacyMode()
    .analyze()
    .finally(() => {
      done = true;
    });
  while (!done) await page.clock.runFor(1);
  return analysis;
}

export function describeLayout(size: (typeof SCREEN_SIZES)[number]): void {
  let rig: KioskUiRig;
  before(async () => {
    rig = await startKioskUiRig();
  });
  after(async () => {
    await rig.close();
  });
  describe(`${size.name} ${size.width}×${size.height}`, () => {
    test('every screen: actions on screen, nothing covered, QR decodes, no serious axe violation', async () => {
      rig.agent.reset();
      const { context, page, consoleErrors } = await rig.newPage({ width: size.width, height: size.height });
      const seen: string[] = [];
      try {
        await tourScreens(page, rig, async (screen, label) => {
          seen.push(screen);
          const where = `${screen} (${label}) at ${size.width}×${size.height}`;
          assert.deepEqual(await unreachableButtons(page), [], where);
          if (screen === 'payment') {
            assert.equal(await qrCovered(page), null, where);
            const decoded = decodeQrPng(await page.screenshot());
            assert.equal(decoded, rig.agent.current?.qrCode, `QR from a screenshot of the window, ${where}`);
          }
          const axe = await analyzeOnHeldClock(page);
          const bad = axe.violations
            .filter((v) => v.impact === 'serious' || v.impact === 'critical')
            .map((v) => `${v.id}: ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
          assert.deepEqual(bad, [], `axe on ${where}`);
        });
      } finally {
        await context.close();
      }
      assert.deepEqual([...new Set(seen)].sort(), [
        'attract',
        'dispensing',
        'done',
        'error',
        'expired',
        'idle',
        'locked',
        'maintenance',
        'out-of-service',
        'payment',
        'pin',
        'refund',
      ]);
      assert.deepEqual(rig.agent.badRequests, []);
      assert.deepEqual(consoleErrors, []);
    });
  });
}
