/**
 * @module The only code that sees a full client IP.
 *
 * It reads the peer address (through the runtime's ConnInfo port) and, when proxies
 * are trusted, the `X-Forwarded-For` header, and returns the address truncated to
 * /24 (IPv4) or /48 (IPv6). Everything downstream is typed `TruncatedIp`, so it cannot
 * hold anything else. CONTRACT.md, privacy invariant 1.
 */
import ipaddr from 'ipaddr.js';

declare const truncated: unique symbol;
/** An address whose host bits are zeroed: `195.159.103.0` or `2001:db8:abcd::`. */
export type TruncatedIp = string & { readonly [truncated]: true };

/** Which peers may tell us the client address through `X-Forwarded-For`. */
export type ProxyTrust =
  | { kind: 'none' }
  /** `GLIMT_TRUST_PROXY=1`: exactly one proxy in front; the right-most entry is the client. */
  | { kind: 'one' }
  /** A CIDR list: the client is the right-most entry outside these ranges. */
  | { kind: 'cidrs'; ranges: ReadonlyArray<[ipaddr.IPv4 | ipaddr.IPv6, number]> }
  /** Workers: Cloudflare sets `CF-Connecting-IP`, which the client cannot forge. */
  | { kind: 'cloudflare' };

/** Parses `GLIMT_TRUST_PROXY`; throws an Error naming the bad entry. */
export function parseProxyTrust(value: string | undefined): ProxyTrust {
  if (value === undefined || value === '' || value === '0') return { kind: 'none' };
  if (value === '1') return { kind: 'one' };
  const ranges = value.split(',').map((entry) => {
    const text = entry.trim();
    try {
      return text.includes('/') ? ipaddr.parseCIDR(text) : singleHost(ipaddr.parse(text));
    } catch {
      throw new Error(`not "1" nor a CIDR list: "${text}" is not a CIDR range`);
    }
  });
  return { kind: 'cidrs', ranges };
}

function singleHost(addr: ipaddr.IPv4 | ipaddr.IPv6): [ipaddr.IPv4 | ipaddr.IPv6, number] {
  return [addr, addr.kind() === 'ipv4' ? 32 : 128];
}

export interface AddressSources {
  /** The TCP peer address (Node) or undefined when the runtime has none. */
  peer: string | undefined;
  /** A header reader: `X-Forwarded-For` and `CF-Connecting-IP` are the only ones read. */
  header: (name: string) => string | undefined;
}

/** Dotted-quad IPv4, bare or IPv4-mapped (`::ffff:`), the common case: no parser needed. */
const IPV4 =
  /^(?:::ffff:)?(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/i;

/** Truncates one textual address; `undefined` when it does not parse. */
export function truncateAddress(text: string): TruncatedIp | undefined {
  const v4 = IPV4.exec(text);
  if (v4) return `${v4[1]}.${v4[2]}.${v4[3]}.0` as TruncatedIp;
  // Every IPv4 address in a header or socket is a dotted quad; legacy forms (`1.2.3`, `0x7f.1`) are refused.
  if (!ipaddr.IPv6.isValid(text)) return undefined;
  const addr = ipaddr.process(text); // IPv4-mapped IPv6 becomes IPv4 here
  const bytes = addr.toByteArray();
  const keep = addr.kind() === 'ipv4' ? 3 : 6; // /24 and /48
  for (let i = keep; i < bytes.length; i++) bytes[i] = 0;
  return ipaddr.fromByteArray(bytes).toString() as TruncatedIp;
}

/**
 * The client address, truncated. `undefined` when no usable address exists, which
 * the pipeline treats like any other visitor ("0.0.0.0"): we never fail an event
 * for a missing address.
 */
export function clientIp(sources: AddressSources, trust: ProxyTrust): TruncatedIp {
  const chosen = chooseClient(sources, trust);
  return (chosen && truncateAddress(chosen)) || ('0.0.0.0' as TruncatedIp);
}

function chooseClient(sources: AddressSources, trust: ProxyTrust): string | undefined {
  switch (trust.kind) {
    case 'none':
      return sources.peer;
    case 'cloudflare':
      return sources.header('cf-connecting-ip')?.trim() || sources.peer;
    case 'one': {
      const value = sources.header('x-forwarded-for');
      const last = value?.slice(value.lastIndexOf(',') + 1).trim();
      return last && (IPV4.test(last) || ipaddr.isValid(last)) ? last : sources.peer;
    }
    case 'cidrs': {
      if (!sources.peer || !isTrusted(sources.peer, trust.ranges)) return sources.peer;
      const hops = forwardedFor(sources.header);
      for (let i = hops.length - 1; i >= 0; i--) {
        const hop = hops[i] as string;
        if (!isTrusted(hop, trust.ranges)) return hop;
      }
      return hops[0] ?? sources.peer;
    }
  }
}

function forwardedFor(header: AddressSources['header']): string[] {
  const value = header('x-forwarded-for');
  if (!value) return [];
  return value
    .split(',')
    .map((hop) => hop.trim())
    .filter((hop) => ipaddr.isValid(hop));
}

function isTrusted(text: string, ranges: ReadonlyArray<[ipaddr.IPv4 | ipaddr.IPv6, number]>): boolean {
  if (!ipaddr.isValid(text)) return false;
  const addr = ipaddr.process(text);
  return ranges.some(([net, bits]) => net.kind() === addr.kind() && addr.match(net, bits));
}
