// Seeded randomness for fuzz and chaos runs, so a run that fails is repeated exactly from its seed. The
// generator is vmc-sim's own (mulberry32), which its random faults already use.
import { seededRandom } from '../../sim/vmc/faults.ts';

export { seededRandom };
export type Random = () => number;

export const pick = <T>(r: Random, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
export const randomInt = (r: Random, n: number): number => Math.floor(r() * n);

/** Picks a key with probability proportional to its weight. */
export function weighted<K extends string>(r: Random, weights: Readonly<Record<K, number>>): K {
  const entries = Object.entries(weights) as Array<[K, number]>;
  let x = r() * entries.reduce((s, [, w]) => s + w, 0);
  for (const [k, w] of entries) {
    x -= w;
    if (x < 0) return k;
  }
  return entries[entries.length - 1]![0];
}
