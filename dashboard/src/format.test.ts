import { describe, expect, it } from 'vitest';
import {
  countryName,
  dropReason,
  formatCount,
  formatDecimal,
  formatDuration,
  formatRate,
  periodLabel,
} from './format.ts';

describe('dashboard formatting', () => {
  it('writes counts with thousands separators and decimals to two places', () => {
    expect(formatCount(0)).toBe('0');
    expect(formatCount(1234567)).toBe('1,234,567');
    expect(formatDecimal(2.634)).toBe('2.63');
    expect(formatDecimal(3)).toBe('3');
  });

  it('writes rates as whole percentages', () => {
    expect(formatRate(0.4214)).toBe('42%');
    expect(formatRate(1)).toBe('100%');
    expect(formatRate(0)).toBe('0%');
  });

  it('writes durations as 1m 05s', () => {
    expect(formatDuration(0)).toBe('0s');
    expect(formatDuration(45.4)).toBe('45s');
    expect(formatDuration(65)).toBe('1m 05s');
    expect(formatDuration(600)).toBe('10m 00s');
    expect(formatDuration(7389)).toBe('2h 03m 09s');
  });

  it('names countries, and leaves what is no code alone', () => {
    expect(countryName('NO')).toBe('Norway');
    expect(countryName('(none)')).toBe('(none)');
  });

  it('says why events were dropped', () => {
    expect(dropReason('bot')).toBe('from bots');
    expect(dropReason('something_new')).toBe('something_new');
  });

  it('labels hours in the site zone, days and months', () => {
    expect(periodLabel('2026-11-25T14:00:00Z', 'UTC')).toBe('14:00');
    expect(periodLabel('2026-11-25T14:00:00Z', 'Europe/Oslo')).toBe('15:00');
    expect(periodLabel('2026-11-25', 'UTC')).toBe('Nov 25');
    expect(periodLabel('2026-11', 'UTC')).toBe('Nov 2026');
  });
});
