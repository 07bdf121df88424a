/**
 * @module Why an event was refused or dropped: a closed set.
 *
 * A *rejection* answers 4xx and names its cause (the client sent something wrong).
 * A *drop* answers 202 (the client did nothing wrong: we chose not to count it) and
 * is counted per site and hour in the drop log, `GET /api/stats/dropped`.
 */

export const DROP_REASONS = [
  /** The User-Agent is a crawler, a headless browser or an HTTP library. */
  'bot',
  /** `Sec-GPC: 1` (Global Privacy Control) and the site honours it. */
  'gpc',
  /** `DNT: 1` (Do Not Track) and the site honours it. */
  'dnt',
  /** A prefetch or link preview (`Sec-Purpose: prefetch`), not a human view. */
  'prefetch',
  /** An `engagement` with no visit of the same visitor that day to attach it to. */
  'no_visit',
] as const;
export type DropReason = (typeof DROP_REASONS)[number];

export interface Drop {
  readonly drop: DropReason;
}

export interface Rejection {
  readonly reject: 400 | 403 | 413;
  readonly error: string;
}

export const drop = (reason: DropReason): Drop => ({ drop: reason });
export const reject = (status: Rejection['reject'], error: string): Rejection => ({ reject: status, error });
