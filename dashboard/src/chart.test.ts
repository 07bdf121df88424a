import { describe, expect, it } from 'vitest';
import { isFuture, niceStep } from './chart.ts';

describe('dashboard chart', () => {
  it('puts gridlines at round counts', () => {
    expect(niceStep(0)).toBe(1);
    expect(niceStep(1.5)).toBe(2);
    expect(niceStep(2.5)).toBe(5);
    expect(niceStep(7)).toBe(10);
    expect(niceStep(1234)).toBe(2000);
  });

  it('draws no line into periods that have not started', () => {
    const now = Date.parse('2026-11-25T14:30:00Z');
    expect(isFuture('2026-11-25T14:00:00Z', now, '2026-11-25')).toBe(false);
    expect(isFuture('2026-11-25T15:00:00Z', now, '2026-11-25')).toBe(true);
    expect(isFuture('2026-11-25', now, '2026-11-25')).toBe(false);
    expect(isFuture('2026-11-26', now, '2026-11-25')).toBe(true);
    expect(isFuture('2026-11', now, '2026-11-25')).toBe(false);
    expect(isFuture('2026-12', now, '2026-11-25')).toBe(true);
  });
});
