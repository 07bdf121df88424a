import { describe, expect, it } from 'vitest';
import type { CountryLookup } from '../ports.ts';
import { lookupCountry, noCountry } from './lookup-country.ts';
import type { TruncatedIp } from './truncate-ip.ts';

const ip = '195.159.103.0' as TruncatedIp;
const request = new Request('http://collector/api/event');
const answering = (code: string | undefined): CountryLookup => ({ country: () => code });

describe('lookupCountry', () => {
  it('keeps an ISO 3166-1 alpha-2 code', () => {
    expect(lookupCountry(answering('NO'), ip, request)).toBe('NO');
  });

  it('turns unknown, Tor (T1) and unassigned (XX) into (none), so breakdowns add up to totals', () => {
    for (const code of [undefined, 'XX', 'T1', 'no', 'NOR'])
      expect(lookupCountry(answering(code), ip, request)).toBe('(none)');
    expect(lookupCountry(noCountry, ip, request)).toBe('(none)');
  });

  it('is given the truncated address only', () => {
    let seen = '';
    const spy: CountryLookup = {
      country: (address) => {
        seen = address;
        return 'NO';
      },
    };
    lookupCountry(spy, ip, request);
    expect(seen).toBe('195.159.103.0');
  });
});
