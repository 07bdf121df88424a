/**
 * @module The small types that each runtime (node, workers) and store (sqlite, d1) implements.
 *
 * The core imports neither `node:*` nor Workers types: whatever differs between
 * runtimes comes in through one of these ports.
 */
import type { TruncatedIp } from './pipeline/truncate-ip.ts';

/** Country lookup from a *truncated* address (Node: the bundled ip-location-db dataset; Workers: `request.cf.country`). */
export interface CountryLookup {
  /** ISO 3166-1 alpha-2, upper case, or undefined when unknown. */
  country(ip: TruncatedIp, request: Request): string | undefined;
}

/** A keyed hash (HMAC-SHA-256 on both runtimes), returned as lower-case hex. */
export type KeyedHash = (key: Uint8Array, message: string) => string;

/** Milliseconds since the epoch; tests move it. */
export type Clock = () => number;
