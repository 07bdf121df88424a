/**
 * The Worker under test: the production Worker (`createWorker` from collector/workers/serve.ts)
 * with test-only additions, like those test/support/in-process.ts makes on Node. The
 * production Worker has none of them.
 *
 * - A test clock: a request's time comes from its `x-test-time` header (through
 *   AsyncLocalStorage), so a suite can replay days of traffic in seconds. Everything else —
 *   pipeline, Queue, consumer, D1 — is the production code.
 * - A record of what the queue consumer finished (and the message bodies, when asked), so a
 *   suite knows when the Queue has drained and can search what crossed it.
 * - `POST /__test/batch`: many requests in one invocation (see call.ts for why).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Env, ExecutionContext, WorkerHandlers } from '../../collector/workers/env.ts';
import { createWorker } from '../../collector/workers/serve.ts';
import { replay } from './parity-stream.ts';

const time = new AsyncLocalStorage<number>();

/** Lines the Worker wrote to its log. */
export const logs: string[] = [];

export const consumed = {
  batches: 0,
  messages: 0,
  /** Wall time spent in the consumer, ms (workerd's clock moves with I/O, which D1 is). */
  ms: 0,
  /** The messages consumed while `keep` is on: what crossed the Queue. */
  kept: [] as { id: string; timestamp: Date; body: unknown }[],
  keep: false,
};

const worker = createWorker({
  clock: () => time.getStore() ?? Date.now(),
  log: (line) => {
    logs.push(line);
    console.log(line);
  },
});

/** Runs `fn` with the Worker's clock at `ms` (e.g. the maintenance job at a given moment). */
export function runAt<T>(ms: number, fn: () => T): T {
  return time.run(ms, fn);
}

/** One request of a `/__test/batch`; requests with the same `key` go one after another. */
export interface TestRequest {
  key: string;
  path: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  cf?: { country?: string };
}

export const BATCH_PATH = '/__test/batch';

const handlers: WorkerHandlers = {
  fetch(request, env, ctx) {
    if (new URL(request.url).pathname === BATCH_PATH) return batch(request, env, ctx);
    const at = Number(request.headers.get('x-test-time'));
    return Number.isFinite(at) && at > 0
      ? time.run(at, () => worker.fetch(request, env, ctx))
      : worker.fetch(request, env, ctx);
  },
  async queue(batch, env, ctx) {
    const started = Date.now();
    await worker.queue(batch, env, ctx);
    consumed.ms += Date.now() - started;
    consumed.batches++;
    consumed.messages += batch.messages.length;
    if (consumed.keep)
      for (const { id, timestamp, body } of batch.messages) consumed.kept.push({ id, timestamp, body });
  },
  scheduled(controller, env, ctx) {
    return worker.scheduled(controller, env, ctx);
  },
};

async function batch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
  const { requests, concurrency } = (await request.json()) as {
    requests: TestRequest[];
    concurrency: number;
  };
  const statuses = await replay(
    requests,
    (r) => r.key,
    async (r) => {
      const init: RequestInit & { cf?: unknown } = { method: r.method ?? 'GET', headers: r.headers ?? {} };
      if (r.body !== undefined) init.body = r.body;
      if (r.cf) init.cf = r.cf;
      const response = await handlers.fetch(new Request(`https://glimt.example${r.path}`, init), env, ctx);
      await response.arrayBuffer();
      return response.status;
    },
    concurrency,
  );
  return Response.json(statuses);
}

export default handlers;
