// A CPU profile as figures: total CPU and the largest origins' self time, per unit of work done while the
// profiler ran (per sale, per notify), so that a missed target names where its time goes.
import { selfTimeByOrigin, type CpuProfile } from './cpu-profile.ts';
import type { FigureSet } from './figures.ts';
import { repoRoot } from '../../test/helpers/processes.ts';

export function recordProfile(
  figures: FigureSet,
  key: string,
  what: string,
  profile: CpuProfile | string,
  per: { readonly unit: string; readonly count: number } = { unit: '', count: 1 },
): void {
  const origins = selfTimeByOrigin(profile, repoRoot);
  const unit = per.unit ? `ms/${per.unit}` : 'ms';
  const scale = (ms: number) => ms / per.count;
  const total = origins.reduce((s, [, ms]) => s + ms, 0);
  figures.value(
    `${key}.busy_total_ms`,
    `${what}: thread busy (on CPU, or blocked in a synchronous call such as an fsync)`,
    unit,
    scale(total),
  );
  for (const [origin, ms] of origins.slice(0, 8))
    figures.value(
      `${key}.${origin.replace(/[^A-Za-z0-9_:/-]/g, '_')}_ms`,
      `${what}: self time in ${origin}`,
      unit,
      scale(ms),
    );
}
