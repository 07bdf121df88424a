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

/** The day totals' sum of one counter in a store's file (`dim` 0: the site's total). */
export function dayTotal(
  db: { prepare(sql: string): { pluck(): { get(): unknown } } },
  column: string,
): number {
  return db
    .prepare(`SELECT coalesce(sum(${column}), 0) FROM rollup_day WHERE dim = 0`)
    .pluck()
    .get() as number;
}

/** Events waiting in a journal file (one row per acknowledged batch, a JSON array). */
export function journalEvents(db: { prepare(sql: string): { pluck(): { get(): unknown } } }): number {
  return db
    .prepare('SELECT coalesce(sum(json_array_length(events)), 0) FROM journal')
    .pluck()
    .get() as number;
}
