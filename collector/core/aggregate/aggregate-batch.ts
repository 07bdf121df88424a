/**
 * @module One batch of events → rollup deltas and the visitor states to write back.
 *
 * Pure and synchronous: the caller loads the states first (one store round trip per
 * batch, not per event) and commits the result in one transaction.
 */
import { type Committable, isDropped } from '../pipeline/collected-event.ts';
import { Deltas } from './cells.ts';
import { sessionise } from './sessionise.ts';
import { newVisitorState, type VisitorState } from './visitor-state.ts';

export interface BatchResult {
  deltas: Deltas;
  /** Every state the batch touched, by visitor hash: all of them must be written. */
  touched: Map<string, VisitorState>;
}

export function aggregateBatch(
  events: readonly Committable[],
  states: Map<string, VisitorState>,
): BatchResult {
  const result: BatchResult = { deltas: new Deltas(), touched: new Map() };
  aggregateInto(result, events, states);
  return result;
}

/** Adds `events` to an open result: group commit keeps one open across many acknowledged batches. */
export function aggregateInto(
  result: BatchResult,
  events: readonly Committable[],
  states: Map<string, VisitorState>,
): void {
  const { deltas, touched } = result;
  for (const event of events) {
    if (isDropped(event)) {
      deltas.drop(event.siteId, event.bucket, event.drop);
      continue;
    }
    let state = states.get(event.visitor);
    if (!state || state.day !== event.day) {
      state = newVisitorState(event.siteId, event.day);
      states.set(event.visitor, state);
    }
    const dropped = sessionise(state, event, deltas);
    if (dropped) deltas.drop(event.siteId, event.bucket, dropped);
    touched.set(event.visitor, state);
  }
}
