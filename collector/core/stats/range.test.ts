import { describe, expect, it } from 'vitest';
import { parseDay } from '../time/zone.ts';
import { parseRange } from './range.ts';

describe('parseRange', () => {
  it('reads dates as whole local days, to inclusive', () => {
    const range = parseRange('2026-11-24', '2026-11-25', 'Europe/Oslo');
    expect(range).toEqual({
      fromBucket: Date.UTC(2026, 10, 23, 23) / 1000,
      toBucket: Date.UTC(2026, 10, 25, 23) / 1000 - 1,
      fromDay: parseDay('2026-11-24'),
      toDay: parseDay('2026-11-25'),
      wholeDays: true,
    });
  });

  it('reads ISO instants with to exclusive, and knows when they are whole days', () => {
    const hour = parseRange('2026-11-25T14:00:00Z', '2026-11-25T15:00:00Z', 'UTC');
    expect(hour).toMatchObject({ fromBucket: Date.UTC(2026, 10, 25, 14) / 1000, wholeDays: false });
    expect(parseRange('2026-11-25T00:00:00+01:00', '2026-11-26T00:00:00+01:00', 'Europe/Oslo')).toMatchObject(
      {
        wholeDays: true,
      },
    );
  });

  it('takes a date beside an instant as the start or the end of that local day', () => {
    expect(parseRange('2026-11-25', '2026-11-26T00:00:00Z', 'UTC')).toMatchObject({ wholeDays: true });
    expect(parseRange('2026-11-25T12:00:00Z', '2026-11-25', 'UTC')).toMatchObject({
      fromBucket: Date.UTC(2026, 10, 25, 12) / 1000,
      toBucket: Date.UTC(2026, 10, 26) / 1000 - 1,
      wholeDays: false,
    });
  });

  it.each([
    [undefined, '2026-11-25', /required/],
    ['2026-11-26', '2026-11-25', /before/],
    ['yesterday', '2026-11-25', /"from"/],
    ['2026-11-25T14:00:00', '2026-11-25T15:00:00Z', /"from"/],
    ['2026-02-01', '2026-02-30', /"to"/],
    ['2026-02-30', '2026-03-01', /"from"/],
  ])('refuses from=%s to=%s', (from, to, message) => {
    expect(parseRange(from, to, 'UTC')).toMatch(message);
  });
});
