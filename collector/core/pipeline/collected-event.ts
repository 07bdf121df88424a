/**
 * @module What the pipeline hands to aggregation: an accepted event, fully enriched.
 *
 * It holds no address and no User-Agent: only the visitor hash and derived dimensions.
 * It is plain JSON, because on Workers it travels through a Queue.
 */
import type { VisitDimension } from '../dimensions.ts';
import type { DropReason } from './drop.ts';

export type EventKind = 'pageview' | 'engagement' | 'custom';

/** The values of the visit's dimensions, taken from the event that starts the visit. */
export type VisitValues = Record<VisitDimension, string>;

export interface CollectedEvent {
  siteId: number;
  /** Arrival time, ms since the epoch. */
  time: number;
  /** Local hour bucket (UTC seconds) and local day of `time` in the site's zone. */
  bucket: number;
  day: number;
  kind: EventKind;
  /** The custom event's name; `pageview`/`engagement` for those. */
  name: string;
  /** Normalised path of the page. */
  page: string;
  /** Visible time on the page, on `engagement` only. */
  engagedMs: number;
  /** Keyed hash of (daily salt, site, truncated IP, User-Agent), hex. */
  visitor: string;
  visit: VisitValues;
}

/** A drop, counted in the drop log but otherwise forgotten. */
export interface DroppedEvent {
  siteId: number;
  bucket: number;
  drop: DropReason;
}

export type Committable = CollectedEvent | DroppedEvent;

export function isDropped(event: Committable): event is DroppedEvent {
  return 'drop' in event;
}
