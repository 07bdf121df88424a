/**
 * @module Country lookup on Node, from the geo-whois-asn-country dataset bundled in node_modules.
 *
 * The package is marked CC0-1.0 (https://github.com/sapics/ip-location-db); its README says
 * the WHOIS and ASN data it merges come from the NRO under CC BY 4.0, with attribution to
 * nro.net (node_modules/@ip-location-db/geo-whois-asn-country/NRO_LICENSE).
 *
 * The CSVs are read once into sorted typed arrays (~7 MB) and binary-searched.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { TruncatedIp } from '../core/pipeline/truncate-ip.ts';
import type { CountryLookup } from '../core/ports.ts';

const PACKAGE = '@ip-location-db/geo-whois-asn-country';

/**
 * Inclusive ranges, sorted, not overlapping. IPv6 keys are the top 64 bits of the address:
 * the collector looks up /48-truncated addresses only, whose low 80 bits are zero, so
 * finer keys would tell nothing more and would need 128-bit integers.
 */
interface Table<K extends number | bigint> {
  starts: ArrayLike<K>;
  ends: ArrayLike<K>;
  countries: Uint16Array;
}

interface Tables {
  v4: Table<number>;
  v6: Table<bigint>;
  names: string[];
}

let loaded: Tables | undefined;

/** Reads the dataset (once per process, ~0.5 s) and returns a lookup that ignores the request. */
export function loadCountryDataset(): CountryLookup {
  loaded ??= readTables();
  const { v4, v6, names } = loaded;
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

const high64 = (decimal: string) => BigInt(decimal) >> 64n;

function readTables(): Tables {
  const require = createRequire(import.meta.url);
  const read = (file: string) => readFileSync(require.resolve(`${PACKAGE}/${file}`), 'utf8');
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
  // The `-num` files give addresses as decimal integers: BigInt() reads the IPv6 ones about
  // eight times faster than hex groups can be parsed in JavaScript.
  const v4 = flatten(parseRows(read('geo-whois-asn-country-ipv4-num.csv'), Number, codeOf), 1);
  const v6 = flatten(parseRows(read('geo-whois-asn-country-ipv6-num.csv'), high64, codeOf), 1n);
  return {
    v4: { starts: Uint32Array.from(v4.starts), ends: Uint32Array.from(v4.ends), countries: v4.countries },
    v6: {
      starts: BigUint64Array.from(v6.starts),
      ends: BigUint64Array.from(v6.ends),
      countries: v6.countries,
    },
    names,
  };
}

interface Row<K> {
  start: K;
  end: K;
  country: number;
}

/** Lines are `start,end,CC`, the addresses as decimal integers. */
function parseRows<K>(
  text: string,
  parse: (field: string) => K,
  codeOf: (country: string) => number,
): Row<K>[] {
  const rows: Row<K>[] = [];
  for (const line of text.split('\n')) {
    const first = line.indexOf(',');
    const second = line.indexOf(',', first + 1);
    if (first < 0 || second < 0) continue; // the final empty line
    rows.push({
      start: parse(line.slice(0, first)),
      end: parse(line.slice(first + 1, second)),
      country: codeOf(line.slice(second + 1).trim()),
    });
  }
  return rows;
}

/**
 * The published CSVs overlap: a small range sits inside a larger one, often with no row
 * for the rest of the larger one (`2.58.194.0-2.58.195.255 DE` then `2.58.195.15 BE`, see
 * the package README's notice about data bugs). Rows are sorted by start; where they
 * overlap the later row wins, and the enclosing row resumes after it. The sweep keeps the
 * rows still open on a stack and emits the top one between events.
 */
function flatten<K extends number | bigint>(rows: Row<K>[], one: K) {
  const starts: K[] = [];
  const ends: K[] = [];
  const countries: number[] = [];
  const emit = (start: K, end: K, country: number) => {
    if (end < start) return;
    const last = ends.length - 1;
    if (last >= 0 && countries[last] === country && next(ends[last] as K, one) === start) {
      ends[last] = end; // adjacent and same country: one range
      return;
    }
    starts.push(start);
    ends.push(end);
    countries.push(country);
  };

  const open: Row<K>[] = [];
  let cursor = rows[0]?.start ?? one; // the first key not yet emitted
  let previousStart = cursor;
  const closeBefore = (limit: K | undefined) => {
    for (let top = open.at(-1); top && (limit === undefined || top.end < limit); top = open.at(-1)) {
      open.pop();
      if (cursor <= top.end) {
        emit(cursor, top.end, top.country);
        cursor = next(top.end, one);
      }
    }
  };
  for (const row of rows) {
    if (row.start < previousStart) throw new Error(`${PACKAGE}: rows are not sorted by start`);
    previousStart = row.start;
    closeBefore(row.start);
    const top = open.at(-1);
    if (top && cursor < row.start) emit(cursor, prev(row.start, one), top.country);
    open.push(row);
    cursor = row.start;
  }
  closeBefore(undefined);
  return { starts, ends, countries: Uint16Array.from(countries) };
}

// `+` and `-` do not type-check on `number | bigint`; both branches are the same arithmetic.
function next<K extends number | bigint>(key: K, one: K): K {
  return (typeof key === 'bigint' ? key + (one as bigint) : (key as number) + (one as number)) as K;
}
function prev<K extends number | bigint>(key: K, one: K): K {
  return (typeof key === 'bigint' ? key - (one as bigint) : (key as number) - (one as number)) as K;
}

/** Index of the range holding `key`, or -1 (which `names[-1]` turns into undefined). */
function find<K extends number | bigint>(table: Table<K>, key: K): number {
  const { starts, ends } = table;
  let low = 0;
  let high = starts.length - 1;
  while (low <= high) {
    const mid = (low + high) >>> 1;
    if ((starts[mid] as K) <= key) low = mid + 1;
    else high = mid - 1;
  }
  // `high` is now the last range starting at or before `key`.
  return high >= 0 && key <= (ends[high] as K) ? (table.countries[high] as number) : -1;
}

/** `a.b.c.d` as an unsigned 32-bit number; undefined when it is not dotted-quad IPv4. */
function ipv4Number(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    const octet = Number(part);
    if (part === '' || !Number.isInteger(octet) || octet < 0 || octet > 255) return undefined;
    value = value * 256 + octet;
  }
  return value;
}

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
  for (const [i, group] of groups.entries()) {
    const value = Number.parseInt(group, 16);
    if (!/^[0-9a-f]{1,4}$/i.test(group)) return undefined;
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
  const size = 2 ** (32 - Number(bits));
  const start = ipv4Number(base) ?? 0;
  return [start, start + size - 1] as const;
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
