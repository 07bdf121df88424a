/**
 * A committable pageview for tests of the committer and the store: one site, one fixed hour,
 * every visit dimension `(none)` unless given.
 */
import { VISIT_DIMENSIONS } from '../../collector/core/dimensions.ts';
import type { CollectedEvent, VisitValues } from '../../collector/core/pipeline/collected-event.ts';

/** 2026-11-25 12:00 UTC. */
export const T = Date.UTC(2026, 10, 25, 12);

export const NO_VISIT_VALUES = Object.fromEntries(VISIT_DIMENSIONS.map((d) => [d, '(none)'])) as VisitValues;

export function pageview(visitor: string, page = '/', visit: Partial<VisitValues> = {}): CollectedEvent {
  return {
    siteId: 1,
    time: T,
    bucket: T / 1000,
    day: T / 86_400_000,
    kind: 'pageview',
    name: 'pageview',
    page,
    engagedMs: 0,
    visitor,
    visit: { ...NO_VISIT_VALUES, ...visit },
  };
}
