import { describe, expect, it } from 'vitest';
import { clientIp, parseProxyTrust, truncateAddress } from './truncate-ip.ts';

const headers =
  (values: Record<string, string>) =>
  (name: string): string | undefined =>
    values[name.toLowerCase()];

describe('truncateAddress', () => {
  it.each([
    ['195.159.103.82', '195.159.103.0'],
    ['10.0.0.255', '10.0.0.0'],
    ['::ffff:127.45.67.89', '127.45.67.0'], // IPv4-mapped IPv6 counts as IPv4
    ['2001:db8:abcd:12:34:56:78:9a', '2001:db8:abcd::'],
    ['2a02:2121:ff:1::1', '2a02:2121:ff::'],
    ['::1', '::'],
  ])('%s → %s', (input, expected) => {
    expect(truncateAddress(input)).toBe(expected);
  });

  it('refuses what is not an address', () => {
    expect(truncateAddress('example.com')).toBeUndefined();
    expect(truncateAddress('')).toBeUndefined();
  });
});

describe('clientIp', () => {
  const xff = headers({ 'x-forwarded-for': '203.0.113.7, 198.51.100.23', 'cf-connecting-ip': '192.0.2.99' });

  it('uses the TCP peer and ignores forwarding headers by default', () => {
    expect(clientIp({ peer: '::ffff:198.18.5.77', header: xff }, parseProxyTrust(undefined))).toBe(
      '198.18.5.0',
    );
  });

  it('with one trusted proxy, takes the right-most X-Forwarded-For entry', () => {
    expect(clientIp({ peer: '10.1.1.1', header: xff }, parseProxyTrust('1'))).toBe('198.51.100.0');
  });

  it('with a CIDR list, takes the right-most entry outside the trusted ranges', () => {
    const trust = parseProxyTrust('10.0.0.0/8, 198.51.100.0/24');
    expect(clientIp({ peer: '10.1.1.1', header: xff }, trust)).toBe('203.0.113.0');
    // A peer outside the trusted ranges is the client, whatever it claims.
    expect(clientIp({ peer: '192.0.2.1', header: xff }, trust)).toBe('192.0.2.0');
  });

  it('on Workers, reads CF-Connecting-IP', () => {
    expect(clientIp({ peer: undefined, header: xff }, { kind: 'cloudflare' })).toBe('192.0.2.0');
  });

  it('never fails an event for a missing address', () => {
    expect(clientIp({ peer: undefined, header: headers({}) }, parseProxyTrust(undefined))).toBe('0.0.0.0');
  });

  it('names a bad GLIMT_TRUST_PROXY entry', () => {
    expect(() => parseProxyTrust('10.0.0.0/8,nonsense')).toThrow(/"nonsense"/);
  });
});

describe('the IPv4 fast path', () => {
  it('agrees with the general parser on every octet boundary', () => {
    for (const octet of [0, 1, 9, 10, 99, 100, 199, 200, 249, 250, 255]) {
      expect(truncateAddress(`${octet}.${octet}.${octet}.${octet}`)).toBe(`${octet}.${octet}.${octet}.0`);
      expect(truncateAddress(`::ffff:${octet}.1.2.3`)).toBe(`${octet}.1.2.0`);
    }
    for (const bad of ['256.1.1.1', '1.2.3', '01.2.3.4x', '1.2.3.4.5'])
      expect(truncateAddress(bad)).toBeUndefined();
  });
});
