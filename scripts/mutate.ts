// `npm run mutate [-- [--tests-only-added] area ...]`: StrykerJS over the money paths, one area at a time
// (mutation/areas.json), incremental, at low CPU priority with at most two test processes (MUTATE_CONCURRENCY).
// Exits non-zero when an area has a surviving mutant that is not listed as equivalent in
// mutation/equivalent.json.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const AREAS = JSON.parse(fs.readFileSync(path.join(root, 'mutation/areas.json'), 'utf8')) as Record<
  string,
  { mutate: string[]; tests: string[]; support?: string[] }
>;
const requested = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const areas = requested.length ? requested : Object.keys(AREAS);
// Tests were only added (none changed or removed since the last run): a mutant killed then is still killed,
// so when the tests changed only the survivors run again instead of every mutant.
const testsOnlyAdded = process.argv.includes('--tests-only-added');
const equivalent = JSON.parse(fs.readFileSync(path.join(root, 'mutation/equivalent.json'), 'utf8')) as Record<
  string,
  // `column` tells apart two mutants of one kind on one line (e.g. two operands of one condition).
  Array<{ file: string; line: number; column?: number; mutator: string; replacement: string; reason: string }>
>;

interface StrykerReport {
  files: Record<
    string,
    {
      mutants: Array<{
        status: string;
        mutatorName: string;
        replacement?: string;
        location: { start: { line: number; column: number } };
      }>;
    }
  >;
}

let failed = false;
for (const area of areas) {
  if (!(area in AREAS)) {
    console.error(`unknown area ${area}; one of ${Object.keys(AREAS).join(', ')}`);
    process.exit(2);
  }
  console.log(`\n== mutation testing: ${area}`);
  const testsDigest = forgetResultsIfTestsChanged(area, [
    ...AREAS[area]!.tests,
    ...(AREAS[area]!.support ?? []),
  ]);
  const run = spawnSync('nice', ['-n', '10', 'npx', 'stryker', 'run', 'mutation/stryker.config.mjs'], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, MUTATE_AREA: area },
  });
  if (run.status !== 0) {
    failed = true;
    continue;
  }
  shortenReasons(area);
  // Only now: an interrupted run must not leave results marked as measured with these tests.
  fs.writeFileSync(path.join(root, `mutation/${area}.tests.sha256`), testsDigest + '\n');
  const report = JSON.parse(
    fs.readFileSync(path.join(root, `reports/mutation/${area}.json`), 'utf8'),
  ) as StrykerReport;
  const counts: Record<string, number> = {};
  const unexplained: string[] = [];
  for (const [file, { mutants }] of Object.entries(report.files)) {
    for (const m of mutants) {
      counts[m.status] = (counts[m.status] ?? 0) + 1;
      if (m.status !== 'Survived' && m.status !== 'NoCoverage') continue;
      const known = (equivalent[area] ?? []).some(
        (e) =>
          e.file === file &&
          e.line === m.location.start.line &&
          (e.column === undefined || e.column === m.location.start.column) &&
          e.mutator === m.mutatorName &&
          e.replacement === (m.replacement ?? ''),
      );
      if (!known)
        unexplained.push(
          `${file}:${m.location.start.line}:${m.location.start.column} ${m.mutatorName} → ${m.replacement ?? ''}`,
        );
    }
  }
  console.log(`${area}: ${JSON.stringify(counts)}`);
  if (unexplained.length) {
    failed = true;
    console.log(`${area}: ${unexplained.length} surviving mutant(s) not listed as equivalent:`);
    for (const u of unexplained) console.log(`  ${u}`);
  }
}
process.exit(failed ? 1 : 0);

/**
 * Stryker's incremental mode notices changed source, but with the command test runner it cannot tell which
 * tests changed (the runner reports one test, "All tests"), so it would reuse results that new tests could
 * overturn. The area's test files are hashed next to its results; when they differ, the results are dropped
 * and the area runs in full. `tests` are the area's test files and the helpers they import (`support`).
 */
function forgetResultsIfTestsChanged(area: string, tests: readonly string[]): string {
  const hash = createHash('sha256');
  for (const file of [...tests].sort()) {
    hash.update(file);
    if (fs.existsSync(path.join(root, file))) hash.update(fs.readFileSync(path.join(root, file)));
  }
  const digest = hash.digest('hex');
  const hashFile = path.join(root, `mutation/${area}.tests.sha256`);
  const results = path.join(root, `mutation/${area}.incremental.json`);
  const previous = fs.existsSync(hashFile) ? fs.readFileSync(hashFile, 'utf8').trim() : '';
  if (previous !== digest && fs.existsSync(results)) {
    if (testsOnlyAdded) {
      console.log(
        `${area}: its tests changed since the last run; the survivors run again (--tests-only-added)`,
      );
      keepOnlyDetected(results);
    } else {
      console.log(`${area}: its tests changed since the last run; every mutant runs again`);
      fs.rmSync(results);
    }
  }
  return digest;
}

/** Drops every result but the detected ones (killed, timed out), so Stryker tests those mutants again. */
function keepOnlyDetected(results: string): void {
  const report = JSON.parse(fs.readFileSync(results, 'utf8')) as {
    files: Record<string, { mutants: Array<{ status: string }> }>;
  };
  for (const file of Object.values(report.files)) {
    file.mutants = file.mutants.filter((m) => m.status === 'Killed' || m.status === 'Timeout');
  }
  fs.writeFileSync(results, JSON.stringify(report));
}

/**
 * Stryker keeps, for every killed mutant, the whole TAP output of the failing run as its reason: megabytes per
 * area, in a file that is committed. Only the names of the failing tests are worth keeping (incremental mode
 * reuses a result by file, location, mutator and replacement, never by its reason).
 */
function shortenReasons(area: string): void {
  const file = path.join(root, `mutation/${area}.incremental.json`);
  if (!fs.existsSync(file)) return;
  const report = JSON.parse(fs.readFileSync(file, 'utf8')) as {
    files: Record<string, { mutants: Array<{ statusReason?: string }> }>;
  };
  for (const { mutants } of Object.values(report.files)) {
    for (const m of mutants) {
      if (m.statusReason === undefined) continue;
      const failing = m.statusReason
        .split('\n')
        .filter((line) => /^\s*not ok /.test(line))
        .slice(0, 3);
      m.statusReason = (failing.length ? failing.map((l) => l.trim()).join('\n') : m.statusReason).slice(
        0,
        300,
      );
    }
  }
  fs.writeFileSync(file, JSON.stringify(report));
}
