// The console's single page: a hash route (#/, #/kiosk/ID, #/reconciliation, #/reconciliation/DATE) renders
// into <main>; the fleet and a kiosk refresh every few seconds, so a kiosk dropping off shows without a reload.
import { getJson, type Fleet } from './api.ts';
import { h } from './dom.ts';
import { fleetPage } from './fleet-page.ts';
import { kioskPage } from './kiosk-page.ts';
import { reconciliationDayPage, reconciliationPage } from './reconciliation-page.ts';

const REFRESH_MS = 5000;
let timeZone = 'Asia/Shanghai';
let timer: number | undefined;
let generation = 0;

async function render(): Promise<void> {
  const mine = ++generation;
  window.clearTimeout(timer);
  const route = location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  const main = document.querySelector('main')!;
  let page: HTMLElement;
  let refresh = false;
  try {
    if (route[0] === 'kiosk' && route[1]) {
      page = await kioskPage(route[1], timeZone);
      refresh = true;
    } else if (route[0] === 'reconciliation' && route[1])
      page = await reconciliationDayPage(route[1], timeZone);
    else if (route[0] === 'reconciliation') page = await reconciliationPage(timeZone);
    else {
      page = await fleetPage();
      refresh = true;
    }
  } catch (err) {
    page = h('p', { role: 'alert' }, `Could not load: ${(err as Error).message}`);
    refresh = true;
  }
  if (mine !== generation) return; // a newer navigation won
  const scroll = window.scrollY;
  main.replaceChildren(page);
  window.scrollTo(0, scroll);
  main.setAttribute('aria-busy', 'false');
  document.querySelectorAll('nav a').forEach((a) => {
    const current =
      (a.getAttribute('href') ?? '') === `#/${route[0] ?? ''}` ||
      (a.getAttribute('href') === '#/' && route[0] !== 'reconciliation');
    if (current) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  });
  if (refresh) timer = window.setTimeout(() => void render(), REFRESH_MS);
}

async function start(): Promise<void> {
  try {
    timeZone = (await getJson<Fleet>('/admin/v1/kiosks')).timeZone;
  } catch {
    // the page will say what failed
  }
  window.addEventListener('hashchange', () => void render());
  await render();
}

void start();
