// Where a process spent its CPU, from the .cpuprofile node writes with --cpu-prof: self time summed per
// origin (tsx's on-the-fly TypeScript transform, each npm package, each app/ folder, node's own internals,
// the garbage collector), so a slow start-up names its cause instead of being guessed at.
import fs from 'node:fs';
import path from 'node:path';

export interface ProfileNode {
  id: number;
  callFrame: { url: string; functionName: string };
}
export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Node's own code, split where start-up time hides: loading TypeScript through tsx's loader thread,
 * compiling modules, source maps. */
function nodeInternalOrigin(url: string): string {
  if (/esm\/hooks|internal\/worker/.test(url)) return 'node:loader_hooks_tsx';
  if (/cjs-module-lexer|esm\/utils|esm\/module_job|cjs\/loader|esm\/translators/.test(url))
    return 'node:module_compile';
  if (url.includes('source_map')) return 'node:source_maps';
  return 'node:other';
}

/** The origin a function belongs to, from its script URL. */
export function originOf(url: string, functionName: string, root: string): string {
  // No script: V8's own buckets, "(garbage collector)" and the like, or a native function (an RSA verify,
  // a SQLite statement) named by what it does.
  if (!url)
    return functionName.startsWith('(')
      ? functionName.slice(1, -1).replace(/ /g, '_')
      : `native:${functionName || 'anonymous'}`;
  if (url.startsWith('node:')) return nodeInternalOrigin(url);
  const file = url.startsWith('file://') ? decodeURIComponent(new URL(url).pathname) : url;
  const nm = file.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const parts = file.slice(nm + 14).split('/');
    const pkg = parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
    return `npm:${pkg}`;
  }
  const rel = path.relative(root, file).split(path.sep);
  // The programs run bundled (dist/cli): their code is one origin there, `dist/cli`.
  return rel[0] === '..' ? 'other' : rel.slice(0, rel[0] === 'app' || rel[0] === 'dist' ? 2 : 1).join('/');
}

/** Self time in ms per origin, largest first; idle time is left out. */
export function selfTimeByOrigin(profileOrFile: CpuProfile | string, root: string): Array<[string, number]> {
  const profile =
    typeof profileOrFile === 'string'
      ? (JSON.parse(fs.readFileSync(profileOrFile, 'utf8')) as CpuProfile)
      : profileOrFile;
  const origin = new Map(
    profile.nodes.map((n) => [n.id, originOf(n.callFrame.url, n.callFrame.functionName, root)]),
  );
  const totals = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    const o = origin.get(id) ?? 'other';
    totals.set(o, (totals.get(o) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  });
  totals.delete('idle');
  return [...totals].sort((a, b) => b[1] - a[1]);
}
