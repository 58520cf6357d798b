// `npm run chaos -- --sales N --seed S`: a long chaos run (chaos-run.ts) under node's test runner, which
// prints its report (counts, kills by moment, faults by kind, every violation) and fails on a violation.
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    sales: { type: 'string', default: '100' },
    seed: { type: 'string', default: String(Date.now() % 1_000_000) },
    verbose: { type: 'boolean', default: false },
  },
});
for (const [name, value] of Object.entries({ sales: values.sales, seed: values.seed })) {
  if (!/^\d+$/.test(value ?? '')) {
    console.error(`--${name} must be a whole number`);
    process.exit(2);
  }
}
console.log(`chaos: ${values.sales} sales, seed ${values.seed}`);
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-reporter=spec', 'test/chaos/chaos.test.ts'],
  {
    stdio: 'inherit',
    env: {
      ...process.env,
      CHAOS_SALES: values.sales,
      CHAOS_SEED: values.seed,
      ...(values.verbose ? { CHAOS_VERBOSE: '1' } : {}),
    },
  },
);
process.exit(result.status ?? 1);
