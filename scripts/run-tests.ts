// Runs every test file under test/ (recursively, *.test.ts) with node's built-in runner. Node 20's
// --test does not expand globs itself, and a shell's `**` is not recursive, so the list is built here.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const requested = process.argv.slice(2);
const roots = requested.length ? requested.map((r) => path.resolve(r)) : [path.join(root, 'test')];

function collect(entry: string): string[] {
  const stat = fs.statSync(entry);
  if (stat.isFile()) return entry.endsWith('.test.ts') ? [entry] : [];
  return fs
    .readdirSync(entry)
    .sort()
    .flatMap((name) => collect(path.join(entry, name)));
}

const files = roots.flatMap(collect).map((f) => path.relative(root, f));
if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}
const result = spawnSync(
  process.execPath,
  // A test that hangs fails after 3 minutes instead of holding CI until its 90-minute limit.
  [
    '--import',
    'tsx',
    '--test',
    '--test-concurrency=2',
    '--test-timeout=180000',
    '--test-reporter=spec',
    ...files,
  ],
  { cwd: root, stdio: 'inherit' },
);
process.exit(result.status ?? 1);
