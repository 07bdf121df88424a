/**
 * The page-facing API, shared by the script (`window.glimt`) and the ESM entry (`track`).
 */
import type { PropValue } from '../../collector/core/protocol.ts';

export interface EventOptions {
  props?: Record<string, PropValue>;
}

export type Track = (name: string, options?: EventOptions) => void;

/** `window.glimt`: `track` once the script runs; before, the snippet's stub that queues calls. */
export type Glimt = Track & { q?: ArrayLike<unknown>[] };

declare global {
  interface Window {
    glimt?: Glimt;
  }
}
