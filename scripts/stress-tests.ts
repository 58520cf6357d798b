// `npm run test:stress`: the flake hunt. Runs the tests while stress-ng keeps every core busy, as CI's shared
// machines are, so a test that only passes on an idle machine fails here first (docs/testing.md).
//   npm run test:stress                      the whole suite once (build, typecheck and lint are not repeated)
//   npm run test:stress -- --runs 3 FILE...  chosen test files or folders, three times in a row
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const USAGE = 'usage: npm run test:stress -- [--runs N] [--cpu N] [TEST_FILE_OR_DIR...]';

type Options = { runs: number; cpu: number; targets: string[] };

function parseArgs(argv: string[]): Options {
  const options: Options = { runs: 1, cpu: os.availableParallelism(), targets: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    const count = (): number => {
      const value = Number(argv[++i]);
      if (!Number.isInteger(value) || value < 1) throw new Error(`${arg} takes a whole number ≥ 1\n${USAGE}`);
      return value;
    };
    if (arg === '--runs') options.runs = count();
    else if (arg === '--cpu') options.cpu = count();
    else if (arg === '--help' || arg === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else if (arg.startsWith('-')) throw new Error(`unknown option ${arg}\n${USAGE}`);
    else options.targets.push(arg);
  }
  return options;
}

function startStress(cpu: number): ChildProcess {
  if (spawnSync('stress-ng', ['--version'], { stdio: 'ignore' }).status !== 0) {
    throw new Error('stress-ng is not installed (Debian: apt-get install stress-ng)');
  }
  // Its own process group, so that every worker it forks goes when it is stopped.
  return spawn('stress-ng', ['--cpu', String(cpu), '--quiet'], { stdio: 'ignore', detached: true });
}

function stopStress(stress: ChildProcess): void {
  if (stress.pid === undefined || stress.exitCode !== null) return;
  try {
    process.kill(-stress.pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

function runTests(targets: string[]): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(root, 'scripts', 'run-tests.ts'), ...targets],
      {
        cwd: root,
        stdio: 'inherit',
      },
    );
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

async function main(): Promise<void> {
  let options: Options;
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (err) {
    console.error((err as Error).message);
    process.exit(2);
  }
  const stress = startStress(options.cpu);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      stopStress(stress);
      process.exit(130);
    });
  }
  const results: number[] = [];
  try {
    for (let run = 1; run <= options.runs; run++) {
      console.log(`test:stress: run ${run} of ${options.runs}, stress-ng --cpu ${options.cpu} alongside`);
      results.push(await runTests(options.targets));
    }
  } finally {
    stopStress(stress);
  }
  const failed = results.filter((code) => code !== 0).length;
  console.log(`test:stress: ${results.length - failed} of ${results.length} runs passed under load`);
  process.exit(failed === 0 ? 0 : 1);
}

await main();
