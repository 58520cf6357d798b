// A walk through every screen of the kiosk UI against the fake agent, in one browser page: the layout and
// accessibility tests check each stop, and scripts/ui-screenshots.ts photographs each stop for docs/ui.md.
import type { Page } from 'playwright-core';
import { MAINTENANCE_PIN, sampleSale, tapMaintenanceCorner, TOKEN, type KioskUiRig } from './harness.ts';

export const SCREEN_SIZES = [
  { name: 'landscape', width: 1920, height: 1080 },
  { name: 'portrait', width: 1080, height: 1920 },
  { name: 'small', width: 800, height: 480 },
] as const;

export const TOUR_SUPPORT = { phone: '400-820-0000', text: null };

/** Called at each stop with the screen's `data-screen` name and a label for the state shown. */
export type TourStop = (screen: string, label: string) => Promise<void>;

const waitScreen = (page: Page, name: string) => page.locator(`main#app[data-screen="${name}"]`).waitFor();

async function backToIdle(page: Page): Promise<void> {
  await page.getByTestId('back-to-idle').click();
  await waitScreen(page, 'idle');
}

/** Shows one finished sale (pushed by the agent while the grid is up) and stops at its screen. */
async function closingStop(
  page: Page,
  rig: KioskUiRig,
  stop: TourStop,
  screen: string,
  label: string,
  sale: Parameters<typeof sampleSale>[0],
): Promise<void> {
  rig.agent.push('sale.updated', sampleSale(sale));
  await waitScreen(page, screen);
  await stop(screen, label);
  await backToIdle(page);
  rig.agent.current = null;
}

export async function tourScreens(page: Page, rig: KioskUiRig, stop: TourStop): Promise<void> {
  rig.agent.info = { ...rig.agent.info, support: TOUR_SUPPORT };
  await page.goto(rig.url);
  await waitScreen(page, 'locked');
  await stop('locked', 'opened without the token');

  await page.goto('about:blank'); // a new document: only the fragment would differ
  await page.goto(`${rig.url}#token=${TOKEN}`);
  await waitScreen(page, 'idle');
  // From here the page's clock is held: a closing screen's own timer (5–15 s) cannot take it away while a
  // stop is being checked on a busy machine; the walk moves time on only where it means to.
  await page.clock.pauseAt((await page.evaluate(() => Date.now())) + 1000);
  for (const lane of [1, 1, 2]) await page.getByTestId(`product-${lane}`).click();
  await page.getByTestId('cart-line-2').waitFor();
  await stop('idle', 'products and a cart of two lines');

  await page.getByTestId('checkout').click();
  await waitScreen(page, 'payment');
  await page.locator('[data-testid="qr"]:not([hidden])').waitFor();
  await stop('payment', 'QR code to scan');

  const sale = rig.agent.current!;
  const [first, second, third] = sale.items;
  rig.agent.push('sale.updated', {
    ...sale,
    state: 'vending',
    qrCode: null,
    items: [
      { ...first!, state: 'delivered' },
      { ...second!, state: 'vending' },
      { ...third!, state: 'pending' },
    ],
  });
  await waitScreen(page, 'dispensing');
  await stop('dispensing', 'items coming out');

  rig.agent.push('sale.updated', {
    ...sale,
    state: 'refund_pending',
    qrCode: null,
    items: [
      { ...first!, state: 'delivered' },
      { ...second!, state: 'delivered' },
      { ...third!, state: 'not_delivered' },
    ],
    refundFen: third!.priceFen,
  });
  await waitScreen(page, 'refund');
  await stop('refund', 'part delivered');
  await backToIdle(page);
  rig.agent.current = null;

  const cola = { lane: 1, name: '可乐 Cola', priceFen: 350 };
  await closingStop(page, rig, stop, 'done', 'all delivered', {
    outTradeNo: 'K1_TOUR_DONE',
    state: 'completed',
    qrCode: null,
    items: [{ ...cola, state: 'delivered' }],
    totalFen: 350,
  });
  await closingStop(page, rig, stop, 'expired', 'not paid in time', {
    outTradeNo: 'K1_TOUR_EXPIRED',
    state: 'expired',
    qrCode: null,
  });
  await closingStop(page, rig, stop, 'refund', 'late payment refunded', {
    outTradeNo: 'K1_TOUR_LATE',
    state: 'refunded',
    qrCode: null,
    items: [{ ...cola, state: 'pending' }],
    totalFen: 350,
    refundFen: 350,
  });
  await closingStop(page, rig, stop, 'error', 'payment could not start', {
    outTradeNo: 'K1_TOUR_FAILED',
    state: 'failed',
    qrCode: null,
    message: 'the payment service did not answer',
  });

  await page.clock.fastForward(91_000);
  await waitScreen(page, 'attract');
  await stop('attract', 'nobody around');
  await page.getByTestId('attract-start').click();
  await waitScreen(page, 'idle');

  rig.agent.info = { ...rig.agent.info, dispenserLink: 'down' };
  rig.agent.push('kiosk.updated', rig.agent.info);
  await waitScreen(page, 'out-of-service');
  await stop('out-of-service', 'board offline');

  await tapMaintenanceCorner(page, { keepPaused: true });
  await waitScreen(page, 'pin');
  await stop('pin', 'technician PIN pad');
  for (const d of MAINTENANCE_PIN) await page.getByTestId(`pin-key-${d}`).click();
  await page.getByTestId('pin-ok').click();
  await waitScreen(page, 'maintenance');
  await page.getByTestId('maint-lane-3').waitFor();
  await stop('maintenance', 'lanes, board and log');
}
