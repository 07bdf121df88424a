/**
 * @module Sessionisation: one event's effect on its visitor's state and on the rollups.
 *
 * The reference semantics are CONTRACT.md's "Metrics"; ARCHITECTURE.md spells out the
 * choices the contract leaves open. In short:
 * - a visit is a run of pageview/custom events with no gap of 30 minutes or more; it
 *   belongs to the hour it started in (visits, bounces, duration are counted there);
 * - pageviews and custom events count in the hour they happen, under the visit's dimensions;
 * - an `engagement` adds its time to the visit and to its page; it extends a live visit
 *   but never opens one;
 * - a page without engagement counts the time to the visit's next event, capped at 30 min;
 * - a visitor is counted once per (hour, dimension value) and once per (day, dimension value).
 */
import { type Dimension, VISIT_DIMENSIONS } from '../dimensions.ts';
import type { CollectedEvent } from '../pipeline/collected-event.ts';
import type { DropReason } from '../pipeline/drop.ts';
import type { Deltas } from './cells.ts';
import type { Visit, VisitorState } from './visitor-state.ts';

/** 30 minutes: the visit gap, and the cap on a page's time without engagement. */
export const VISIT_GAP_MS = 30 * 60 * 1000;

const SEP = '\u0001';

/** Applies `event` to `state` and records its rollup deltas. Returns a drop reason when it counts nothing. */
export function sessionise(state: VisitorState, event: CollectedEvent, out: Deltas): DropReason | undefined {
  if (event.kind === 'engagement') return engage(state, event, out);

  let visit = state.visit;
  if (!visit || event.time - visit.last >= VISIT_GAP_MS) visit = startVisit(state, event, out);
  else settlePending(state, visit, event.time, out);
  visit.last = event.time;

  const wasBounce = isBounce(visit);
  if (event.kind === 'pageview') {
    if (visit.exit !== event.page) moveExit(state, visit, event.page, wasBounce, out);
    visit.pageviews++;
    visit.pending = { page: event.page, time: event.time, engaged: false };
    for (const [dim, value] of visitRows(visit)) {
      if (dim !== 'entry_page' && dim !== 'exit_page') add(state, event, dim, value, out);
    }
    add(state, event, 'page', event.page, out);
  } else {
    visit.customs++;
    visit.pending = null;
    for (const [dim, value] of visitRows(visit)) {
      if (dim !== 'entry_page' && dim !== 'exit_page') countVisitor(state, event, dim, value, out);
    }
    add(state, event, 'event', event.name, out, 'events');
  }
  const nowBounce = isBounce(visit);
  if (nowBounce !== wasBounce) addToVisit(state, visit, 'bounces', nowBounce ? 1 : -1, out);
  return undefined;
}

function engage(state: VisitorState, event: CollectedEvent, out: Deltas): DropReason | undefined {
  const visit = state.visit;
  if (!visit) return 'no_visit';
  out.add(state.siteId, 'page', event.page, event.bucket, event.day, 'engaged_ms', event.engagedMs);
  addToVisit(state, visit, 'duration_ms', event.engagedMs, out);
  if (visit.pending && visit.pending.page === event.page) visit.pending.engaged = true;
  if (event.time - visit.last < VISIT_GAP_MS) visit.last = event.time;
  return undefined;
}

function startVisit(state: VisitorState, event: CollectedEvent, out: Deltas): Visit {
  // Exit counts of earlier buckets are settled: only the new visit's bucket can still move.
  for (const key of state.exits.keys()) {
    if (key.startsWith('b') && !key.startsWith(`b${event.bucket}|`)) state.exits.delete(key);
  }
  const visit: Visit = {
    start: event.bucket,
    last: event.time,
    dims: event.visit,
    entry: event.page,
    exit: event.page,
    pageviews: 0,
    customs: 0,
    durationMs: 0,
    pending: null,
  };
  state.visit = visit;
  addToVisit(state, visit, 'visits', 1, out);
  countVisitor(state, event, 'entry_page', visit.entry, out);
  countExit(state, visit, visit.exit, 1, out);
  return visit;
}

/** The previous page had no engagement: it counts the time to this event, capped. */
function settlePending(state: VisitorState, visit: Visit, now: number, out: Deltas) {
  const pending = visit.pending;
  if (pending && !pending.engaged) {
    addToVisit(state, visit, 'duration_ms', Math.min(now - pending.time, VISIT_GAP_MS), out);
  }
  visit.pending = null;
}

/** The visit now leaves from another page: its whole contribution moves from the old exit row to the new. */
function moveExit(state: VisitorState, visit: Visit, page: string, bounce: boolean, out: Deltas) {
  const day = state.day;
  for (const [counter, n] of [
    ['visits', 1],
    ['bounces', bounce ? 1 : 0],
    ['duration_ms', visit.durationMs],
  ] as const) {
    out.add(state.siteId, 'exit_page', visit.exit, visit.start, day, counter, -n);
    out.add(state.siteId, 'exit_page', page, visit.start, day, counter, n);
  }
  countExit(state, visit, visit.exit, -1, out);
  visit.exit = page;
  countExit(state, visit, page, 1, out);
}

function countExit(state: VisitorState, visit: Visit, page: string, n: 1 | -1, out: Deltas) {
  for (const [key, grain, time] of [
    [`b${visit.start}|${page}`, 'hour', visit.start],
    [`d|${page}`, 'day', state.day],
  ] as const) {
    const count = (state.exits.get(key) ?? 0) + n;
    if (count === 0) state.exits.delete(key);
    else state.exits.set(key, count);
    // The visitor joins the exit page's row with its first visit there and leaves it with its last.
    if ((n === 1 && count === 1) || (n === -1 && count === 0)) {
      out.visitor(grain, state.siteId, 'exit_page', time, page, n);
    }
  }
}

function isBounce(visit: Visit): boolean {
  return visit.pageviews === 1 && visit.customs === 0;
}

function* visitRows(visit: Visit): Generator<[Dimension, string]> {
  yield ['total', ''];
  for (const dim of VISIT_DIMENSIONS) yield [dim, visit.dims[dim]];
  yield ['entry_page', visit.entry];
  yield ['exit_page', visit.exit];
}

/** Visit metrics (visits, bounces, duration) belong to the hour the visit started in. */
function addToVisit(
  state: VisitorState,
  visit: Visit,
  counter: 'visits' | 'bounces' | 'duration_ms',
  n: number,
  out: Deltas,
) {
  if (n === 0) return;
  if (counter === 'duration_ms') visit.durationMs += n;
  for (const [dim, value] of visitRows(visit))
    out.add(state.siteId, dim, value, visit.start, state.day, counter, n);
}

/** Counts one pageview (or custom event) in the event's hour, and its visitor where new. */
function add(
  state: VisitorState,
  event: CollectedEvent,
  dim: Dimension,
  value: string,
  out: Deltas,
  counter: 'pageviews' | 'events' = 'pageviews',
) {
  out.add(state.siteId, dim, value, event.bucket, event.day, counter, 1);
  countVisitor(state, event, dim, value, out);
}

function countVisitor(
  state: VisitorState,
  event: CollectedEvent,
  dim: Dimension,
  value: string,
  out: Deltas,
) {
  if (state.hour !== event.bucket) {
    state.hour = event.bucket;
    state.hourSeen.clear();
  }
  const key = dim + SEP + value;
  if (!state.hourSeen.has(key)) {
    state.hourSeen.add(key);
    out.visitor('hour', state.siteId, dim, event.bucket, value, 1);
  }
  if (!state.daySeen.has(key)) {
    state.daySeen.add(key);
    out.visitor('day', state.siteId, dim, event.day, value, 1);
  }
}
