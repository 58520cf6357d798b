// The unattended screen's handover: how a browser the agent starts learns the per-boot token without any
// other user or web page being able to read it. The token and the port live in `<dataDir>/screen/`
// (directory 0700, files 0600, owned by the agent's user) and stay the same for this OS boot, so a page left
// open across an agent restart reconnects with the token it already holds. The browser is pointed at a
// local launch page (a file only this user can read) that redirects to the screen URL: the token is never on
// a command line (`ps` shows every user's), never on stdout or in the journal.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

export interface ScreenHandover {
  readonly token: string;
  /** The port the screen was served on earlier this boot; null on the first start. */
  readonly port: number | null;
}

const TOKEN_PATTERN = /^[0-9a-f]{64}$/;
const BOOT_ID_FILE = '/proc/sys/kernel/random/boot_id';

export function screenDir(dataDir: string): string {
  return path.join(dataDir, 'screen');
}

/** This OS boot's id (Linux); elsewhere one constant, so the token lasts until the file is removed. */
function bootId(): string {
  try {
    return fs.readFileSync(BOOT_ID_FILE, 'utf8').trim();
  } catch {
    return 'unknown-boot';
  }
}

/** Creates `<dataDir>/screen` readable by this user only (and tightens it if it existed looser). */
export function ensureScreenDir(dataDir: string): string {
  const dir = screenDir(dataDir);
  if (!fs.existsSync(dir)) fs.mkdirSync(dir, { mode: 0o700 }); // the data directory exists already
  fs.chmodSync(dir, 0o700);
  return dir;
}

/** Writes a file only this user can read, atomically (a reader never sees half of it). */
function writePrivateFile(file: string, content: string): void {
  const temp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temp, content, { mode: 0o600 });
  fs.renameSync(temp, file);
}

/** The token (and last port) for this boot: reused when the file is from this boot, else made anew. */
export function loadScreenHandover(dataDir: string): ScreenHandover {
  const file = path.join(ensureScreenDir(dataDir), 'handover.json');
  const boot = bootId();
  try {
    const saved = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
    if (
      saved['bootId'] === boot &&
      typeof saved['token'] === 'string' &&
      TOKEN_PATTERN.test(saved['token'])
    ) {
      const port = saved['port'];
      const validPort = typeof port === 'number' && Number.isInteger(port) && port > 0 && port < 65536;
      return { token: saved['token'], port: validPort ? port : null };
    }
  } catch {
    // Missing or unreadable: a new token below.
  }
  const handover = { token: randomBytes(32).toString('hex'), port: null };
  writePrivateFile(file, JSON.stringify({ bootId: boot, ...handover }));
  return handover;
}

/** Records the port the screen is served on, so the next start of this boot takes the same origin. */
export function saveScreenPort(dataDir: string, handover: ScreenHandover, port: number): void {
  const file = path.join(ensureScreenDir(dataDir), 'handover.json');
  writePrivateFile(file, JSON.stringify({ bootId: bootId(), token: handover.token, port }));
}

/** Writes the launch page that sends a browser on to `screenUrl`; returns its file:// URL. */
export function writeLaunchPage(dataDir: string, screenUrl: string): string {
  const file = path.join(ensureScreenDir(dataDir), 'launch.html');
  const target = screenUrl.replace(/[&"<>]/g, (c) => `&#${c.charCodeAt(0)};`);
  writePrivateFile(
    file,
    '<!doctype html>\n<html lang="zh-CN"><head><meta charset="utf-8">' +
      `<meta http-equiv="refresh" content="0;url=${target}"><title>Kiosk</title></head>` +
      '<body style="background:#f4f5f7"></body></html>\n',
  );
  return pathToFileURL(file).href;
}
