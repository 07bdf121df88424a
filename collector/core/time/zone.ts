/**
 * @module Site-local time: hour buckets and days in an IANA time zone.
 *
 * A bucket is the UTC instant (seconds) at which a local hour starts, so that zones
 * with half-hour offsets (Asia/Kolkata) still have local days made of whole buckets.
 * A day is the local calendar date as days since 1970-01-01. Offsets are cached per
 * zone and UTC hour: one Intl call an hour, not one an event.
 */

const formatters = new Map<string, Intl.DateTimeFormat>();
const offsetCache = new Map<string, number>();

export function isValidTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** Offset of `zone` from UTC at instant `ms`, in seconds (Oslo in winter: 3600). */
export function offsetSeconds(zone: string, ms: number): number {
  if (zone === 'UTC') return 0;
  const utcHour = Math.floor(ms / 3_600_000);
  const key = `${zone}|${utcHour}`;
  const cached = offsetCache.get(key);
  if (cached !== undefined) return cached;
  // Zones change offset only on whole quarter hours, so the offset at the hour's start holds for the hour.
  const offset = computeOffset(zone, utcHour * 3_600_000);
  if (offsetCache.size > 10_000) offsetCache.clear();
  offsetCache.set(key, offset);
  return offset;
}

function computeOffset(zone: string, ms: number): number {
  let format = formatters.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(zone, format);
  }
  const parts: Record<string, number> = {};
  for (const part of format.formatToParts(new Date(ms))) parts[part.type] = Number(part.value);
  const asUtc = Date.UTC(
    parts.year ?? 1970,
    (parts.month ?? 1) - 1,
    parts.day ?? 1,
    parts.hour ?? 0,
    parts.minute ?? 0,
    parts.second ?? 0,
  );
  return Math.round((asUtc - ms) / 1000);
}

export interface LocalTime {
  /** UTC seconds at which the local hour containing the instant starts. */
  bucket: number;
  /** Local calendar day, as days since 1970-01-01. */
  day: number;
}

export function localTime(zone: string, ms: number): LocalTime {
  const offset = offsetSeconds(zone, ms);
  const local = Math.floor(ms / 1000) + offset;
  const localHour = Math.floor(local / 3600) * 3600;
  return { bucket: localHour - offset, day: Math.floor(local / 86_400) };
}

/** `2026-11-25` → days since epoch; undefined when malformed. */
export function parseDay(text: string): number | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!match) return undefined;
  const ms = Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
  const day = ms / 86_400_000;
  return formatDay(day) === text ? day : undefined;
}

export function formatDay(day: number): string {
  return new Date(day * 86_400_000).toISOString().slice(0, 10);
}

/** The UTC instant (seconds) at which local `day` starts in `zone`. */
export function dayStart(zone: string, day: number): number {
  const guess = day * 86_400 - offsetSeconds(zone, day * 86_400_000);
  // The offset at local midnight may differ from the one at UTC midnight (a DST change between them).
  return day * 86_400 - offsetSeconds(zone, guess * 1000);
}

/** ISO 8601 for a bucket start: `2026-11-25T14:00:00Z`. */
export function formatBucket(bucket: number): string {
  return new Date(bucket * 1000).toISOString().replace('.000Z', 'Z');
}

/** The first local day a retention of `months` keeps: the same day of the month, `months` back. */
export function retentionStartDay(today: number, months: number): number {
  const date = new Date(today * 86_400_000);
  date.setUTCMonth(date.getUTCMonth() - months);
  return Math.floor(date.getTime() / 86_400_000);
}
