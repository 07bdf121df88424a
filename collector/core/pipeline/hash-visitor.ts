/**
 * @module Step: the visitor hash, keyed with the site's salt of the day.
 *
 * HMAC(salt, site | truncated IP | User-Agent). The hash cannot be reversed without
 * the salt, and the salt is destroyed after its day, so yesterday's hashes cannot be
 * linked to today's (invariant 3).
 */
import type { KeyedHash } from '../ports.ts';
import type { TruncatedIp } from './truncate-ip.ts';

/** 128 bits: collisions stay negligible at billions of visitors a day. */
const HASH_HEX_CHARS = 32;

export function hashVisitor(
  keyedHash: KeyedHash,
  salt: Uint8Array,
  site: string,
  ip: TruncatedIp,
  userAgent: string,
): string {
  return keyedHash(salt, `${site}\n${ip}\n${userAgent}`).slice(0, HASH_HEX_CHARS);
}
