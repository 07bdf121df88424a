import { describe, expect, it } from 'vitest';
import { isDate, rangeOf, todayIn } from './period.ts';

describe('dashboard periods', () => {
  it("finds today in the site's zone", () => {
    const late = Date.parse('2026-11-25T23:30:00Z');
    expect(todayIn('UTC', late)).toBe('2026-11-25');
    expect(todayIn('Europe/Oslo', late)).toBe('2026-11-26');
    expect(todayIn('America/New_York', Date.parse('2026-11-26T03:00:00Z'))).toBe('2026-11-25');
  });

  it('turns each period into whole days and an interval', () => {
    const today = '2026-03-02';
    expect(rangeOf('today', today)).toEqual({ from: today, to: today, interval: 'hour' });
    expect(rangeOf('yesterday', today)).toEqual({ from: '2026-03-01', to: '2026-03-01', interval: 'hour' });
    expect(rangeOf('7d', today)).toEqual({ from: '2026-02-24', to: today, interval: 'day' });
    expect(rangeOf('30d', today)).toEqual({ from: '2026-02-01', to: today, interval: 'day' });
    expect(rangeOf('month', today)).toEqual({ from: '2026-03-01', to: today, interval: 'hour' });
    expect(rangeOf('month', '2026-03-20')).toEqual({ from: '2026-03-01', to: '2026-03-20', interval: 'day' });
    expect(rangeOf('12mo', today)).toEqual({ from: '2025-04-01', to: today, interval: 'month' });
    expect(rangeOf('12mo', '2026-12-31')).toEqual({
      from: '2026-01-01',
      to: '2026-12-31',
      interval: 'month',
    });
  });

  it('takes a custom range as given, reversed ones swapped, bad dates as today', () => {
    const today = '2026-03-02';
    expect(rangeOf('custom', today, { from: '2026-01-01', to: '2026-01-31' })).toEqual({
      from: '2026-01-01',
      to: '2026-01-31',
      interval: 'day',
    });
    expect(rangeOf('custom', today, { from: '2026-01-31', to: '2026-01-30' })).toEqual({
      from: '2026-01-30',
      to: '2026-01-31',
      interval: 'hour',
    });
    expect(rangeOf('custom', today, { from: '2026-02-30' })).toEqual({
      from: today,
      to: today,
      interval: 'hour',
    });
  });

  it('knows a real date', () => {
    expect(isDate('2026-02-28')).toBe(true);
    expect(isDate('2026-02-29')).toBe(false);
    expect(isDate('26-02-01')).toBe(false);
  });
});
