/**
 * @module Step: opt-out signals.
 *
 * Global Privacy Control (`Sec-GPC: 1`, https://privacycg.github.io/gpc-spec/) and
 * Do Not Track (`DNT: 1`) are honoured unless the site owner switched them off.
 */
import type { DropReason } from './drop.ts';

export function optOutSignal(
  header: (name: string) => string | undefined,
  honour: boolean,
): DropReason | undefined {
  if (!honour) return undefined;
  if (header('sec-gpc')?.trim() === '1') return 'gpc';
  if (header('dnt')?.trim() === '1') return 'dnt';
  return undefined;
}

/** Browsers announce speculative loads; a prefetched page was not seen by anyone. */
export function isPrefetch(header: (name: string) => string | undefined): boolean {
  const purpose = header('sec-purpose') ?? header('purpose') ?? header('x-purpose') ?? '';
  return /prefetch|preview/i.test(purpose);
}
