// The bin/ launchers run a program from its bundle in dist/cli when the bundle is as new as every source it
// was built from, and from TypeScript (tsx) otherwise, so a checkout never runs code older than its sources.
// A throwaway checkout layout (bin/launch.js copied, node_modules linked) with a one-line program makes the
// choice visible: the program prints where it came from.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { repoRoot } from '../helpers/processes.ts';
import { tempDir } from '../helpers/temp-dir.ts';

function checkout(): { root: string; run: (env?: Record<string, string>) => { out: string; err: string } } {
  const root = tempDir('f2f-launch-');
  fs.mkdirSync(path.join(root, 'bin'));
  fs.mkdirSync(path.join(root, 'cli'));
  fs.mkdirSync(path.join(root, 'dist', 'cli'), { recursive: true });
  fs.copyFileSync(path.join(repoRoot, 'bin', 'launch.js'), path.join(root, 'bin', 'launch.js'));
  fs.writeFileSync(path.join(root, 'package.json'), '{"type":"module"}');
  fs.symlinkSync(path.join(repoRoot, 'node_modules'), path.join(root, 'node_modules'));
  fs.writeFileSync(
    path.join(root, 'bin', 'demo.js'),
    "import { launch } from './launch.js';\nawait launch('demo');\n",
  );
  fs.writeFileSync(path.join(root, 'cli', 'demo.ts'), "const from: string = 'source';\nconsole.log(from);\n");
  const past = new Date(Date.now() - 60_000);
  fs.utimesSync(path.join(root, 'cli', 'demo.ts'), past, past);
  fs.writeFileSync(path.join(root, 'dist', 'cli', 'demo.mjs'), "console.log('bundle');\n");
  fs.writeFileSync(path.join(root, 'dist', 'cli', 'sources.json'), '["cli/demo.ts"]');
  return {
    root,
    run: (env = {}) => {
      const { F2F_FROM_SOURCE: _ignored, ...inherited } = process.env;
      const result = spawnSync(process.execPath, [path.join(root, 'bin', 'demo.js')], {
        env: { ...inherited, ...env },
        encoding: 'utf8',
      });
      assert.equal(result.status, 0, result.stderr);
      return { out: result.stdout.trim(), err: result.stderr.trim() };
    },
  };
}

describe('bin/launch.js', () => {
  test('a bundle as new as its sources runs under plain node, silently', () => {
    assert.deepEqual(checkout().run(), { out: 'bundle', err: '' });
  });

  test('a source changed after the build runs from TypeScript, and says which file and what to do', () => {
    const c = checkout();
    const future = new Date(Date.now() + 60_000);
    fs.utimesSync(path.join(c.root, 'cli', 'demo.ts'), future, future);
    assert.deepEqual(c.run(), {
      out: 'source',
      err: 'demo: cli/demo.ts changed after the last build; running from TypeScript (npm run build makes it start faster)',
    });
  });

  test('without a bundle, or with F2F_FROM_SOURCE=1, the program runs from TypeScript without a word', () => {
    const c = checkout();
    assert.deepEqual(c.run({ F2F_FROM_SOURCE: '1' }), { out: 'source', err: '' });
    fs.rmSync(path.join(c.root, 'dist'), { recursive: true });
    assert.deepEqual(c.run(), { out: 'source', err: '' });
  });

  test('an installed copy without the sources runs its bundle', () => {
    const c = checkout();
    fs.rmSync(path.join(c.root, 'cli'), { recursive: true });
    assert.deepEqual(c.run(), { out: 'bundle', err: '' });
  });
});

describe('the bundles npm run build ships (dist/cli)', () => {
  for (const [program, usage] of [
    ['kiosk-agent', /^kiosk-agent — the f2f-kiosk agent/],
    ['notify-relay', /notify-relay/],
  ] as const) {
    test(`${program} runs from its bundle under plain node, no TypeScript loader`, () => {
      const bundle = path.join(repoRoot, 'dist', 'cli', `${program}.mjs`);
      assert.ok(fs.existsSync(bundle), `${bundle} is missing: npm test builds it (npm run build)`);
      const result = spawnSync(process.execPath, [bundle, '--help'], { cwd: repoRoot, encoding: 'utf8' });
      assert.equal(result.status, 0, result.stderr);
      assert.match(result.stdout, usage);
    });
  }
});
