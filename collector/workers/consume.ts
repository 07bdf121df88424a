/**
 * @module The queue consumer: one batch of messages → aggregate → ONE D1 transaction → ack.
 *
 * What group commit does on Node (`collector/core/commit/group-commit.ts`), with the Queue
 * doing the batching. Per batch, two round trips to D1: one reads which messages are already
 * applied (a redelivery) and the states of the batch's visitors; after `aggregateBatch` (the
 * same as on Node), one `db.batch()` commits deltas, drops, states and the ids of the applied
 * messages. Then ack all. A failure retries the whole batch: nothing of it was written.
 *
 * Visitor states are read, changed and written back, so two batches must not run at once:
 * wrangler.toml sets `max_concurrency = 1`, and within an isolate batches also wait their
 * turn here.
 */
import { aggregateBatch } from '../core/aggregate/aggregate-batch.ts';
import type { Committable } from '../core/pipeline/collected-event.ts';
import { appliedId } from '../d1/d1-store.ts';
import type { Message, MessageBatch } from './env.ts';
import type { WorkersRuntime } from './runtime.ts';

let turn: Promise<unknown> = Promise.resolve();

/** Runs `work` after every batch this isolate started before it. */
function inTurn<T>(work: () => Promise<T>): Promise<T> {
  const run = turn.then(work, work);
  turn = run.catch(() => {});
  return run;
}

export function consumeBatch(batch: MessageBatch<unknown>, runtime: WorkersRuntime): Promise<void> {
  return inTurn(async () => {
    try {
      await commitOnce(batch, runtime);
    } catch (error) {
      runtime.log(
        `queue: a batch of ${batch.messages.length} failed and will be retried: ${messageOf(error)}`,
      );
      throw error; // the Queue redelivers every message of the batch: none of it was written
    }
    batch.ackAll();
  });
}

async function commitOnce(
  batch: MessageBatch<unknown>,
  { store, clock, log }: WorkersRuntime,
): Promise<void> {
  const ids = batch.messages.map((m) => appliedId(m.timestamp, m.id));
  const hashes = new Set<string>();
  for (const { body } of batch.messages) {
    if (typeof body === 'object' && body !== null && 'visitor' in body) hashes.add(String(body.visitor));
  }
  // One round trip for both: the states of visitors whose messages turn out applied are simply unused.
  const { applied, states } = await store.readForCommit(ids, [...hashes]);
  const fresh: { id: string; event: Committable }[] = [];
  batch.messages.forEach((message, i) => {
    const id = ids[i] as string;
    if (applied.has(id)) return;
    if (isCommittable(message)) fresh.push({ id, event: message.body });
    else log(`queue: message ${message.id} is not an event; dropped`);
  });
  if (fresh.length === 0) return;
  // Queues deliver roughly in order, not exactly; sessionisation wants each visitor's events
  // in time order. The sort is stable: events of the same millisecond keep their order.
  const events = fresh.map((f) => f.event).sort((a, b) => timeOf(a) - timeOf(b));
  await store.commit(
    aggregateBatch(events, states),
    clock(),
    fresh.map((f) => f.id),
  );
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

function timeOf(event: Committable): number {
  return 'time' in event ? event.time : event.bucket * 1000;
}

function isCommittable(message: Message<unknown>): message is Message<Committable> {
  const body = message.body;
  return typeof body === 'object' && body !== null && 'siteId' in body && 'bucket' in body;
}
