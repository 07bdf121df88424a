/**
 * @module What Glimt remembers about one visitor hash, for one day at most.
 *
 * It lives as long as its hash: the salt rotates at local midnight, every hash changes
 * with it, and the maintenance job deletes the state with the salt (invariant 3).
 * Stored as one JSON row per hash, rewritten once per batch that touches it.
 */
import type { VisitValues } from '../pipeline/collected-event.ts';

export interface Visit {
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

export function newVisitorState(siteId: number, day: number): VisitorState {
  return { siteId, day, visit: null, hour: 0, hourSeen: new Set(), daySeen: new Set(), exits: new Map() };
}

interface StoredState {
  s: number;
  d: number;
  v: Visit | null;
  h: number;
  hs: string[];
  ds: string[];
  x: [string, number][];
}

export function serializeState(state: VisitorState): string {
  const stored: StoredState = {
    s: state.siteId,
    d: state.day,
    v: state.visit,
    h: state.hour,
    hs: [...state.hourSeen],
    ds: [...state.daySeen],
    x: [...state.exits],
  };
  return JSON.stringify(stored);
}

export function deserializeState(text: string): VisitorState {
  const stored = JSON.parse(text) as StoredState;
  return {
    siteId: stored.s,
    day: stored.d,
    visit: stored.v,
    hour: stored.h,
    hourSeen: new Set(stored.hs),
    daySeen: new Set(stored.ds),
    exits: new Map(stored.x),
  };
}
