// Sales over time as a uPlot bar chart (revenue in yuan on the y axis, integer fen underneath).
import uPlot from 'uplot';
import { h, yuan } from './dom.ts';

export function salesChart(
  title: string,
  labels: readonly string[],
  revenueFen: readonly number[],
  width: number,
): HTMLElement {
  const figure = h('figure', { class: 'chart' }, h('figcaption', {}, title));
  const xs = labels.map((_, i) => i);
  const bars = uPlot.paths.bars?.({ size: [0.7, 40] });
  new uPlot(
    {
      width: Math.max(200, width),
      height: 220,
      legend: { show: false },
      scales: { x: { time: false } },
      axes: [
        { values: (_u, ticks) => ticks.map((t) => labels[t] ?? '') },
        { values: (_u, ticks) => ticks.map((t) => yuan(Math.round(t * 100))), size: 70 },
      ],
      series: [
        {},
        {
          label: 'Revenue',
          fill: '#2f6f9f',
          stroke: '#1d4a6b',
          ...(bars ? { paths: bars } : {}),
          points: { show: false },
        },
      ],
    },
    [xs, revenueFen.map((fen) => fen / 100)],
    figure,
  );
  // The same figures as text, for screen readers and for reading exact amounts.
  figure.append(
    h(
      'p',
      { class: 'visually-hidden' },
      labels.map((label, i) => `${label}: ${yuan(revenueFen[i] ?? 0)}`).join('; '),
    ),
  );
  return figure;
}
