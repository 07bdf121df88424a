import { describe, expect, it } from 'vitest';
import { isPrefetch, optOutSignal } from './honour-opt-out.ts';

const from = (values: Record<string, string>) => (name: string) => values[name];

describe('optOutSignal', () => {
  it('honours Sec-GPC: 1 as gpc and DNT: 1 as dnt', () => {
    expect(optOutSignal(from({ 'sec-gpc': '1' }), true)).toBe('gpc');
    expect(optOutSignal(from({ dnt: '1' }), true)).toBe('dnt');
    expect(optOutSignal(from({ dnt: '0' }), true)).toBeUndefined();
  });

  it('lets a site switch the signals off', () => {
    expect(optOutSignal(from({ 'sec-gpc': '1', dnt: '1' }), false)).toBeUndefined();
  });
});

describe('isPrefetch', () => {
  it('spots speculative loads', () => {
    expect(isPrefetch(from({ 'sec-purpose': 'prefetch;prerender' }))).toBe(true);
    expect(isPrefetch(from({}))).toBe(false);
  });
});
