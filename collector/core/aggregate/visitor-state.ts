/**
 * @module What Glimt remembers about one visitor hash, for one day at most.
 *
 * It lives as long as its hash: the salt rotates at local midnight, every hash changes
 * with it, and the maintenance job deletes the state with the salt (invariant 3).
 * Stored as one JSON row per hash, rewritten once per batch that touches it.
 */
import { DIMENSION_CODES, VISIT_DIMENSIONS } from '../dimensions.ts';
import type { VisitValues } from '../pipeline/collected-event.ts';

export interface Visit {
  /**
   * A random number that tells the visit's row in the visit grain (`visit` table) from the
   * others that started in the same hour. It says nothing about the visitor.
   */
  id: number;
  /** Hour bucket the visit started in: its visits, bounces and duration belong there. */
  start: number;
  /** Time (ms) of the latest event that kept the visit alive. */
  last: number;
  dims: VisitValues;
  entry: string;
  exit: string;
  pageviews: number;
  customs: number;
  /** Engaged or estimated duration so far, ms. */
  durationMs: number;
  /** The latest pageview, until an engagement or the next event settles its time. */
  pending: { page: string; time: number; engaged: boolean } | null;
}

export interface VisitorState {
  siteId: number;
  day: number;
  visit: Visit | null;
  /** Bucket that `hourSeen` belongs to. */
  hour: number;
  /** `dim\u0001value` keys this visitor has been counted under, this hour and this day. */
  hourSeen: Set<string>;
  daySeen: Set<string>;
  /** Exit-page visit counts per `bucket|page` and `day|page`: visitors of exit pages move as visits go on. */
  exits: Map<string, number>;
}

/**
 * 53 random bits: two visits of one site and one hour get the same id with a chance of about
 * n²/2⁵⁴ (1 in 3.6 billion for 100,000 visits in one hour). Not a secret, so Math.random serves.
 */
export function newVisitId(): number {
  return Math.floor(Math.random() * 2 ** 53);
}

/** A copy that shares nothing mutable with `state` (its visit values are never changed in place). */
export function cloneState(state: VisitorState): VisitorState {
  const visit = state.visit;
  return {
    ...state,
    visit: visit && { ...visit, pending: visit.pending && { ...visit.pending } },
    hourSeen: new Set(state.hourSeen),
    daySeen: new Set(state.daySeen),
    exits: new Map(state.exits),
  };
}

/** A visit with one pageview and no custom event (CONTRACT.md, "bounce"). */
export function isBounce(visit: Visit): boolean {
  return visit.pageviews === 1 && visit.customs === 0;
}

export function newVisitorState(siteId: number, day: number): VisitorState {
  return { siteId, day, visit: null, hour: 0, hourSeen: new Set(), daySeen: new Set(), exits: new Map() };
}

/** The key under which a visitor is remembered as counted in a rollup row. */
export function seenKey(dimCode: number, value: string): string {
  return `${dimCode}\u0001${value}`;
}

/** Keys that a visit's first counted event always adds: they need not be stored twice. */
function impliedKeys(visit: Visit): string[] {
  const keys = [seenKey(DIMENSION_CODES.total, '')];
  for (const dim of VISIT_DIMENSIONS) keys.push(seenKey(DIMENSION_CODES[dim], visit.dims[dim]));
  keys.push(seenKey(DIMENSION_CODES.entry_page, visit.entry));
  return keys;
}

/**
 * The stored form is compact, because one row is written per visitor per batch: the
 * visit's dimension values as an array; the day's keys without those the current visit
 * implies (`i`: 1); the hour's keys as indices into the day's (a key seen this hour
 * was seen today).
 */
interface StoredState {
  s: number;
  d: number;
  v: (Omit<Visit, 'dims'> & { dims: string[] }) | null;
  h: number;
  i: 0 | 1;
  ds: string[];
  hs: number[];
  x: [string, number][];
}

export function serializeState(state: VisitorState): string {
  const visit = state.visit;
  const implied = visit ? impliedKeys(visit) : [];
  const compact = implied.length > 0 && implied.every((key) => state.daySeen.has(key));
  const skip = new Set(compact ? implied : []);
  const rest = [...state.daySeen].filter((key) => !skip.has(key));
  const all = compact ? [...implied, ...rest] : rest;
  const hour: number[] = [];
  for (let i = 0; i < all.length; i++) if (state.hourSeen.has(all[i] as string)) hour.push(i);
  const stored: StoredState = {
    s: state.siteId,
    d: state.day,
    v: visit && { ...visit, dims: VISIT_DIMENSIONS.map((dim) => visit.dims[dim]) },
    h: state.hour,
    i: compact ? 1 : 0,
    ds: rest,
    hs: hour,
    x: [...state.exits],
  };
  return JSON.stringify(stored);
}

export function deserializeState(text: string): VisitorState {
  const stored = JSON.parse(text) as StoredState;
  const v = stored.v;
  const visit: Visit | null = v && {
    ...v,
    id: v.id ?? newVisitId(),
    dims: Object.fromEntries(VISIT_DIMENSIONS.map((dim, i) => [dim, v.dims[i] ?? ''])) as VisitValues,
  };
  const all = stored.i === 1 && visit ? [...impliedKeys(visit), ...stored.ds] : stored.ds;
  return {
    siteId: stored.s,
    day: stored.d,
    visit,
    hour: stored.h,
    hourSeen: new Set(stored.hs.map((i) => all[i] as string)),
    daySeen: new Set(all),
    exits: new Map(stored.x),
  };
}
