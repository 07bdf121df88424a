import { describe, expect, it } from 'vitest';
import { parseFilter, parseState, stateQuery, withFilter, withoutFilter } from './state.ts';

describe('dashboard URL state', () => {
  it('reads site, period, custom days and repeated filters', () => {
    const state = parseState(
      '?site=example.com&period=custom&from=2026-11-01&to=2026-11-30&filter=source:Google&filter=source:Bing&filter=page:/a:b',
    );
    expect(state).toEqual({
      view: 'stats',
      site: 'example.com',
      period: 'custom',
      from: '2026-11-01',
      to: '2026-11-30',
      filters: [
        { dim: 'source', value: 'Google' },
        { dim: 'source', value: 'Bing' },
        { dim: 'page', value: '/a:b' },
      ],
    });
  });

  it('falls back to defaults on anything unknown or malformed', () => {
    expect(
      parseState('?period=forever&from=2026-13-01&filter=nope:x&filter=:x&filter=source&view=other'),
    ).toEqual({ view: 'stats', period: '30d', filters: [] });
    // Dates belong to a custom period only.
    expect(parseState('?period=7d&from=2026-11-01')).toEqual({ view: 'stats', period: '7d', filters: [] });
    // The same filter twice is one filter.
    expect(parseState('?filter=device:mobile&filter=device:mobile').filters).toHaveLength(1);
  });

  it('writes a query that reads back the same, defaults left out', () => {
    const state = parseState('?site=a.example&period=custom&from=2026-01-01&to=2026-01-02&filter=country:NO');
    expect(parseState(stateQuery(state))).toEqual(state);
    expect(stateQuery(parseState(''))).toBe('');
    expect(stateQuery({ view: 'add-site', period: '30d', filters: [] })).toBe('?view=add-site');
    expect(
      stateQuery({
        view: 'stats',
        site: 'a b',
        period: 'today',
        filters: [{ dim: 'page', value: '/x?y&z' }],
      }),
    ).toBe('?site=a+b&period=today&filter=page%3A%2Fx%3Fy%26z');
  });

  it('adds a filter once and removes it', () => {
    const state = parseState('?site=a.example');
    const google = parseFilter('source:Google');
    if (!google) throw new Error('no filter');
    const once = withFilter(state, google);
    expect(withFilter(once, google)).toBe(once);
    expect(once.filters).toEqual([google]);
    expect(withoutFilter(once, google).filters).toEqual([]);
  });
});
