import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import type { TruncatedIp } from '../core/pipeline/truncate-ip.ts';
import { loadCountryDataset } from './geo-dataset.ts';

const geo = loadCountryDataset();
const request = new Request('http://localhost/');
const country = (ip: string) => geo.country(ip as TruncatedIp, request);

// Each answer was read from the package's CSVs (line numbers of this package version).
const known: Array<[string, string, string]> = [
  ['8.8.8.0', 'US', 'ipv4-num.csv:8295, 100663296-134874623'],
  ['1.1.1.0', 'AU', 'ipv4-num.csv:10, 16843008-16843263'],
  ['195.159.103.0', 'NO', 'ipv4-num.csv:286304, 3281977344-3282042879'],
  ['5.61.192.0', 'SK', 'ipv4-num.csv:2679, nested in line 2678 (FR) and starting with it'],
  ['5.61.194.0', 'NL', 'ipv4-num.csv:2680, nested in line 2678 (FR)'],
  ['2001:4860:4860::', 'US', 'ipv6.csv:22644, 2001:4860::/32'],
  ['2606:4700:4700::', 'US', 'ipv6.csv:56875, 2606:4700::/32'],
  ['2a00:1457:ffff::', 'IE', 'ipv6.csv:81631, last /48 of 2a00:1450::-2a00:1457:ffff:...'],
  ['2a00:1458::', 'BE', 'ipv6.csv:81632, the next row'],
];

describe('loadCountryDataset', () => {
  it.each(known)('%s is in %s (%s)', (ip, expected) => {
    expect(country(ip)).toBe(expected);
  });

  it.each([
    '0.0.0.0',
    '127.0.0.0',
    '10.1.2.0',
    '172.16.5.0',
    '192.168.1.0',
    '100.64.0.0',
    '169.254.1.0',
    '224.0.0.0',
    '::',
    '::1',
    'fe80::',
    'fd00:1234:5678::',
    '2001:db8:abcd::',
    'ff02::',
  ])('%s is not on the public internet, so it has no country', (ip) => {
    expect(country(ip)).toBeUndefined();
  });

  it('answers undefined for text that is not an address', () => {
    for (const text of [
      '',
      'localhost',
      '1.2.3',
      '1.2.3.256',
      '1..2.3',
      '1.2.3.',
      '.1.2.3',
      '1.2.3.4.5',
      '1.2.3.0004',
      '1.2.3.4 ',
      '2001:::1',
      '12345::',
      'g::',
    ]) {
      expect(country(text)).toBeUndefined();
    }
  });

  // find() takes the last row starting at or before an address. That is wrong only where a
  // row ends, an earlier row goes on, and the next row starts later: a gap the earlier row
  // should fill. A new package version that has one fails here.
  it.each([
    ['ipv4-num', (n: string) => BigInt(n)],
    ['ipv6-num', (n: string) => BigInt(n) >> 64n],
  ])('the %s file has no range that resumes after a nested one without a row', (file, key) => {
    const path = createRequire(import.meta.url).resolve(
      `@ip-location-db/geo-whois-asn-country/geo-whois-asn-country-${file}.csv`,
    );
    const rows = readFileSync(path, 'utf8')
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => line.split(',').slice(0, 2).map(key) as [bigint, bigint]);
    const gaps: string[] = [];
    let furthestEnd = -1n;
    for (const [i, [, end]] of rows.entries()) {
      const nextStart = rows[i + 1]?.[0];
      if (furthestEnd > end && (nextStart === undefined || nextStart > end + 1n)) gaps.push(`row ${i + 1}`);
      if (end > furthestEnd) furthestEnd = end;
    }
    expect(gaps).toEqual([]);
  });

  it('answers 10k lookups', () => {
    const answers = new Set<string | undefined>();
    for (let i = 0; i < 5_000; i++) {
      answers.add(country(`${(i % 223) + 1}.${i % 256}.${(i * 7) % 256}.0`));
      answers.add(country(`2a0${i % 10}:${(i % 4096).toString(16)}::`));
    }
    expect(answers.size).toBeGreaterThan(20);
  });
});
