/**
 * @module The timeseries chart: visitors (area) and pageviews (line), as inline SVG.
 * Each period has an invisible column with a `<title>`, so hovering shows its numbers.
 */
import type { TimeseriesPoint } from '../../collector/core/stats/metrics.ts';
import { h, svg } from './dom.ts';
import { formatCount, periodLabel } from './format.ts';

const W = 960;
const H = 260;
const PAD = { left: 48, right: 12, top: 12, bottom: 28 };
/** Gridlines at most, above zero. */
const TICKS = 4;

/** The smallest 1, 2 or 5 × 10ⁿ at or above `n` (and at least 1): gridlines at round counts. */
export function niceStep(n: number): number {
  if (n <= 1) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(n));
  for (const step of [1, 2, 5]) if (step * magnitude >= n) return step * magnitude;
  return 10 * magnitude;
}

/** Whether a period starts after `now`: the chart draws no line there (it has not happened yet). */
export function isFuture(time: string, now: number, today: string): boolean {
  return time.includes('T') ? Date.parse(time) > now : time > today.slice(0, time.length);
}

export function chart(
  points: readonly TimeseriesPoint[],
  zone: string,
  now: number,
  today: string,
): HTMLElement {
  const past = points.filter((p) => !isFuture(p.time, now, today));
  const top = Math.max(1, ...points.map((p) => Math.max(p.visitors, p.pageviews)));
  const step = niceStep(top / TICKS);
  const ticks = Math.ceil(top / step);
  const max = step * ticks;
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const columns = Math.max(1, points.length);
  const x = (i: number) => PAD.left + (columns === 1 ? plotW / 2 : (i * plotW) / (columns - 1));
  const y = (v: number) => PAD.top + plotH - (v / max) * plotH;
  const line = (pick: (p: TimeseriesPoint) => number) =>
    past.map((p, i) => `${i === 0 ? 'M' : 'L'}${x(i).toFixed(1)},${y(pick(p)).toFixed(1)}`).join(' ');

  const grid = Array.from({ length: ticks + 1 }, (_, t) => {
    const value = step * t;
    return svg(
      'g',
      { class: 'grid' },
      svg('line', { x1: PAD.left, x2: W - PAD.right, y1: y(value), y2: y(value) }),
      svg('text', { x: PAD.left - 8, y: y(value) + 4, 'text-anchor': 'end' }, formatCount(value)),
    );
  });
  const every = Math.max(1, Math.ceil(points.length / 8));
  const labels = points.map((p, i) =>
    i % every === 0
      ? svg('text', { class: 'axis', x: x(i), y: H - 8, 'text-anchor': 'middle' }, periodLabel(p.time, zone))
      : null,
  );
  const area =
    past.length > 0
      ? `${line((p) => p.visitors)} L${x(past.length - 1).toFixed(1)},${y(0)} L${x(0).toFixed(1)},${y(0)} Z`
      : '';
  const hover = points.map((p, i) => {
    const width = plotW / columns;
    return svg(
      'rect',
      { class: 'hover', x: x(i) - width / 2, y: PAD.top, width, height: plotH },
      svg(
        'title',
        {},
        `${periodLabel(p.time, zone)}: ${formatCount(p.visitors)} visitors, ${formatCount(p.pageviews)} pageviews`,
      ),
    );
  });
  // A line needs two points: a lone one is a dot.
  const dots =
    past.length === 1
      ? [svg('circle', { class: 'visitors-dot', cx: x(0), cy: y(past[0]?.visitors ?? 0), r: 4 })]
      : [];

  return h(
    'figure',
    { class: 'chart' },
    h(
      'figcaption',
      {},
      h('span', { class: 'key visitors' }, 'Visitors'),
      h('span', { class: 'key pageviews' }, 'Pageviews'),
    ),
    svg(
      'svg',
      { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': 'Visitors and pageviews over time' },
      ...grid,
      svg('path', { class: 'visitors-area', d: area }),
      svg('path', { class: 'pageviews-line', d: line((p) => p.pageviews) }),
      svg('path', { class: 'visitors-line', d: line((p) => p.visitors) }),
      ...dots,
      ...labels,
      ...hover,
    ),
  );
}
