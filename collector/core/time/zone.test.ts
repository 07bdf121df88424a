import { describe, expect, it } from 'vitest';
import { dayStart, formatBucket, localTime, offsetSeconds, parseDay } from './zone.ts';

describe('zone', () => {
  it('knows offsets, including DST', () => {
    expect(offsetSeconds('Europe/Oslo', Date.UTC(2026, 0, 15))).toBe(3600);
    expect(offsetSeconds('Europe/Oslo', Date.UTC(2026, 6, 15))).toBe(7200);
    expect(offsetSeconds('Asia/Kolkata', Date.UTC(2026, 6, 15))).toBe(19_800);
  });

  it('puts an instant in its local hour bucket and local day', () => {
    const t = Date.UTC(2026, 10, 25, 23, 30); // 00:30 on the 26th in Oslo
    expect(localTime('Europe/Oslo', t)).toEqual({
      bucket: Date.UTC(2026, 10, 25, 23) / 1000,
      day: parseDay('2026-11-26'),
    });
    expect(localTime('UTC', t).day).toBe(parseDay('2026-11-25'));
    // Half-hour zones: the bucket starts at :30 UTC.
    expect(formatBucket(localTime('Asia/Kolkata', t).bucket)).toBe('2026-11-25T23:30:00Z');
  });

  it('finds local midnight in UTC, across a DST change', () => {
    expect(dayStart('Europe/Oslo', parseDay('2026-11-26') as number)).toBe(Date.UTC(2026, 10, 25, 23) / 1000);
    const springForward = parseDay('2026-03-29') as number;
    expect(dayStart('Europe/Oslo', springForward + 1) - dayStart('Europe/Oslo', springForward)).toBe(
      23 * 3600,
    );
  });

  it('parses only real calendar dates', () => {
    expect(parseDay('2026-02-30')).toBeUndefined();
    expect(parseDay('2026-2-3')).toBeUndefined();
    expect(parseDay('1970-01-02')).toBe(1);
  });
});
