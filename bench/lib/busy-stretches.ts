// Why a POLL answer waits: the main thread answers a POLL only between two pieces of synchronous work, so a
// POLL that arrives during a busy stretch waits for the rest of it. From a CPU profile (samples in order),
// the stretches of consecutive non-idle samples, how long they are, and — for the long ones — which of the
// project's functions was on the stack (the nearest frame in the repository, below any native call such as
// a SQLite statement waiting on its fsync).
import path from 'node:path';
import type { CpuProfile } from './cpu-profile.ts';

export interface BusyStretches {
  /** Lengths of every busy stretch, ms. */
  readonly lengthsMs: number[];
  /** Time inside stretches at least `longMs` long, per project function (file:function), largest first. */
  readonly longByFunction: Array<[string, number]>;
  readonly longMs: number;
}

interface Node {
  id: number;
  callFrame: { url: string; functionName: string; lineNumber?: number };
  children?: number[];
}

export function busyStretches(profile: CpuProfile, root: string, longMs = 10): BusyStretches {
  const nodes = new Map<number, Node>((profile.nodes as Node[]).map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of nodes.values()) for (const c of n.children ?? []) parent.set(c, n.id);
  const where = new Map<number, string>();
  /** The nearest frame of the project's own code on the stack of a sample, else its own origin. */
  const ownerOf = (id: number): string => {
    const known = where.get(id);
    if (known) return known;
    let at: number | undefined = id;
    let found = '';
    while (at !== undefined && !found) {
      const f = nodes.get(at)?.callFrame;
      const url = f?.url ?? '';
      if (url.startsWith('file://') && !url.includes('/node_modules/')) {
        const file = path.relative(root, decodeURIComponent(new URL(url).pathname));
        found = `${file}:${f?.functionName || '(anonymous)'}`;
      }
      at = parent.get(at);
    }
    const self = nodes.get(id)?.callFrame;
    const label = found || `${self?.url ? 'other' : self?.functionName || 'native'}`;
    where.set(id, label);
    return label;
  };

  const lengthsMs: number[] = [];
  const long = new Map<string, number>();
  let stretch: Array<[number, number]> = []; // [node id, ms]
  const close = (): void => {
    if (stretch.length === 0) return;
    const ms = stretch.reduce((s, [, d]) => s + d, 0);
    lengthsMs.push(ms);
    if (ms >= longMs) for (const [id, d] of stretch) long.set(ownerOf(id), (long.get(ownerOf(id)) ?? 0) + d);
    stretch = [];
  };
  profile.samples.forEach((id, i) => {
    const name = nodes.get(id)?.callFrame.functionName;
    // The delta before a sample is the time it stands for.
    const ms = (profile.timeDeltas[i] ?? 0) / 1000;
    if (name === '(idle)') close();
    else stretch.push([id, ms]);
  });
  close();
  return { lengthsMs, longByFunction: [...long].sort((a, b) => b[1] - a[1]), longMs };
}
