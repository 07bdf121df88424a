/**
 * Requests to the Worker under test (worker.ts), as workerd hands them to its `fetch` handler.
 *
 * `call` runs one request in this isolate. `callMany` replays thousands: a Worker
 * invocation may make at most 10,000 subrequests (each event's `QUEUE.send` is one), and
 * in vitest-pool-workers 0.15 each request through `SELF.fetch` costs more than the one
 * before (500 take ~10 s), so the requests go in chunks, one `SELF.fetch` of the test-only
 * `/__test/batch` route per chunk, each its own invocation. The handler, the app and
 * every binding are the production ones; the real HTTP path is covered by
 * wrangler-dev.node.test.ts.
 */
import { createExecutionContext, SELF, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import worker, { BATCH_PATH, type TestRequest } from './worker.ts';

export async function call(
  path: string,
  init: RequestInit & { cf?: { country?: string } } = {},
): Promise<Response> {
  const ctx = createExecutionContext();
  const response = await worker.fetch(new Request(`https://glimt.example${path}`, init), env, ctx);
  await waitOnExecutionContext(ctx);
  return response;
}

const CHUNK = 2000;

/**
 * The requests' statuses, in order; those with the same key are sent one after another.
 * `afterChunk` runs between chunks (e.g. to let the local Queue catch up).
 */
export async function callMany(
  requests: readonly TestRequest[],
  concurrency: number,
  afterChunk: (statuses: readonly number[]) => Promise<void> = async () => {},
): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < requests.length; i += CHUNK) {
    if (i > 0) await afterChunk(statuses);
    const response = await SELF.fetch(`https://glimt.example${BATCH_PATH}`, {
      method: 'POST',
      body: JSON.stringify({ requests: requests.slice(i, i + CHUNK), concurrency }),
    });
    if (!response.ok) throw new Error(`${BATCH_PATH}: ${response.status} ${await response.text()}`);
    statuses.push(...((await response.json()) as number[]));
  }
  return statuses;
}
