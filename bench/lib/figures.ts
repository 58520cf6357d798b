// The one shape every benchmark figure takes: a stable key, a unit, the samples' spread, and the target or
// the anchor it is read against. bench/results/latest.json holds these under their keys (docs/performance.md).

export interface Spread {
  readonly n: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly min: number;
  readonly max: number;
}

export interface Target {
  /** `<`: lower is better and must stay below; `>=`: at least. */
  readonly op: '<' | '<=' | '>=';
  readonly value: number;
}

export interface Figure {
  readonly key: string;
  readonly label: string;
  readonly unit: string;
  /** The headline value: the median of the samples, or the single measured value. */
  readonly value: number;
  readonly spread?: Spread;
  readonly target?: Target;
  /** Whether the target is met (absent when there is no target). */
  readonly met?: boolean;
  readonly note?: string;
}

const round = (x: number) => (Math.abs(x) >= 100 ? Math.round(x) : Math.round(x * 100) / 100);

/** Nearest-rank percentiles of the samples. */
export function spreadOf(samples: readonly number[]): Spread {
  if (samples.length === 0) throw new Error('no samples to summarize');
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => round(sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!);
  return {
    n: sorted.length,
    p50: at(0.5),
    p95: at(0.95),
    p99: at(0.99),
    min: round(sorted[0]!),
    max: round(sorted[sorted.length - 1]!),
  };
}

export function meets(value: number, target: Target): boolean {
  if (target.op === '<') return value < target.value;
  if (target.op === '<=') return value <= target.value;
  return value >= target.value;
}

/** Collects one suite's figures; a target is read against `targetOn` (p50, p95, p99 or the value). */
export class FigureSet {
  readonly figures: Figure[] = [];

  constructor(private readonly suite: string) {}

  samples(
    key: string,
    label: string,
    unit: string,
    samples: readonly number[],
    options: { target?: Target; targetOn?: 'p50' | 'p95' | 'p99'; note?: string } = {},
  ): Spread {
    const spread = spreadOf(samples);
    const judged = spread[options.targetOn ?? 'p50'];
    this.push({
      key,
      label,
      unit,
      value: spread.p50,
      spread,
      ...(options.target ? { target: options.target, met: meets(judged, options.target) } : {}),
      ...(options.note ? { note: options.note } : {}),
    });
    return spread;
  }

  value(
    key: string,
    label: string,
    unit: string,
    value: number,
    options: { target?: Target; note?: string } = {},
  ): number {
    this.push({
      key,
      label,
      unit,
      value: round(value),
      ...(options.target ? { target: options.target, met: meets(value, options.target) } : {}),
      ...(options.note ? { note: options.note } : {}),
    });
    return value;
  }

  private push(f: Omit<Figure, 'key'> & { key: string }): void {
    this.figures.push({ ...f, key: `${this.suite}.${f.key}` });
  }
}

/** Repeats an operation for at least `minMs` and returns operations per second. */
export function opsPerSecond(fn: () => void, minMs: number): number {
  let n = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < minMs) {
    for (let i = 0; i < 10; i++) fn();
    n += 10;
    elapsed = performance.now() - start;
  }
  return (n * 1000) / elapsed;
}

/** Epoch milliseconds with sub-millisecond resolution, comparable with other processes' Date.now(). */
export const nowMs = (): number => performance.timeOrigin + performance.now();
