/**
 * @module The event sink on Workers: each accepted event is sent to the Queue.
 *
 * `submit` resolves when `send` does, that is when Queues has stored the message durably,
 * so the 202 keeps its meaning. A failed send rejects, and the ingest route answers 503
 * with Retry-After. The consumer (`consume.ts`) aggregates the messages in batches. On
 * Node the same port is the group committer (`collector/core/commit/group-commit.ts`).
 */
import type { EventSink } from '../core/app.ts';
import type { Committable } from '../core/pipeline/collected-event.ts';
import type { Queue } from './env.ts';

export function queueSink(queue: Queue<unknown>): EventSink {
  // A CollectedEvent is plain JSON by design: it travels as such.
  return { submit: (event: Committable) => queue.send(event, { contentType: 'json' }) };
}
