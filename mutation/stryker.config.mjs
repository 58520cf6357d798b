// StrykerJS over one money-path area at a time: `npm run mutate -- <area>` (default: every area in turn).
// Incremental: each area keeps its last results in mutation/<area>.incremental.json (committed), so after a
// change only the mutants in changed code, or covered by changed tests, run again.
import fs from 'node:fs';

// The money paths under mutation testing (docs/testing.md, Mutation testing). Each area in areas.json lists the
// source files Stryker mutates and the fast test files that must kill their mutants: the command test runner
// runs these files (in one process, mutation/run-tests.mjs) for every mutant, since node:test has no Stryker
// runner; so only quick tests belong there. The slower end-to-end tests of the same rules run in `npm test`.
const AREAS = JSON.parse(fs.readFileSync(new URL('./areas.json', import.meta.url), 'utf8'));

const area = process.env.MUTATE_AREA ?? 'sale';
const spec = AREAS[area];
if (!spec) throw new Error(`unknown mutation area ${area}; one of ${Object.keys(AREAS).join(', ')}`);

export default {
  testRunner: 'command',
  commandRunner: { command: `node --import tsx mutation/run-tests.mjs ${area}` },
  coverageAnalysis: 'off',
  mutate: spec.mutate,
  // The machine is shared: at most two test processes at once.
  concurrency: Number(process.env.MUTATE_CONCURRENCY ?? 2),
  // A mutant that makes a test wait for something that never happens counts as detected (a timeout). The
  // runs are niced on a shared machine, so a run can take several times the dry run's time without hanging:
  // the allowance is wide, or a slow run of a surviving mutant would be counted as detected.
  timeoutFactor: 3,
  timeoutMS: 20_000,
  incremental: true,
  incrementalFile: `mutation/${area}.incremental.json`,
  reporters: ['clear-text', 'progress', 'json'],
  jsonReporter: { fileName: `reports/mutation/${area}.json` },
  clearTextReporter: { allowColor: false, logTests: false, maxTestsToLog: 0 },
  // One sandbox directory per area, so two areas can run at once without removing each other's.
  tempDirName: `.stryker-tmp-${area}`,
  ignorePatterns: [
    'dist',
    'release',
    '.data',
    'reports',
    'coverage',
    '.stryker-tmp*',
    'mutation/*.incremental.json',
  ],
  cleanTempDir: 'always',
  disableTypeChecks: true,
  logLevel: 'info',
};
