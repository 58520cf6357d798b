// Shared by the bin/ launchers: runs a program from its JavaScript bundle in dist/cli (built by `npm run
// build`: plain node, no TypeScript loader, about a second quicker to start) or, when there is no bundle or
// a source file changed after it was built, from TypeScript through tsx, so a checkout always runs what its
// sources say. F2F_FROM_SOURCE=1 always takes the TypeScript path.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** @param {string} program one of the cli/ entry points, without extension */
export async function launch(program) {
  const bundle = path.join(root, 'dist', 'cli', `${program}.mjs`);
  const stale = process.env['F2F_FROM_SOURCE'] === '1' ? 'F2F_FROM_SOURCE=1' : whyNotBundle(bundle);
  if (stale === null) {
    await import(pathToFileURL(bundle).href);
    return;
  }
  if (stale !== 'no bundle' && stale !== 'F2F_FROM_SOURCE=1')
    process.stderr.write(
      `${program}: ${stale}; running from TypeScript (npm run build makes it start faster)\n`,
    );
  const { register } = await import('tsx/esm/api');
  register();
  await import(pathToFileURL(path.join(root, 'cli', `${program}.ts`)).href);
}

/**
 * Null when the bundle can run; otherwise why not. The build writes, beside the bundles, the list of source
 * files they were made from: one stat each (a millisecond or two for ~200) tells whether any changed.
 * A source that no longer exists (an installed copy without sources) does not count as changed.
 * @param {string} bundle
 * @returns {string | null}
 */
function whyNotBundle(bundle) {
  let built;
  let inputs;
  try {
    built = fs.statSync(bundle).mtimeMs;
    inputs = JSON.parse(fs.readFileSync(path.join(path.dirname(bundle), 'sources.json'), 'utf8'));
  } catch {
    return 'no bundle';
  }
  for (const input of inputs) {
    const stat = fs.statSync(path.join(root, input), { throwIfNoEntry: false });
    if (stat !== undefined && stat.mtimeMs > built) return `${input} changed after the last build`;
  }
  return null;
}
