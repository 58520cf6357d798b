// `npm run bench [-- --quick] [suite ...]`: runs the benchmark suites one after another, prints one table of
// every figure with its spread and its target or anchor, and writes bench/results/latest.json.
// --quick runs each suite briefly (CI): it fails only when a suite fails, never on a figure.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

// The test helpers the suites reuse register their cleanups with node:test unless told otherwise; this must
// be set before they are imported, hence the dynamic imports below.
process.env['F2F_CLEANUP'] = 'manual';

const { FigureSet } = await import('./lib/figures.ts');
const { gitCommit, machineInfo } = await import('./lib/machine.ts');
const { printTable } = await import('./lib/table.ts');
const { runCleanups } = await import('../test/helpers/cleanup.ts');
const { SUITES } = await import('./suites/index.ts');

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values, positionals } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    out: { type: 'string' },
    list: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
  allowPositionals: true,
  strict: true,
});
if (values.help || values.list) {
  console.log('Usage: npm run bench [-- --quick] [--out FILE] [suite ...]\n\nSuites:');
  for (const s of SUITES) console.log(`  ${s.name.padEnd(14)} ${s.title}`);
  process.exit(0);
}
const unknown = positionals.filter((p) => !SUITES.some((s) => s.name === p));
if (unknown.length) {
  console.error(`unknown suite(s): ${unknown.join(', ')} (npm run bench -- --list)`);
  process.exit(2);
}
const selected = positionals.length ? SUITES.filter((s) => positionals.includes(s.name)) : SUITES;
const quick = values.quick;
const machine = machineInfo();
const started = new Date();
const figures: InstanceType<typeof FigureSet>['figures'] = [];
const failures: Array<{ suite: string; error: string }> = [];
const durations: Record<string, number> = {};

for (const suite of selected) {
  const set = new FigureSet(suite.name);
  const t0 = performance.now();
  console.error(`bench: ${suite.name} — ${suite.title}${quick ? ' (quick)' : ''}`);
  try {
    await suite.run({ quick, figures: set, progress: (l) => console.error(`  ${suite.name}: ${l}`) });
  } catch (err) {
    const cause = (err as Error).cause;
    const error = `${(err as Error).stack ?? String(err)}${cause ? `\ncause: ${String(cause)}` : ''}`;
    failures.push({ suite: suite.name, error });
    console.error(`bench: ${suite.name} FAILED: ${error}`);
  } finally {
    await runCleanups();
  }
  durations[suite.name] = Math.round((performance.now() - t0) / 100) / 10;
  figures.push(...set.figures);
}
machine.loadAverageEnd = os.loadavg().map((l) => Math.round(l * 100) / 100);

printTable(figures);
const result = {
  date: started.toISOString(),
  commit: gitCommit(root),
  quick,
  suites: selected.map((s) => s.name),
  suiteSeconds: durations,
  machine,
  failures,
  figures: Object.fromEntries(figures.map(({ key, ...f }) => [key, f])),
};
const out = values.out ?? path.join(root, 'bench', 'results', quick ? 'quick.json' : 'latest.json');
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.writeFileSync(out, JSON.stringify(result, null, 2) + '\n');
console.log(`\nwritten ${path.relative(root, out)} (${figures.length} figures)`);
if (failures.length) {
  console.error(`bench: ${failures.length} suite(s) failed: ${failures.map((f) => f.suite).join(', ')}`);
  process.exit(1);
}
// Keep-alive agents and the like must not hold the run open once every suite has finished.
process.exit(0);
