// The unattended screen: the agent starts Chromium full screen on its own launch page and starts it again
// whenever it exits, so the kiosk needs no person and no second service to show the screen. A browser left
// running by an agent that was killed (kill -9, a crash) is adopted, not doubled: its page reconnects by
// itself with the same per-boot token, and the agent relaunches it only once it is gone.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ensureScreenDir } from './screen-handover.ts';

export interface ScreenBrowserOptions {
  /** Chromium's executable. */
  readonly executable: string;
  /** Extra flags, after the kiosk ones (e.g. `--ozone-platform=x11`). */
  readonly args?: readonly string[];
  readonly dataDir: string;
  /** The launch page's file:// URL (screen-handover.ts). */
  readonly launchUrl: string;
  readonly log?: (line: string) => void;
}

export interface ScreenBrowser {
  /** The browser's process id now (null between a crash and its relaunch). */
  readonly pid: number | null;
  /** Stops watching and ends the browser. */
  close(): Promise<void>;
}

export const CHROMIUM_CANDIDATES = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
];

/** The first Chromium installed in the usual places, or null. */
export function findChromium(): string | null {
  return CHROMIUM_CANDIDATES.find((c) => fs.existsSync(c)) ?? null;
}

const FIRST_RELAUNCH_MS = 1000;
const MAX_RELAUNCH_MS = 30_000;
/** A browser that ran this long was healthy: its next relaunch starts from the short delay again. */
const HEALTHY_RUN_MS = 60_000;
/** How often an adopted browser (not our child, so no exit event) is checked. */
const ADOPTED_POLL_MS = 500;

export function kioskBrowserArgs(profileDir: string, launchUrl: string, extra: readonly string[]): string[] {
  return [
    `--user-data-dir=${profileDir}`,
    '--kiosk',
    '--no-first-run',
    '--no-default-browser-check',
    '--noerrdialogs',
    '--disable-session-crashed-bubble',
    '--disable-infobars',
    '--disable-translate',
    '--disable-background-networking',
    '--disable-features=Translate,MediaRouter',
    '--password-store=basic',
    '--overscroll-history-navigation=0',
    ...extra,
    `--app=${launchUrl}`,
  ];
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The browser a previous agent left running on this profile, if any (checked by its command line). */
function leftoverBrowser(pidFile: string, profileDir: string): number | null {
  try {
    const pid = Number(fs.readFileSync(pidFile, 'utf8').trim());
    if (!Number.isInteger(pid) || pid <= 1) return null;
    const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return cmdline.split('\0').includes(`--user-data-dir=${profileDir}`) ? pid : null;
  } catch {
    return null;
  }
}

export function startScreenBrowser(options: ScreenBrowserOptions): ScreenBrowser {
  const log = options.log ?? (() => {});
  const dir = ensureScreenDir(options.dataDir);
  const profileDir = path.join(dir, 'chromium');
  const pidFile = path.join(dir, 'browser.pid');
  const args = kioskBrowserArgs(profileDir, options.launchUrl, options.args ?? []);
  let child: ChildProcess | null = null;
  let adopted: number | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let failures = 0;
  let closed = false;

  const schedule = (delayMs: number, run: () => void): void => {
    if (closed) return;
    timer = setTimeout(() => {
      timer = null;
      run();
    }, delayMs);
  };

  const launch = (): void => {
    if (closed) return;
    const startedAt = Date.now();
    const proc = spawn(options.executable, args, { stdio: 'ignore' });
    child = proc;
    proc.once('spawn', () => {
      if (proc.pid !== undefined) fs.writeFileSync(pidFile, String(proc.pid), { mode: 0o600 });
      log(`screen: ${path.basename(options.executable)} started (pid ${proc.pid})`);
    });
    proc.once('error', (err) => log(`screen: cannot start ${options.executable}: ${err.message}`));
    proc.once('close', (code, signal) => {
      if (child === proc) child = null;
      if (closed) return;
      failures = Date.now() - startedAt >= HEALTHY_RUN_MS ? 0 : failures + 1;
      const delay = Math.min(MAX_RELAUNCH_MS, FIRST_RELAUNCH_MS * 2 ** Math.max(0, failures - 1));
      log(`screen: browser exited (${signal ?? `code ${code}`}); starting it again in ${delay} ms`);
      schedule(delay, launch);
    });
  };

  const watchAdopted = (): void => {
    if (adopted === null) return;
    if (processAlive(adopted)) {
      schedule(ADOPTED_POLL_MS, watchAdopted);
      return;
    }
    log(`screen: the browser left by the previous agent (pid ${adopted}) is gone; starting a new one`);
    adopted = null;
    launch();
  };

  adopted = leftoverBrowser(pidFile, profileDir);
  if (adopted !== null) {
    log(`screen: browser pid ${adopted} still shows the screen; it reconnects by itself`);
    watchAdopted();
  } else {
    launch();
  }

  return {
    get pid() {
      return child?.pid ?? adopted;
    },
    close: async () => {
      closed = true;
      if (timer !== null) clearTimeout(timer);
      if (adopted !== null && processAlive(adopted)) process.kill(adopted, 'SIGTERM');
      const proc = child;
      if (proc !== null && proc.exitCode === null && proc.signalCode === null) {
        const exited = new Promise<void>((resolve) => proc.once('close', () => resolve()));
        proc.kill('SIGTERM');
        const force = setTimeout(() => proc.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(force);
      }
      fs.rmSync(pidFile, { force: true });
    },
  };
}
