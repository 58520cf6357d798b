// `npm run mutate [-- area ...]`: StrykerJS over the money paths, one area at a time (mutation/areas.mjs),
// incremental, at low CPU priority with at most two test processes (MUTATE_CONCURRENCY). Exits non-zero when
// an area has a surviving mutant that is not listed as equivalent in mutation/equivalent.json.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const AREAS = JSON.parse(fs.readFileSync(path.join(root, 'mutation/areas.json'), 'utf8')) as Record<
  string,
  { mutate: string[]; tests: string[] }
>;
const requested = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const areas = requested.length ? requested : Object.keys(AREAS);
const equivalent = JSON.parse(fs.readFileSync(path.join(root, 'mutation/equivalent.json'), 'utf8')) as Record<
  string,
  Array<{ file: string; line: number; mutator: string; replacement: string; reason: string }>
>;

interface StrykerReport {
  files: Record<
    string,
    {
      mutants: Array<{
        status: string;
        mutatorName: string;
        replacement?: string;
        location: { start: { line: number } };
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
  forgetResultsIfTestsChanged(area, AREAS[area]!.tests);
  const run = spawnSync('nice', ['-n', '10', 'npx', 'stryker', 'run', 'mutation/stryker.config.mjs'], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, MUTATE_AREA: area },
  });
  if (run.status !== 0) {
    failed = true;
    continue;
  }
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
          e.mutator === m.mutatorName &&
          e.replacement === (m.replacement ?? ''),
      );
      if (!known)
        unexplained.push(`${file}:${m.location.start.line} ${m.mutatorName} → ${m.replacement ?? ''}`);
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
 * and the area runs in full.
 */
function forgetResultsIfTestsChanged(area: string, tests: readonly string[]): void {
  const hash = createHash('sha256');
  for (const file of [...tests, 'test/app/sale/sale-rig.ts'].sort()) {
    hash.update(file);
    if (fs.existsSync(path.join(root, file))) hash.update(fs.readFileSync(path.join(root, file)));
  }
  const digest = hash.digest('hex');
  const hashFile = path.join(root, `mutation/${area}.tests.sha256`);
  const results = path.join(root, `mutation/${area}.incremental.json`);
  const previous = fs.existsSync(hashFile) ? fs.readFileSync(hashFile, 'utf8').trim() : '';
  if (previous !== digest && fs.existsSync(results)) {
    console.log(`${area}: its tests changed since the last run; every mutant runs again`);
    fs.rmSync(results);
  }
  fs.writeFileSync(hashFile, digest + '\n');
}
