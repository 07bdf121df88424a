/**
 * @module `from`/`to` of the stats API → buckets and days of the site's zone.
 *
 * Dates (`2026-11-25`) are whole local days, `to` inclusive. ISO 8601 instants with a
 * zone (`2026-11-25T14:00:00Z`) are exclusive at `to`; data has hour resolution, so an
 * instant range covers the hour buckets that start inside it.
 */
import { dayStart, localTime, parseDay } from '../time/zone.ts';

export interface StatsRange {
  /** Inclusive hour buckets (UTC seconds of the local hour's start). */
  fromBucket: number;
  toBucket: number;
  /** Inclusive local days that the range touches. */
  fromDay: number;
  toDay: number;
  /** True when the range is exactly a run of whole local days: the day grain answers it. */
  wholeDays: boolean;
}

const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;
const MAX_DAYS = 3660;

export function parseRange(
  from: string | undefined,
  to: string | undefined,
  zone: string,
): StatsRange | string {
  if (!from || !to) return '"from" and "to" are required (YYYY-MM-DD or ISO 8601 with a zone)';
  const fromDay = parseDay(from);
  const toDay = parseDay(to);
  if (fromDay !== undefined && toDay !== undefined) {
    if (toDay < fromDay) return '"to" is before "from"';
    if (toDay - fromDay > MAX_DAYS) return `the range is longer than ${MAX_DAYS} days`;
    return {
      fromBucket: dayStart(zone, fromDay),
      toBucket: dayStart(zone, toDay + 1) - 1,
      fromDay,
      toDay,
      wholeDays: true,
    };
  }
  // A date may stand beside an instant: it means the start of that local day (`from`) or its end (`to`).
  const fromMs = fromDay !== undefined ? dayStart(zone, fromDay) * 1000 : parseInstant(from);
  if (fromMs === undefined)
    return `"from" is neither YYYY-MM-DD nor ISO 8601 with a zone: ${JSON.stringify(from)}`;
  const toMs = toDay !== undefined ? dayStart(zone, toDay + 1) * 1000 : parseInstant(to);
  if (toMs === undefined) return `"to" is neither YYYY-MM-DD nor ISO 8601 with a zone: ${JSON.stringify(to)}`;
  if (toMs <= fromMs) return '"to" must be after "from"';
  if (toMs - fromMs > MAX_DAYS * 86_400_000) return `the range is longer than ${MAX_DAYS} days`;
  const fromBucket = Math.ceil(fromMs / 1000);
  const toBucket = Math.ceil(toMs / 1000) - 1;
  const first = localTime(zone, fromMs).day;
  const last = localTime(zone, toMs - 1).day;
  const wholeDays = dayStart(zone, first) * 1000 === fromMs && dayStart(zone, last + 1) * 1000 === toMs;
  return { fromBucket, toBucket, fromDay: first, toDay: last, wholeDays };
}

function parseInstant(text: string): number | undefined {
  if (!ISO_WITH_ZONE.test(text)) return undefined;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}
