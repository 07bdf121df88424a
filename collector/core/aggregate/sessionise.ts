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
import { VISIT_DIMENSIONS } from '../dimensions.ts';
import type { CollectedEvent } from '../pipeline/collected-event.ts';
import type { DropReason } from '../pipeline/drop.ts';
import { bump, type Deltas, type Row } from './cells.ts';
import { isBounce, newVisitId, type Visit, type VisitorState } from './visitor-state.ts';

/** 30 minutes: the visit gap, and the cap on a page's time without engagement. */
export const VISIT_GAP_MS = 30 * 60 * 1000;

/** Positions in `Deltas.visitRows`: total, the visit dimensions, then entry and exit page. */
const ENTRY = 1 + VISIT_DIMENSIONS.length;
const EXIT = ENTRY + 1;

/** Applies `event` to `state` and records its rollup deltas. Returns a drop reason when it counts nothing. */
export function sessionise(state: VisitorState, event: CollectedEvent, out: Deltas): DropReason | undefined {
  if (event.kind === 'engagement') return engage(state, event, out);

  let visit = state.visit;
  const opens = !visit || event.time - visit.last >= VISIT_GAP_MS;
  if (opens || !visit) visit = startVisit(state, event, out);
  else settlePending(state, visit, event.time, out);
  visit.last = event.time;

  const wasBounce = isBounce(visit);
  if (event.kind === 'pageview') {
    if (visit.exit !== event.page) moveExit(state, visit, event.page, wasBounce, out);
    visit.pageviews++;
    visit.pending = { page: event.page, time: event.time, engaged: false };
  } else {
    visit.customs++;
    visit.pending = null;
  }
  countEvent(state, visit, event, out);
  const nowBounce = isBounce(visit);
  if (nowBounce !== wasBounce) addToVisit(state, visit, 'bounces', nowBounce ? 1 : -1, out);
  out.touchVisit(state.siteId, state.day, visit);
  return undefined;
}

function engage(state: VisitorState, event: CollectedEvent, out: Deltas): DropReason | undefined {
  const visit = state.visit;
  if (!visit) return 'no_visit';
  bump(out.row(state.siteId, 'page', event.page, event.bucket, event.day), 'engaged_ms', event.engagedMs);
  out.visitPage(state.siteId, visit, event.page, event.bucket).engaged_ms += event.engagedMs;
  addToVisit(state, visit, 'duration_ms', event.engagedMs, out);
  out.touchVisit(state.siteId, state.day, visit);
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
    id: newVisitId(),
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
  const rows = out.visitRows(state.siteId, visit, state.day);
  for (const row of rows) bump(row, 'visits', 1);
  countVisitor(state, event.bucket, rows[ENTRY] as Row);
  countExit(state, visit, rows[EXIT] as Row, 1);
  return visit;
}

/** Counts a pageview or custom event in its own hour: under the visit's dimensions, and its page or name. */
function countEvent(state: VisitorState, visit: Visit, event: CollectedEvent, out: Deltas) {
  const counter = event.kind === 'pageview' ? 'pageviews' : 'events';
  const atStart = event.bucket === visit.start;
  const visitRows = atStart ? out.visitRows(state.siteId, visit, state.day) : undefined;
  const own = out.row(state.siteId, 'total', '', event.bucket, event.day);
  countVisitor(state, event.bucket, own);
  if (counter === 'pageviews') bump(own, 'pageviews', 1);
  for (let i = 0; i < VISIT_DIMENSIONS.length; i++) {
    const dim = VISIT_DIMENSIONS[i] as (typeof VISIT_DIMENSIONS)[number];
    const row = visitRows
      ? (visitRows[i + 1] as Row)
      : out.row(state.siteId, dim, visit.dims[dim], event.bucket, event.day);
    countVisitor(state, event.bucket, row);
    if (counter === 'pageviews') bump(row, 'pageviews', 1);
  }
  const named =
    counter === 'pageviews'
      ? out.row(state.siteId, 'page', event.page, event.bucket, event.day)
      : out.row(state.siteId, 'event', event.name, event.bucket, event.day);
  bump(named, counter, 1);
  const item =
    counter === 'pageviews'
      ? out.visitPage(state.siteId, visit, event.page, event.bucket)
      : out.visitEvent(state.siteId, visit, event.name, event.bucket);
  item.count++;
  countVisitor(state, event.bucket, named);
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
  const from = out.visitRows(state.siteId, visit, state.day)[EXIT] as Row;
  const to = out.row(state.siteId, 'exit_page', page, visit.start, state.day);
  for (const [counter, n] of [
    ['visits', 1],
    ['bounces', bounce ? 1 : 0],
    ['duration_ms', visit.durationMs],
  ] as const) {
    bump(from, counter, -n);
    bump(to, counter, n);
  }
  countExit(state, visit, from, -1);
  visit.exit = page;
  out.forgetVisitRows(visit);
  countExit(state, visit, to, 1);
}

/** The visitor joins an exit page's row with its first visit leaving there, and leaves with its last. */
function countExit(state: VisitorState, visit: Visit, row: Row, n: 1 | -1) {
  for (const [key, counters] of [
    [`b${visit.start}|${row.value}`, row.hour],
    [`d|${row.value}`, row.daily],
  ] as const) {
    const count = (state.exits.get(key) ?? 0) + n;
    if (count === 0) state.exits.delete(key);
    else state.exits.set(key, count);
    if ((n === 1 && count === 1) || (n === -1 && count === 0)) counters.visitors += n;
  }
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
  for (const row of out.visitRows(state.siteId, visit, state.day)) bump(row, counter, n);
}

/** Counts the visitor in `row` once per hour and once per day. */
function countVisitor(state: VisitorState, bucket: number, row: Row) {
  if (state.hour !== bucket) {
    state.hour = bucket;
    state.hourSeen.clear();
  }
  const key = row.key;
  if (!state.hourSeen.has(key)) {
    state.hourSeen.add(key);
    row.hour.visitors++;
  }
  if (!state.daySeen.has(key)) {
    state.daySeen.add(key);
    row.daily.visitors++;
  }
}
