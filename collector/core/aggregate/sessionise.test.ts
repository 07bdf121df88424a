import { describe, expect, it } from 'vitest';
import { DIMENSION_CODES, type Dimension, VISIT_DIMENSIONS } from '../dimensions.ts';
import type { CollectedEvent, VisitValues } from '../pipeline/collected-event.ts';
import { type Cell, Deltas } from './cells.ts';
import { sessionise, VISIT_GAP_MS } from './sessionise.ts';
import { newVisitorState } from './visitor-state.ts';

const T0 = Date.UTC(2026, 10, 25, 10, 0);
const MIN = 60_000;
const visit = Object.fromEntries(VISIT_DIMENSIONS.map((d) => [d, '(none)'])) as VisitValues;

function event(
  minute: number,
  kind: CollectedEvent['kind'],
  page = '/a',
  extra: Partial<CollectedEvent> = {},
): CollectedEvent {
  const time = T0 + minute * MIN;
  return {
    siteId: 1,
    time,
    bucket: Math.floor(time / 3_600_000) * 3600,
    day: Math.floor(time / 86_400_000),
    kind,
    name: kind === 'custom' ? 'signup' : kind,
    page,
    engagedMs: 0,
    visitor: 'v1',
    visit: { ...visit, source: 'Google' },
    ...extra,
  };
}

/** Runs the events through one state and sums the resulting deltas per (grain, dim, value). */
function run(events: CollectedEvent[]) {
  const state = newVisitorState(1, events[0]?.day ?? 0);
  const out = new Deltas();
  const drops = events.map((e) => sessionise(state, e, out)).filter(Boolean);
  const sum = (grain: Cell['grain'], dim: Dimension, value = '') => {
    const total = {
      visitors: 0,
      visits: 0,
      pageviews: 0,
      events: 0,
      bounces: 0,
      duration_ms: 0,
      engaged_ms: 0,
    };
    for (const cell of out.cells()) {
      if (cell.grain !== grain || cell.dim !== DIMENSION_CODES[dim] || cell.value !== value) continue;
      for (const key of Object.keys(total) as (keyof typeof total)[]) total[key] += cell.counters[key];
    }
    return total;
  };
  return {
    state,
    drops,
    cells: () => out.cells(),
    day: (dim: Dimension, value = '') => sum('day', dim, value),
    hour: (dim: Dimension, value = '') => sum('hour', dim, value),
  };
}

describe('sessionise', () => {
  it('counts a single pageview as one visit, one visitor, one bounce', () => {
    const r = run([event(0, 'pageview')]);
    expect(r.day('total')).toMatchObject({
      visitors: 1,
      visits: 1,
      pageviews: 1,
      bounces: 1,
      duration_ms: 0,
    });
    expect(r.day('source', 'Google')).toMatchObject({ visitors: 1, visits: 1, pageviews: 1, bounces: 1 });
  });

  it('a second pageview or a custom event ends the bounce', () => {
    expect(run([event(0, 'pageview'), event(1, 'pageview', '/b')]).day('total').bounces).toBe(0);
    expect(run([event(0, 'pageview'), event(1, 'custom')]).day('total').bounces).toBe(0);
  });

  it('opens a new visit after a gap of 30 minutes, not before', () => {
    expect(run([event(0, 'pageview'), event(29.99, 'pageview')]).day('total').visits).toBe(1);
    const r = run([event(0, 'pageview'), event(30, 'pageview')]);
    expect(r.day('total')).toMatchObject({ visits: 2, bounces: 2, visitors: 1 });
  });

  it('counts engaged time, and for pages without it the time to the next event, capped', () => {
    const engaged = run([
      event(0, 'pageview'),
      event(0.5, 'engagement', '/a', { engagedMs: 20_000 }),
      event(1, 'pageview', '/b'),
    ]);
    expect(engaged.day('total').duration_ms).toBe(20_000);
    expect(engaged.day('page', '/a').engaged_ms).toBe(20_000);

    const estimated = run([event(0, 'pageview'), event(2, 'pageview', '/b')]);
    expect(estimated.day('total').duration_ms).toBe(2 * MIN);

    // An engagement for another page keeps the visit alive; /a's own time is then capped at 30 minutes.
    const capped = run([
      event(0, 'pageview', '/a'),
      event(20, 'engagement', '/x', { engagedMs: 1000 }),
      event(45, 'pageview', '/b'),
    ]);
    expect(capped.day('total')).toMatchObject({ visits: 1, duration_ms: 1000 + VISIT_GAP_MS });

    // A custom event settles the page before it; it is no page itself.
    const custom = run([event(0, 'pageview'), event(5, 'custom'), event(9, 'pageview', '/b')]);
    expect(custom.day('total').duration_ms).toBe(5 * MIN);
  });

  it('extends a live visit with an engagement, but never opens one', () => {
    const r = run([
      event(0, 'pageview'),
      event(20, 'engagement', '/a', { engagedMs: 1000 }),
      event(45, 'pageview'),
    ]);
    expect(r.day('total').visits).toBe(1);
    const orphan = run([event(0, 'engagement', '/a', { engagedMs: 1000 })]);
    expect(orphan.drops).toEqual(['no_visit']);
    expect(orphan.day('total').visits).toBe(0);
  });

  it('moves the exit page, with the visit, its bounce and duration', () => {
    const r = run([event(0, 'pageview', '/a'), event(1, 'pageview', '/b'), event(2, 'pageview', '/c')]);
    expect(r.day('entry_page', '/a')).toMatchObject({ visitors: 1, visits: 1 });
    expect(r.day('exit_page', '/a')).toMatchObject({ visitors: 0, visits: 0, bounces: 0, duration_ms: 0 });
    expect(r.day('exit_page', '/b')).toMatchObject({ visitors: 0, visits: 0, duration_ms: 0 });
    expect(r.day('exit_page', '/c')).toMatchObject({
      visitors: 1,
      visits: 1,
      bounces: 0,
      duration_ms: 2 * MIN,
    });
  });

  it('keeps a visitor on an exit page while another of their visits still leaves there', () => {
    const r = run([event(0, 'pageview', '/a'), event(40, 'pageview', '/a'), event(41, 'pageview', '/b')]);
    expect(r.day('exit_page', '/a')).toMatchObject({ visitors: 1, visits: 1 });
    expect(r.day('exit_page', '/b')).toMatchObject({ visitors: 1, visits: 1 });
  });

  it('counts a visitor once per hour and once per day, and the visit in its first hour', () => {
    const r = run([event(50, 'pageview'), event(70, 'pageview', '/b'), event(75, 'pageview', '/a')]);
    expect(r.day('total')).toMatchObject({ visitors: 1, visits: 1, pageviews: 3 });
    expect(r.day('page', '/a')).toMatchObject({ visitors: 1, pageviews: 2 });
    const hourly = [...r.cells()].filter((c) => c.grain === 'hour' && c.dim === DIMENSION_CODES.total);
    const byBucket = Object.fromEntries(hourly.map((c) => [(c.time * 1000 - T0) / 3_600_000, c.counters]));
    expect(byBucket[0]).toMatchObject({ visitors: 1, visits: 1, pageviews: 1 });
    expect(byBucket[1]).toMatchObject({ visitors: 1, visits: 0, pageviews: 2 });
  });

  it('counts custom events under their name', () => {
    const r = run([event(0, 'pageview'), event(1, 'custom'), event(2, 'custom')]);
    expect(r.day('event', 'signup')).toMatchObject({ visitors: 1, events: 2 });
    expect(VISIT_GAP_MS).toBe(30 * MIN);
  });
});

describe('visitor state', () => {
  it('survives a round trip through its stored form', async () => {
    const { serializeState, deserializeState } = await import('./visitor-state.ts');
    const r = run([event(0, 'pageview', '/a'), event(1, 'pageview', '/b'), event(70, 'custom', '/b')]);
    const back = deserializeState(serializeState(r.state));
    expect(back).toEqual(r.state);
    // A second visit from another source: the first visit's keys must come back too.
    const two = run([
      event(0, 'pageview', '/a'),
      event(40, 'pageview', '/b', { visit: { ...visit, source: 'Bing' } }),
    ]);
    expect(deserializeState(serializeState(two.state))).toEqual(two.state);
    expect(two.state.daySeen.has('4\u0001Google')).toBe(true);
    expect(serializeState(two.state).length).toBeLessThan(1000);
  });
});
