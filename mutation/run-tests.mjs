// Runs one area's test files in a single process (node:test runs the tests of every imported file and exits
// non-zero when one fails): for the command test runner this saves a process start and a TypeScript load per
// file for every mutant. Usage: node --import tsx mutation/run-tests.mjs <area>
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const AREAS = JSON.parse(fs.readFileSync(new URL('./areas.json', import.meta.url), 'utf8'));
const area = AREAS[process.argv[2] ?? ''];
if (!area) throw new Error(`usage: run-tests.mjs <${Object.keys(AREAS).join('|')}>`);
// The tests' SQLite files commit with synchronous=FULL; on a tmpfs those fsyncs cost nothing.
if (fs.existsSync('/dev/shm')) process.env.TMPDIR = '/dev/shm';
for (const file of area.tests) await import(pathToFileURL(path.resolve(file)).href);
