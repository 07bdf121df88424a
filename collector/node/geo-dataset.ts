/**
 * @module Country lookup on Node, from the geo-whois-asn-country dataset bundled in node_modules.
 *
 * The package is marked CC0-1.0 (https://github.com/sapics/ip-location-db); its README says
 * the WHOIS and ASN data it merges come from the NRO under CC BY 4.0, with attribution to
 * nro.net (node_modules/@ip-location-db/geo-whois-asn-country/NRO_LICENSE).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { TruncatedIp } from '../core/pipeline/truncate-ip.ts';
import type { CountryLookup } from '../core/ports.ts';

const PACKAGE = '@ip-location-db/geo-whois-asn-country';

/**
 * Inclusive ranges sorted by start, in typed arrays (~7 MB for both families).
 *
 * IPv6 keys are the top 64 bits: a /48-truncated address stands for its whole /48, so bits
 * below a /64 are not worth 128-bit arithmetic. Rows starting in the same /64 share a key and
 * the last one wins: after `2001:5a0:40::-2001:5a0:40::ff BR` and `2001:5a0:40::100-
 * 2001:5a0:40:ff:ffff:ffff:ffff:ffff US`, 2001:5a0:40:: is US, the country of nearly all of
 * that /64 rather than of its first 256 addresses.
 */
interface Table<K extends number | bigint> {
  starts: ArrayLike<K>;
  ends: ArrayLike<K>;
  countries: Uint16Array;
}

interface Dataset {
  v4: Table<number>;
  v6: Table<bigint>;
  names: string[];
}

let dataset: Dataset | undefined;

/** Reads the dataset (once per process, about half a second) and returns a lookup that ignores the request. */
export function loadCountryDataset(): CountryLookup {
  dataset ??= readDataset();
  const { v4, v6, names } = dataset;
  return {
    country(ip: TruncatedIp): string | undefined {
      if (ip.includes(':')) {
        const key = ipv6High64(ip);
        return key !== undefined && isGlobalV6(key) ? names[find(v6, key)] : undefined;
      }
      const key = ipv4Number(ip);
      return key !== undefined && isGlobalV4(key) ? names[find(v4, key)] : undefined;
    },
  };
}

function readDataset(): Dataset {
  const require = createRequire(import.meta.url);
  const read = (file: string) => readFileSync(require.resolve(`${PACKAGE}/${file}`));
  const names: string[] = [];
  const codes = new Map<string, number>();
  const codeOf = (country: string) => {
    let code = codes.get(country);
    if (code === undefined) {
      code = names.push(country) - 1;
      codes.set(country, code);
    }
    return code;
  };
  // The `-num` files give addresses as decimal integers: IPv4 ones are read digit by digit,
  // IPv6 ones with BigInt(), about eight times faster than parsing hex groups.
  const v4 = parseRows(
    read('geo-whois-asn-country-ipv4-num.csv'),
    (n) => new Uint32Array(n),
    decimal,
    codeOf,
  );
  const v6 = parseRows(
    read('geo-whois-asn-country-ipv6-num.csv'),
    (n) => new BigUint64Array(n),
    high64,
    codeOf,
  );
  return { v4, v6, names };
}

const NEWLINE = 0x0a;
const COMMA = 0x2c;

/** A decimal field of up to 2^53, read from the bytes. */
const decimal = (bytes: Buffer, from: number, to: number): number => {
  let value = 0;
  for (let i = from; i < to; i++) value = value * 10 + ((bytes[i] as number) - 48);
  return value;
};

/** The top 64 bits of a decimal 128-bit field. */
const high64 = (bytes: Buffer, from: number, to: number): bigint =>
  BigInt(bytes.toString('latin1', from, to)) >> 64n;

/**
 * Lines are `start,end,CC`. They are read from the file's bytes straight into typed arrays:
 * no string of the whole file, no array of lines or of boxed numbers, whose garbage used to
 * keep ~70 MB of heap (and RSS) after start.
 */
function parseRows<K extends number | bigint, A extends { [i: number]: K; length: number }>(
  bytes: Buffer,
  allocate: (rows: number) => A,
  parse: (bytes: Buffer, from: number, to: number) => K,
  codeOf: (country: string) => number,
): { starts: A; ends: A; countries: Uint16Array } {
  let rows = 0;
  for (let at = bytes.indexOf(NEWLINE); at >= 0; at = bytes.indexOf(NEWLINE, at + 1)) rows++;
  if (bytes.length > 0 && bytes[bytes.length - 1] !== NEWLINE) rows++;
  const starts = allocate(rows);
  const ends = allocate(rows);
  const countries = new Uint16Array(rows);
  let count = 0;
  let line = 0;
  while (line < bytes.length) {
    let next = bytes.indexOf(NEWLINE, line);
    if (next < 0) next = bytes.length;
    const first = bytes.indexOf(COMMA, line);
    const second = first < 0 ? -1 : bytes.indexOf(COMMA, first + 1);
    if (first >= 0 && second >= 0 && second < next) {
      const start = parse(bytes, line, first);
      if (count > 0 && start < (starts[count - 1] as K)) throw new Error(`${PACKAGE}: rows are not sorted`);
      starts[count] = start;
      ends[count] = parse(bytes, first + 1, second);
      countries[count] = codeOf(bytes.toString('latin1', second + 1, next).trim());
      count++;
    }
    line = next + 1;
  }
  return { starts: trim(starts, count), ends: trim(ends, count), countries: countries.subarray(0, count) };
}

function trim<A>(array: A, count: number): A {
  const typed = array as unknown as { length: number; subarray(start: number, end: number): A };
  return typed.length === count ? array : typed.subarray(0, count);
}

/**
 * Index of the country for `key`, or -1 (which `names[-1]` turns into undefined).
 *
 * Rows overlap: a smaller range sits inside a larger one and is followed by a row for the
 * rest of the larger one (`2.58.196.0-2.58.197.255 DE`, `2.58.197.15 BE`,
 * `2.58.197.16-2.58.197.255 DE`). So the last row starting at or before the key is the most
 * specific one; checked against every row end of this package version, in both families.
 */
function find<K extends number | bigint>(table: Table<K>, key: K): number {
  const { starts, ends } = table;
  let low = 0;
  let high = starts.length - 1;
  while (low <= high) {
    const mid = (low + high) >>> 1;
    if ((starts[mid] as K) <= key) low = mid + 1;
    else high = mid - 1;
  }
  // `high` is now the last row starting at or before `key`.
  return high >= 0 && key <= (ends[high] as K) ? (table.countries[high] as number) : -1;
}

/** `a.b.c.d` as an unsigned 32-bit number; undefined when it is not dotted-quad IPv4. Read by character: no strings made. */
function ipv4Number(text: string): number | undefined {
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      octet = octet * 10 + (c - 48);
      if (++digits > 3 || octet > 255) return undefined;
    } else if (c === 46 && digits > 0 && dots < 3) {
      value = value * 256 + octet;
      octet = 0;
      digits = 0;
      dots++;
    } else {
      return undefined;
    }
  }
  return dots === 3 && digits > 0 ? value * 256 + octet : undefined;
}

const HEX_GROUP = /^[0-9a-f]{1,4}$/i;

/** The top 64 bits of an IPv6 address in hex-group notation (no embedded IPv4, no zone). */
function ipv6High64(text: string): bigint | undefined {
  const gap = text.indexOf('::');
  const head = gap < 0 ? text : text.slice(0, gap);
  const tail = gap < 0 ? '' : text.slice(gap + 2);
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === '' ? [] : tail.split(':');
  const missing = 8 - headGroups.length - tailGroups.length;
  if (gap < 0 ? missing !== 0 : missing < 1) return undefined;
  const groups = [...headGroups, ...new Array<string>(missing).fill('0'), ...tailGroups];
  let high = 0;
  let low = 0;
  for (let i = 0; i < 8; i++) {
    const group = groups[i] as string;
    if (!HEX_GROUP.test(group)) return undefined;
    const value = Number.parseInt(group, 16);
    if (i < 2) high = high * 0x10000 + value;
    else if (i < 4) low = low * 0x10000 + value;
  }
  return (BigInt(high) << 32n) | BigInt(low);
}

/**
 * Ranges that are not on the public internet (RFC 6890). The dataset maps some of them to a
 * country anyway (192.168.0.0/16 and 172.16.0.0/12 to AU), so they are excluded here.
 */
const V4_NOT_GLOBAL = [
  '0.0.0.0/8',
  '10.0.0.0/8',
  '100.64.0.0/10',
  '127.0.0.0/8',
  '169.254.0.0/16',
  '172.16.0.0/12',
  '192.0.0.0/24',
  '192.0.2.0/24',
  '192.168.0.0/16',
  '198.18.0.0/15',
  '198.51.100.0/24',
  '203.0.113.0/24',
  '224.0.0.0/3',
].map((cidr) => {
  const [base = '', bits = ''] = cidr.split('/');
  const start = ipv4Number(base) ?? 0;
  return [start, start + 2 ** (32 - Number(bits)) - 1] as const;
});

function isGlobalV4(key: number): boolean {
  return !V4_NOT_GLOBAL.some(([start, end]) => key >= start && key <= end);
}

/**
 * Only 2000::/3 is global unicast (RFC 4291); inside it, 2001:db8::/32 (RFC 3849) and
 * 3fff::/20 (RFC 9637) are for documentation, and the dataset maps the first to JP.
 */
function isGlobalV6(high64: bigint): boolean {
  return high64 >> 61n === 1n && high64 >> 32n !== 0x20010db8n && high64 >> 44n !== 0x3fff0n;
}
