// The run's figures as one plain-text table: value (median), spread, and the target or anchor with met/MISSED.
import type { Figure } from './figures.ts';

const fmt = (x: number | undefined) => (x === undefined ? '' : String(x));

export function printTable(figures: readonly Figure[]): void {
  const rows = figures.map((f) => [
    f.key,
    fmt(f.value),
    f.unit,
    fmt(f.spread?.n),
    fmt(f.spread?.p95),
    fmt(f.spread?.p99),
    fmt(f.spread?.max),
    f.target ? `${f.target.op} ${f.target.value}` : '',
    f.met === undefined ? '' : f.met ? 'met' : 'MISSED',
  ]);
  const head = ['figure', 'p50/value', 'unit', 'n', 'p95', 'p99', 'max', 'target', ''];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) =>
    r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  console.log('\n' + line(head));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
}
