// The SQLite log's epoch: created with the database and renewed only when the file is not the log this relay
// left, i.e. an older backup was restored. A restore cannot be seen from inside the file (the backup is a
// consistent, older copy), so the relay keeps the log's high-water mark beside it, in `<db>-position`:
// {epoch, position}, position being the number of events ever assigned (the sum of every kiosk's last seq),
// rewritten after every commit that assigned one. At start:
// - the file's position is behind the mark of the same epoch: the log went backwards (restored) → new epoch;
// - the mark names an epoch the file never had: the file is older than the log that wrote it → new epoch;
// - the mark names an older epoch of the file (a crash between beginning an epoch and writing the mark), or
//   the file is at or beyond it (a kill -9 after a commit, before the mark) → the same epoch;
// - no readable mark beside a database that has an epoch: continuity cannot be shown → new epoch.
// A new epoch is always safe (a kiosk resumes at the same point, at most a few events are given again and
// absorbed by its order records); keeping one across a restore is what would hand a seq out twice.
import fs from 'node:fs';
import { randomUUID } from 'node:crypto';
import type { RelayDb } from './db.ts';

interface Mark {
  epoch: string;
  position: number;
}

export function markPath(dbPath: string): string {
  return `${dbPath}-position`;
}

function readMark(file: string): Mark | undefined {
  try {
    const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<Mark>;
    if (typeof parsed.epoch === 'string' && Number.isSafeInteger(parsed.position)) {
      return { epoch: parsed.epoch, position: parsed.position as number };
    }
  } catch {
    // missing or torn: treated as no mark
  }
  return undefined;
}

export function logPosition(db: RelayDb): number {
  const row = db.prepare('SELECT COALESCE(SUM(last_seq), 0) AS n FROM kiosk_cursors').get() as { n: number };
  return row.n;
}

/** Begins a new epoch, recording where each kiosk's sequence stands. */
export function beginSqliteEpoch(db: RelayDb, nowIso: string): string {
  const epoch = randomUUID();
  db.transaction(() => {
    db.prepare('INSERT INTO epochs (epoch, started_at) VALUES (?, ?)').run(epoch, nowIso);
    db.prepare(
      'INSERT INTO epoch_bases (epoch, kiosk_id, base_seq) SELECT ?, kiosk_id, last_seq FROM kiosk_cursors',
    ).run(epoch);
  })();
  return epoch;
}

/** Decides whether the database continues its epoch, and returns the epoch the relay serves. */
export function openSqliteEpoch(
  db: RelayDb,
  dbPath: string,
  nowIso: string,
): { epoch: string; renewed: boolean; position: number; markFile: MarkFile } {
  const epochs = db.prepare('SELECT epoch FROM epochs ORDER BY ordinal').all() as Array<{ epoch: string }>;
  const current = epochs[epochs.length - 1]?.epoch;
  const position = logPosition(db);
  const mark = readMark(markPath(dbPath));
  let continues = false;
  if (current !== undefined && mark !== undefined) {
    const markIndex = epochs.findIndex((e) => e.epoch === mark.epoch);
    const isCurrent = mark.epoch === current;
    continues = isCurrent ? position >= mark.position : markIndex >= 0;
  }
  const epoch = continues && current !== undefined ? current : beginSqliteEpoch(db, nowIso);
  const markFile = new MarkFile(dbPath);
  markFile.write({ epoch, position });
  return { epoch, renewed: current !== undefined && !continues, position, markFile };
}

const MARK_BYTES = 128;

/**
 * The mark file, kept open: rewritten in place after each commit that assigned seqs (one pwrite of a fixed
 * length, padded with spaces, which JSON ignores). It survives a crash of the process (page cache); after a
 * power loss it may be behind the database, which only ever keeps the epoch, as it should.
 */
export class MarkFile {
  readonly #fd: number;

  constructor(dbPath: string) {
    this.#fd = fs.openSync(markPath(dbPath), 'w');
  }

  write(mark: Mark): void {
    const text = JSON.stringify(mark).padEnd(MARK_BYTES, ' ');
    fs.writeSync(this.#fd, text, 0, 'utf8');
  }

  close(): void {
    fs.closeSync(this.#fd);
  }
}
