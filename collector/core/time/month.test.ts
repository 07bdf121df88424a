import { describe, expect, it } from 'vitest';
import { firstDayOfMonth, lastDayOfMonth, monthOfDay, splitByMonths } from './month.ts';
import { parseDay } from './zone.ts';

const d = (text: string) => parseDay(text) as number;

describe('months', () => {
  it('number months and find their days', () => {
    const feb = monthOfDay(d('2028-02-10'));
    expect(feb).toBe(2028 * 12 + 1);
    expect(firstDayOfMonth(feb)).toBe(d('2028-02-01'));
    expect(lastDayOfMonth(feb)).toBe(d('2028-02-29'));
    expect(lastDayOfMonth(2026 * 12 + 11)).toBe(d('2026-12-31'));
  });

  it('split a range into folded whole months and the days left over', () => {
    const jan = 2026 * 12;
    const folded = new Map([
      [jan, d('2026-01-31')],
      [jan + 1, d('2026-02-28')],
      [jan + 3, d('2026-04-30')],
    ]);
    const split = splitByMonths(d('2025-12-20'), d('2026-04-10'), folded);
    expect(split.months).toEqual([jan, jan + 1]);
    // December's tail, all of March (not folded), and April's head form runs of days.
    expect(split.days).toEqual([
      [d('2025-12-20'), d('2025-12-31')],
      [d('2026-03-01'), d('2026-04-10')],
    ]);
  });

  it('read a month folded up to yesterday, and the days after it', () => {
    const nov = 2026 * 12 + 10;
    const folded = new Map([[nov, d('2026-11-24')]]);
    expect(splitByMonths(d('2026-11-01'), d('2026-11-25'), folded)).toEqual({
      months: [nov],
      days: [[d('2026-11-25'), d('2026-11-25')]],
      minus: [],
    });
    // A range that ends a few days before the folded day: the month row minus those days.
    expect(splitByMonths(d('2026-11-01'), d('2026-11-20'), folded)).toEqual({
      months: [nov],
      days: [],
      minus: [[d('2026-11-21'), d('2026-11-24')]],
    });
    // Or starts a few days into it, too.
    expect(splitByMonths(d('2026-11-03'), d('2026-11-23'), folded)).toEqual({
      months: [nov],
      days: [],
      minus: [
        [d('2026-11-01'), d('2026-11-02')],
        [d('2026-11-24'), d('2026-11-24')],
      ],
    });
    // Few days of it: read as days.
    expect(splitByMonths(d('2026-11-10'), d('2026-11-14'), folded)).toEqual({
      months: [],
      days: [[d('2026-11-10'), d('2026-11-14')]],
      minus: [],
    });
  });

  it('read a month whose data begins inside the range as its month row, with nothing to take off', () => {
    const nov = 2025 * 12 + 10;
    const folded = new Map([[nov, d('2025-11-30')]]);
    // A year ending today, on a site whose first data is 2025-11-25: six days of rows, or one month row.
    expect(splitByMonths(d('2025-11-25'), d('2025-11-30'), folded)).toEqual({
      months: [],
      days: [[d('2025-11-25'), d('2025-11-30')]],
      minus: [],
    });
    expect(splitByMonths(d('2025-11-25'), d('2025-11-30'), folded, d('2025-11-25'))).toEqual({
      months: [nov],
      days: [],
      minus: [],
    });
    // Data from the 23rd: the 23rd and 24th are in the month row but not in the range.
    expect(splitByMonths(d('2025-11-25'), d('2025-11-30'), folded, d('2025-11-23'))).toEqual({
      months: [nov],
      days: [],
      minus: [[d('2025-11-23'), d('2025-11-24')]],
    });
    // Data from the 10th: 15 days to take off cost more than the 6 days read as they are.
    expect(splitByMonths(d('2025-11-25'), d('2025-11-30'), folded, d('2025-11-10')).months).toEqual([]);
  });
});
