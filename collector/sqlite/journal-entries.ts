/**
 * @module A journal entry's form: one acknowledged batch as JSON. Shared by the journal and
 * the count thread (which imports nothing that needs a package or a file: it is bundled and
 * evaluated as text).
 */
import type { Committable } from '../core/pipeline/collected-event.ts';

/** A journal entry as stored: one acknowledged batch, as JSON. */
export interface JournalRow {
  id: number;
  events: string;
}

/** Each event of the entries, with its entry's id, in order. */
export function decodeEntries(rows: readonly JournalRow[]): { id: number; event: Committable }[] {
  return rows.flatMap((row) =>
    (JSON.parse(row.events) as Committable[]).map((event) => ({ id: row.id, event })),
  );
}

const encoded = new WeakMap<readonly Committable[], string>();

/**
 * A batch as the journal stores it (JSON). Kept while the batch lives: the count thread is
 * sent the same text (`count-thread.ts`), and a batch is encoded once.
 */
export function encodeEvents(events: readonly Committable[]): string {
  let text = encoded.get(events);
  if (text === undefined) {
    text = JSON.stringify(events);
    encoded.set(events, text);
  }
  return text;
}
