/**
 * @module How the dashboard writes numbers: thousands separators, rates as percentages,
 * durations as `1m 05s`, countries by name.
 */
import type { DropReason } from '../../collector/core/pipeline/drop.ts';

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const decimal = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });

/** `1234567` → `1,234,567`. */
export const formatCount = (n: number): string => integer.format(n);

/** `2.634` → `2.63`. */
export const formatDecimal = (n: number): string => decimal.format(n);

/** A fraction 0–1 as a whole percentage: `0.4214` → `42%`. */
export const formatRate = (fraction: number): string => `${Math.round(fraction * 100)}%`;

/** Seconds as `45s`, `1m 05s`, `2h 03m 09s`. */
export function formatDuration(seconds: number): string {
  const total = Math.round(seconds);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const pad = (n: number) => String(n).padStart(2, '0');
  if (h > 0) return `${h}h ${pad(m)}m ${pad(s)}s`;
  if (m > 0) return `${m}m ${pad(s)}s`;
  return `${s}s`;
}

let regions: Intl.DisplayNames | undefined;

/** `NO` → `Norway`; what is no region code (`(none)`) stays as it is. */
export function countryName(code: string): string {
  if (!/^[A-Z]{2}$/.test(code)) return code;
  regions ??= new Intl.DisplayNames(['en'], { type: 'region', fallback: 'code' });
  try {
    return regions.of(code) ?? code;
  } catch {
    return code;
  }
}

const REASONS: Record<DropReason, string> = {
  bot: 'from bots',
  gpc: 'with Global Privacy Control',
  dnt: 'with Do Not Track',
  prefetch: 'prefetches',
  no_visit: 'engagements without a visit',
};

/** A drop reason of `GET /api/stats/dropped`, in words. */
export const dropReason = (reason: string): string => REASONS[reason as DropReason] ?? reason;

/** The label of a timeseries point: `2026-11-25T14:00:00Z` → `14:00` (in the given zone), `2026-11-25` → `Nov 25`, `2026-11` → `Nov 2026`. */
export function periodLabel(time: string, zone: string): string {
  if (time.includes('T'))
    return new Intl.DateTimeFormat('en-GB', { timeZone: zone, hour: '2-digit', minute: '2-digit' }).format(
      new Date(time),
    );
  const [year, month, day] = time.split('-').map(Number);
  const date = new Date(Date.UTC(year ?? 1970, (month ?? 1) - 1, day ?? 1));
  const options: Intl.DateTimeFormatOptions =
    day === undefined ? { month: 'short', year: 'numeric' } : { month: 'short', day: 'numeric' };
  return new Intl.DateTimeFormat('en-US', { ...options, timeZone: 'UTC' }).format(date);
}
